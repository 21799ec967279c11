// Handing a signed-in user to the app (docs/sso.md "Handing the user to your app"). Two ways, per
// tenant (settings sso.handoff):
// - code: the browser is redirected to the app with ?code=; the app's server exchanges the code,
//   once, within config.saml.codeTtlMs, at POST /admin/v1/sso/token for the profile and a JWT. The
//   code is 32 random bytes; only its SHA-256 is stored, so a database reader cannot redeem one.
// - jwt: the browser posts a signed JWT of the profile to the app (an auto-submitted form, so the
//   token never lands in a URL, a log or a Referer).
// JWTs are ES256 (small signatures, a key that is cheap to make), signed by a key from the
// signing_keys table and published at /sso/jwks.json. Keys are made on first need and replaced
// after config.saml.signingKeyRotationMs; a replaced key stays published long enough for every
// token it signed to expire and for apps' JWKS caches to notice ("Signing keys" in docs/sso.md).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { JWK } from 'jose';
import type { SamlConfig } from '../../config/config.ts';
import type { SigningKeyRecord, Store } from '../../store/store.ts';
import type { Clock } from '../clock.ts';

/** jose, loaded when the first token is signed rather than when the server starts (a process that never signs one never loads it). */
const jose = () => import('jose');

/** What the app learns of the signed-in user: the exchange's `profile`, the JWT's `profile` claim. */
export interface SignInProfile {
  id: string; userName: string; displayName: string | null; name: Record<string, unknown> | null;
  emails: { value: string; type?: string; primary?: boolean }[];
  groups: { id: string; displayName: string }[]; roles: string[];
  tenant: { id: string; slug: string; ssoRequired: boolean };
  connection: { id: string; name: string };
  signedInAt: string; sessionExpiresAt: string;
}

export type HandoffStep = { kind: 'redirect'; url: string } | { kind: 'form_post'; url: string; fields: Record<string, string> };

/**
 * The JWT's `aud`: the app (every tenant's users go to the same app). `iss` is the server's public
 * URL, so tokens of one Rollcall deployment are not taken by an app trusting another.
 */
export const JWT_AUDIENCE = 'rollcall-app';
export const JWT_ALG = 'ES256';

/** A code as issued: 32 random bytes, base64url (43 characters). */
const CODE_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export const hashCode = (code: string): string => createHash('sha256').update(code).digest('hex');

export class Handoff {
  /** A key being made by this process: concurrent first sign-ins wait for the one key. */
  private making: Promise<SigningKeyRecord> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly saml: Pick<SamlConfig, 'codeTtlMs' | 'sessionTtlMs' | 'signingKeyRotationMs'>,
    private readonly publicUrl: string,
  ) {}

  private iso(offsetMs = 0): string { return new Date(this.clock.now() + offsetMs).toISOString(); }

  /** The step that takes the browser to `target` (already checked against the allow-list: redirects.ts). */
  async issue(handoff: 'code' | 'jwt', target: URL, profile: SignInProfile): Promise<HandoffStep> {
    if (handoff === 'jwt') return { kind: 'form_post', url: target.href, fields: { token: await this.sign(profile) } };
    const code = randomBytes(32).toString('base64url');
    await this.store.createSsoCode({
      hash: hashCode(code), tenantId: profile.tenant.id, userId: profile.id, connectionId: profile.connection.id,
      profile: profile as unknown as Record<string, unknown>, createdAt: this.iso(), expiresAt: this.iso(this.saml.codeTtlMs), usedAt: null,
    });
    const url = new URL(target.href);
    // Appended as is, so the app's own query (its state) keeps its exact encoding; a `code` already
    // there is replaced rather than left first in line for the app to read.
    if (url.searchParams.has('code')) url.searchParams.set('code', code);
    else url.search = `${url.search ? `${url.search}&` : '?'}code=${code}`;
    return { kind: 'redirect', url: url.href };
  }

  /**
   * Redeems a code, once (atomic across processes), for its profile and a JWT of it. Undefined for
   * an unknown, expired or used code alike: the caller must not be able to tell them apart.
   */
  async exchange(code: string): Promise<{ profile: SignInProfile; token: string } | undefined> {
    if (!CODE_SHAPE.test(code)) return undefined;
    const redeemed = await this.store.redeemSsoCode(hashCode(code), this.iso());
    if (!redeemed) return undefined;
    const profile = redeemed.profile as unknown as SignInProfile;
    return { profile, token: await this.sign(profile) };
  }

  /** A JWT of the profile: sub = user id, tid = tenant id, exp = the session's end. */
  async sign(profile: SignInProfile): Promise<string> {
    const key = await this.signingKey();
    const { importJWK, SignJWT } = await jose();
    const privateKey = await importJWK(key.privateJwk as JWK, key.alg);
    const now = Math.floor(this.clock.now() / 1000);
    const exp = Math.floor(Date.parse(profile.sessionExpiresAt) / 1000);
    return new SignJWT({ tid: profile.tenant.id, auth_time: Math.floor(Date.parse(profile.signedInAt) / 1000), profile: profile as unknown as Record<string, unknown> })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.publicUrl)
      .setAudience(JWT_AUDIENCE)
      .setSubject(profile.id)
      .setIssuedAt(now)
      .setExpirationTime(Math.max(exp, now + 1))
      .setJti(randomUUID())
      .sign(privateKey);
  }

  /** The public keys to verify with: every key not yet expired (the signing one and those it replaced). */
  async jwks(): Promise<{ keys: object[] }> {
    const keys = await this.store.listSigningKeys(this.iso());
    return { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
  }

  /**
   * The key that signs now: the newest one created and not yet retired, else a new one. Two
   * processes that make one at the same moment each insert their own; both are published and
   * valid, and every process then signs with the newer one.
   */
  private async signingKey(): Promise<SigningKeyRecord> {
    const now = this.iso();
    const current = (await this.store.listSigningKeys(now)).find((k) => k.createdAt <= now && now < k.retiresAt);
    if (current) return current;
    this.making ??= this.makeKey().finally(() => { this.making = undefined; });
    return this.making;
  }

  private async makeKey(): Promise<SigningKeyRecord> {
    const { calculateJwkThumbprint, exportJWK, generateKeyPair } = await jose();
    const { publicKey, privateKey } = await generateKeyPair(JWT_ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const rotation = this.saml.signingKeyRotationMs;
    const key: SigningKeyRecord = {
      kid, alg: JWT_ALG, publicJwk: { ...publicJwk }, privateJwk: { ...(await exportJWK(privateKey)) },
      createdAt: this.iso(), retiresAt: this.iso(rotation),
      // Published after retiring for as long again (apps' JWKS caches) plus a session (its last tokens).
      expiresAt: this.iso(2 * rotation + this.saml.sessionTtlMs),
    };
    await this.store.insertSigningKey(key);
    return key;
  }
}
