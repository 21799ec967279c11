// Authenticates SCIM requests: the bearer token of the tenant named in the URL. One object per
// store, made in main.ts (house rule 4): its memory of recent successes and of recorded uses belongs
// to that store alone, never to the module.
import { unauthorized } from '../../scim/errors.ts';
import type { EventActor, Store, Tenant, TokenRecord } from '../../store/store.ts';
import type { Clock } from '../clock.ts';
import { SCIM_DISABLED_DETAIL } from '../policies/scim-mode.ts';
import { checkTokenShape, hashToken, sameHash } from './token-format.ts';

/** A successful authentication kept for reuse, with the store's authStamp when it was made. */
interface Kept { token: TokenRecord; tenant: Tenant; stamp: string; at: number }

const MAX_KEPT = 10_000;
/** Belt and braces: an entry is looked up again at least this often even if nothing was signalled. */
const MAX_KEPT_MS = 10_000;
/** Last use is recorded at most once a minute per token: it is for admins, not access decisions. */
const RECORD_USE_EVERY_MS = 60_000;

export class Authentication {
  /**
   * Successful authentications by slug and token hash. An entry is reused only while the store's
   * authStamp is unchanged (no token or tenant changed anywhere), so a revocation still takes effect
   * on the next request; expiry is checked on every request. Failures are never kept.
   */
  private readonly kept = new Map<string, Kept>();
  /** When this process last recorded each token's use. */
  private readonly lastRecorded = new Map<string, number>();

  constructor(private readonly store: Store, private readonly clock: Clock) {}

  /**
   * Authenticates a SCIM request for the tenant named in its URL. Every failure is a 401 whose
   * detail says what is wrong with the token, never whether another tenant exists: a token of
   * another tenant, and any token on an unknown tenant's URL, are simply "not recognised".
   */
  async authenticate(slug: string, authorization: string | undefined): Promise<{ tenant: Tenant; actor: EventActor }> {
    if (authorization === undefined || authorization.trim() === '') {
      throw unauthorized('Authentication required: send the tenant token as "Authorization: Bearer <token>".');
    }
    const presented = bearerToken(authorization);
    if (presented === undefined) throw unauthorized('The Authorization header must use the Bearer scheme: "Authorization: Bearer <token>".');
    const hash = hashToken(presented);
    const key = keyOf(slug, hash);
    const now = this.clock.now();
    // Read before the lookup: a change that lands between the two leaves the entry under an old stamp.
    const stamp = this.store.authStamp();
    let entry = this.kept.get(key);
    if (!entry || entry.stamp !== stamp || now - entry.at > MAX_KEPT_MS) {
      entry = await this.lookUp(slug, presented, hash, stamp ?? '', now);
      // Without a stamp the store cannot tell us of a revocation: nothing is kept.
      if (stamp !== undefined) {
        if (this.kept.size >= MAX_KEPT) this.kept.clear();
        this.kept.set(key, entry);
      }
    }
    const { token: record, tenant } = entry;
    if (record.expiresAt && Date.parse(record.expiresAt) <= now) throw unauthorized(`The bearer token expired on ${record.expiresAt}. Ask the vendor for a new token.`);
    this.recordUse(record.id, now);
    return { tenant, actor: { type: 'token', id: record.id, name: record.name } };
  }

  /**
   * True when this token was accepted for this tenant not long ago (it is in the memory of
   * successes), without a database lookup: the SCIM edge lets such a request through while failed
   * authentications on the tenant's URL are being limited (http/scim/rate-limit.ts).
   */
  recognises(slug: string, authorization: string | undefined): boolean {
    const presented = authorization === undefined ? undefined : bearerToken(authorization);
    return presented !== undefined && this.kept.has(keyOf(slug, hashToken(presented)));
  }

  private async lookUp(slug: string, presented: string, hash: string, stamp: string, now: number): Promise<Kept> {
    // The store finds a token only under its own tenant's slug: another tenant's token is "unknown" here.
    // A token that is found is well-formed by construction, so its shape (a checksum costing more
    // than the lookup) is diagnosed only for tokens that are not found, to say what is wrong with them.
    const found = await this.store.findTokenForTenant(hash, slug.toLowerCase());
    if (!found || !sameHash(found.token.hash, hash)) {
      const shape = checkTokenShape(presented);
      if (!shape.ok) throw unauthorized(shape.reason);
      throw unauthorized('The bearer token is not recognised for this SCIM endpoint. Check that the base URL and the token belong to the same tenant.');
    }
    // SCIM mode (policies/scim-mode.ts), checked first as it says why the tokens were revoked:
    // disabling revokes every token in its transaction; one issued in a race must not work either.
    if (!found.tenant.scimEnabled) throw unauthorized(SCIM_DISABLED_DETAIL);
    if (found.token.revokedAt) throw unauthorized(`The bearer token was revoked on ${found.token.revokedAt}. Ask the vendor for a new token.`);

    return { ...found, stamp, at: now };
  }

  /** Best effort, never failing a request. */
  private recordUse(tokenId: string, now: number): void {
    const last = this.lastRecorded.get(tokenId);
    if (last !== undefined && now - last < RECORD_USE_EVERY_MS) return;
    if (this.lastRecorded.size > MAX_KEPT) this.lastRecorded.clear();
    this.lastRecorded.set(tokenId, now);
    this.store.touchToken(tokenId, new Date(now).toISOString()).catch(() => this.lastRecorded.delete(tokenId));
  }
}

/** The token of an "Authorization: Bearer <token>" header; undefined for another scheme. */
const bearerToken = (authorization: string): string | undefined => /^\s*Bearer\s+(.*)$/i.exec(authorization)?.[1].trim();

/** Where an accepted token is remembered: under its tenant's slug, as the URL gives it, and its hash. */
const keyOf = (slug: string, hash: string) => `${slug.toLowerCase()} ${hash}`;
