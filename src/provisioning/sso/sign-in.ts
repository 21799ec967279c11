// The sign-in use case (issue 12, docs/sso.md): from a tenant's SP endpoints to a signed-in user
// handed to the app. `start` sends the browser to the identity provider with an AuthnRequest whose id
// is stored (any process may receive the answer); `finish` takes the IdP's response at the ACS,
// validates it (saml/validate.ts), checks it answers a request of ours (or that the connection accepts
// IdP-initiated sign-ins), accepts its assertion id once, finds the tenant's user, and hands a profile
// to the app (handoff.ts). Every refusal at the ACS is a `user.sign_in_failed` event and a
// SignInRefused the edge turns into a page; a refusal never hands anything to the app.
import { authnRequestUrl, newRequestId } from '../../saml/authn-request.ts';
import { SamlRejected, type SamlRejectReason } from '../../saml/errors.ts';
import { peekIssuer } from '../../saml/issuer-peek.ts';
import { spMetadataXml } from '../../saml/sp-metadata.ts';
import type { SpIdentity, ValidatedResponse } from '../../saml/validate.ts';
import type { Filter } from '../../scim/filter.ts';
import { ScimError } from '../../scim/errors.ts';
import { stringValueProblem } from '../../scim/string-value.ts';
import type { SamlConfig } from '../../config/config.ts';
import { newEvent } from '../../events/outbox.ts';
import type { EventType } from '../../events/event-types.ts';
import type { EventActor, SamlConnectionRecord, SamlRequestRecord, Tenant, UserRecord } from '../../store/store.ts';
import { createLocalUser } from '../admin/directory.ts';
import { isoNow } from '../clock.ts';
import type { ScimContext } from '../context.ts';
import { effectiveRoles } from '../policies/roles.ts';
import type { Provisioning } from '../service.ts';
import { SLUG_PATTERN } from '../tenants/tenants.ts';
import { spIdentity } from './connections.ts';
import type { Handoff, HandoffStep, SignInProfile } from './handoff.ts';
import { checkReturnTo, ReturnToRefused } from './redirects.ts';
import type { SsoSettings } from './settings.ts';
import { testRequestId } from './test-relay-state.ts';
import { jitAttributes, userAttributeValue } from './user-attributes.ts';

/** Why a sign-in was refused: the validator's reasons, and the use case's own. */
export type SignInFailure = SamlRejectReason
  | 'unknown_tenant' | 'no_connection' | 'unknown_connection' | 'connection_disabled' | 'no_response' | 'bad_request'
  | 'return_to' | 'in_response_to' | 'idp_initiated' | 'replay'
  | 'no_identity' | 'ambiguous' | 'unknown_user' | 'deactivated' | 'wrong_connection' | 'jit_refused';

/** Reasons a person can do something about (their account), as opposed to a broken or hostile request. */
const FORBIDDEN: ReadonlySet<SignInFailure> = new Set(['unknown_user', 'deactivated', 'wrong_connection', 'jit_refused', 'replay']);
const NOT_FOUND: ReadonlySet<SignInFailure> = new Set(['unknown_tenant', 'no_connection', 'unknown_connection']);

/**
 * A sign-in (or its start) refused. `reason` is stable (events, pages, docs/sso.md "Error pages");
 * the message says what happened for the tenant's IT admin; `connection` is the one a pinned user
 * must use (wrong_connection); `requestId` the HTTP request's, shown on the page.
 */
/**
 * What a test sign-in found (docs/sso.md "Test sign-in"): rendered by the ACS as the result page for
 * the administrator who started it (connections.ts test()). Nothing was handed to the app.
 */
export interface TestSignInResult {
  kind: 'test';
  tenant: string;
  connection: { id: string; name: string };
  nameId: string; nameIdFormat: string | null; sessionIndex: string | null;
  attributes: Record<string, string[]>;
  /** What the user is looked up by (the tenant's SSO settings) and the value the response gave. */
  identifier: { matchBy: 'userName' | 'email'; attribute: string | null; value: string };
  /** The user the sign-in would sign in, or the one just-in-time provisioning would create. */
  user: { outcome: 'matched'; id: string; userName: string; displayName: string | null }
    | { outcome: 'would_be_created'; userName: string; displayName: string | null; emails: string[] };
  /** When the app's session would end, had this been a sign-in. */
  sessionExpiresAt: string;
}

/**
 * A test sign-in that failed: the reason (a SignInFailure, as a sign-in would have been refused),
 * the message in words, and what was read of the response when it got that far. No event is written.
 */
export class TestSignInFailed extends Error {
  constructor(
    readonly reason: SignInFailure, message: string,
    readonly found: {
      tenant: string; connection: { id: string; name: string } | null; nameId: string | null; attributes: Record<string, string[]> | null;
      /** wrong_connection: the connection the user is pinned to (the one to test with instead). */
      pinned?: string;
    },
  ) { super(message); }
}

export class SignInRefused extends Error {
  readonly status: 400 | 403 | 404;
  constructor(readonly reason: SignInFailure, message: string, readonly extra: { connection?: string; tenant?: string } = {}) {
    super(message);
    this.status = NOT_FOUND.has(reason) ? 404 : FORBIDDEN.has(reason) ? 403 : 400;
  }
}

/** Several enabled connections and none named: the person chooses (the login page lists them). */
export interface ConnectionChoice { kind: 'choose'; tenant: string; connections: { id: string; name: string }[]; returnTo: string | undefined }

const SIGN_IN_ACTOR_NONE: EventActor = Object.freeze({ type: 'saml', id: null, name: null });
const actorOf = (c: SamlConnectionRecord): EventActor => ({ type: 'saml', id: c.id, name: c.name });

/** The longest RelayState read as a returnTo (IdP-initiated): a URL, not a document. */
const MAX_RELAY_STATE = 2048;
const MAX_IDENTITY = 1024;

export interface SignInOptions { provisioning: Provisioning; handoff: Handoff; saml: SamlConfig; publicUrl: string }

export class SignIn {
  private readonly provisioning: Provisioning;
  private readonly handoff: Handoff;
  private readonly saml: SamlConfig;
  private readonly publicUrl: string;
  /** Bounds the events of refusals nobody vouched for (see UnverifiedFailures). */
  private readonly unverified: UnverifiedFailures;

  constructor(o: SignInOptions) {
    this.provisioning = o.provisioning;
    this.handoff = o.handoff;
    this.saml = o.saml;
    this.publicUrl = o.publicUrl;
    this.unverified = new UnverifiedFailures(o.saml.unverifiedFailureEventsPerMinute);
  }

  /** The SP as the tenant's IdPs know it: entity id, ACS, and the key AuthnRequests are signed with. */
  sp(slug: string): SpIdentity {
    // The same URLs the admin API shows the IT admin (connections.ts spEndpoints): one definition.
    return spIdentity(this.publicUrl, this.saml, slug);
  }

  /** The tenant's SP metadata document. */
  async metadata(slug: string): Promise<string> {
    const tenant = await this.tenant(slug);
    const connections = (await this.provisioning.store.listSamlConnections(tenant.id)).filter((c) => c.enabled);
    // Asked for signed assertions when every connection requires them (an IdP reads it as a hint).
    const wantAssertionsSigned = connections.length > 0 && connections.every((c) => c.signed === 'assertion' || c.signed === 'both');
    return spMetadataXml(this.sp(tenant.slug), { wantAssertionsSigned });
  }

  /**
   * SP-initiated sign-in: the URL of the IdP to send the browser to, with an AuthnRequest whose id
   * is stored with the checked returnTo; RelayState is that id, never the URL. With several enabled
   * connections and none named, the choice (the page lists them).
   */
  async start(slug: string, q: { returnTo?: string; connection?: string }): Promise<{ kind: 'redirect'; url: string } | ConnectionChoice> {
    const tenant = await this.tenant(slug);
    const ctx = await this.provisioning.context(tenant);
    const settings = ssoOf(ctx);
    const target = returnTo(settings, q.returnTo);
    const all = await this.provisioning.store.listSamlConnections(tenant.id);
    const enabled = all.filter((c) => c.enabled);
    let connection: SamlConnectionRecord | undefined;
    if (q.connection !== undefined && q.connection !== '') {
      const named = all.find((c) => c.id === q.connection) ?? all.find((c) => c.name === q.connection);
      if (!named) throw new SignInRefused('unknown_connection', `Tenant "${tenant.slug}" has no SAML connection named ${JSON.stringify(q.connection.slice(0, 200))}.`, { tenant: tenant.slug });
      if (!named.enabled) throw new SignInRefused('connection_disabled', `The SAML connection "${named.name}" of tenant "${tenant.slug}" is disabled.`, { tenant: tenant.slug, connection: named.name });
      connection = named;
    } else if (enabled.length === 1) {
      connection = enabled[0];
    } else if (enabled.length === 0) {
      throw new SignInRefused('no_connection', `Tenant "${tenant.slug}" has no enabled SAML connection.`, { tenant: tenant.slug });
    } else {
      return { kind: 'choose', tenant: tenant.slug, connections: enabled.map((c) => ({ id: c.id, name: c.name })), returnTo: q.returnTo };
    }
    const clock = this.provisioning.clock;
    const now = clock.now();
    const id = newRequestId();
    await this.provisioning.store.saveSamlRequest({
      tenantId: tenant.id, id, connectionId: connection.id, returnTo: target.href,
      createdAt: new Date(now).toISOString(), expiresAt: new Date(now + this.saml.requestTtlMs).toISOString(), purpose: 'sign-in',
    });
    const url = await authnRequestUrl({ sp: this.sp(tenant.slug), idpSsoUrl: connection.ssoUrl, id, relayState: id, now: new Date(now) });
    return { kind: 'redirect', url };
  }

  /**
   * The ACS: a SAMLResponse (the form field, base64) and its RelayState → the step that hands the
   * signed-in user to the app. Refusals write user.sign_in_failed and throw SignInRefused.
   * `requestId`: the HTTP request's, carried by the events.
   */
  async finish(slug: string, form: { samlResponse?: string; relayState?: string }, requestId: string | null): Promise<HandoffStep | TestSignInResult> {
    const tenant = await this.tenant(slug);
    const attempt = new Attempt(this.provisioning, tenant, requestId, this.unverified);
    const { samlResponse, relayState } = form;
    // A test sign-in is known by its RelayState ("test." and the test request's id, as the IdP returns
    // it: test-relay-state.ts) before anything is checked, so that every refusal, the signature's
    // included, is explained on the result page; a sign-in's RelayState never has that form, so a
    // sign-in costs no lookup here. Nothing of the response is trusted for that: the request is only
    // read here; the validated InResponseTo must then name it, or the test fails.
    const testId = testRequestId(relayState);
    const pending = testId === undefined ? undefined : await this.provisioning.store.findSamlRequest(tenant.id, testId, isoNow(this.provisioning.clock));
    const test = pending?.purpose === 'test' ? pending : undefined;
    if (test) attempt.test = true;
    if (!samlResponse) return attempt.fail('no_response', 'The request carried no SAMLResponse form field: the identity provider must POST its response to this address (HTTP-POST binding).');
    if (test) return this.finishTest(tenant, samlResponse, test, attempt, requestId);

    // The connection whose certificates the response is checked with: the one named by its (not yet
    // trusted) Issuer, or the only enabled one (then the validator reports a wrong Issuer).
    const all = await this.provisioning.store.listSamlConnections(tenant.id);
    const enabled = all.filter((c) => c.enabled);
    // Read only to choose among several: with one connection, enabled, it is that one whatever the
    // response claims (and the validator, which parses the response anyway, checks the Issuer).
    const issuer = all.length === 1 && enabled.length === 1 ? undefined : peekIssuer(samlResponse, this.saml.maxResponseBytes);
    let connection = issuer === undefined ? undefined : enabled.find((c) => c.entityId === issuer);
    if (!connection) {
      const disabled = issuer === undefined ? undefined : all.find((c) => c.entityId === issuer);
      if (disabled) return attempt.fail('connection_disabled', `The response comes from the identity provider of the disabled SAML connection "${disabled.name}".`, { connection: disabled });
      if (enabled.length === 0) return attempt.fail('no_connection', `Tenant "${tenant.slug}" has no enabled SAML connection.`);
      if (enabled.length > 1) return attempt.fail('issuer', `The response's Issuer ${issuer === undefined ? '(none readable)' : JSON.stringify(issuer.slice(0, 300))} is the entity id of none of this tenant's SAML connections.`);
      connection = enabled[0];
    }
    const { ctx, settings, now, skewMs, v } = await this.validated(tenant, connection, samlResponse, attempt, requestId);


    // Replay first: a replayed response is refused as one, whatever else it would fail on (its
    // request was taken by its first use).
    await this.acceptOnce(tenant, v, now, skewMs, attempt);

    let target: URL;
    if (v.inResponseTo !== null) {
      const request = await this.provisioning.store.takeSamlRequest(tenant.id, v.inResponseTo, new Date(now).toISOString());
      if (!request || request.connectionId !== connection.id) {
        return attempt.fail('in_response_to', 'The response answers no sign-in this tenant started with this identity provider (unknown, expired or already answered): start the sign-in again.');
      }
      if (request.purpose === 'test') {
        return attempt.fail('in_response_to', 'The response answers a test sign-in, which signs no one in (and its RelayState did not name the test): start the sign-in again from the app.');
      }
      attempt.authnRequestId = request.id;
      // Checked again: the allow-list may have changed since the sign-in started.
      target = await returnToOrFail(settings, request.returnTo ?? undefined, attempt);
    } else {
      if (!connection.idpInitiated) {
        return attempt.fail('idp_initiated', `The identity provider sent a sign-in nobody started here (IdP-initiated), and the SAML connection "${connection.name}" does not accept those: start from the app, or turn idpInitiated on for the connection.`);
      }
      // An IdP-initiated RelayState is the app URL to land on when the allow-list takes it; otherwise
      // (an IdP's own value, or none) the tenant's default URL.
      const relay = relayState !== undefined && relayState.length <= MAX_RELAY_STATE ? relayState : undefined;
      target = allowedOrUndefined(settings, relay) ?? await returnToOrFail(settings, undefined, attempt);
    }

    const { key, user: found } = await matchUser(ctx, settings, v, attempt);
    const user = found ?? await this.justInTime(ctx, settings, key, v, attempt);
    await checkUser(user, ctx, settings, connection, attempt);

    const profile = await this.profile(ctx, settings, user, connection, now);
    await attempt.record('user.signed_in', {
      user: { id: user.id, userName: user.doc.userName },
      connection: { id: connection.id, name: connection.name },
      nameId: safeText(v.nameId), sessionIndex: v.sessionIndex === null ? null : safeText(v.sessionIndex),
      authnRequestId: attempt.authnRequestId, idpInitiated: v.inResponseTo === null,
    });
    return this.handoff.issue(settings.handoff, target, profile);
  }

  /**
   * The checks every response gets, a sign-in's and a test's alike: the connection's context (its
   * tenant's settings, the clock skew), then the response validated against that connection; a
   * refusal fails the attempt with the validator's reason.
   */
  private async validated(tenant: Tenant, connection: SamlConnectionRecord, samlResponse: string, attempt: Attempt, requestId: string | null) {
    attempt.connection = connection;
    const ctx = await this.provisioning.context(tenant, { actor: actorOf(connection), requestId });
    attempt.ctx = ctx;
    const settings = ssoOf(ctx);
    const now = this.provisioning.clock.now();
    const skewMs = settings.clockSkewSeconds * 1000;
    let v: ValidatedResponse;
    try {
      // Loaded at the first response (node-saml, xml-crypto and their XML libraries), not when the server starts.
      const { validateSamlResponse } = await import('../../saml/validate.ts');
      v = await validateSamlResponse(samlResponse, {
        sp: this.sp(tenant.slug),
        idp: { entityId: connection.entityId, certificates: connection.certificates, signed: connection.signed, allowSha1: connection.allowSha1 },
        now: new Date(now), clockSkewMs: skewMs, maxBytes: this.saml.maxResponseBytes,
      });
    } catch (err) {
      if (err instanceof SamlRejected) return attempt.fail(err.reason, err.message);
      throw err;
    }
    attempt.validated = v;
    return { ctx, settings, now, skewMs, v };
  }

  /**
   * The ACS for a test request: the same checks as a sign-in, in the same order, against the
   * connection the test was started for (enabled or not), then the user it would sign in, or the one
   * it would create; nothing is created, handed off or recorded as a sign-in.
   */
  private async finishTest(tenant: Tenant, samlResponse: string, test: SamlRequestRecord, attempt: Attempt, requestId: string | null): Promise<TestSignInResult> {
    const connection = await this.provisioning.store.getSamlConnection(tenant.id, test.connectionId);
    if (!connection) return attempt.fail('unknown_connection', 'The SAML connection this test was started for has been deleted since.');
    const { ctx, settings, now, skewMs, v } = await this.validated(tenant, connection, samlResponse, attempt, requestId);
    // Whose answer it is, first: a response to anything but this test (an IdP-initiated one, a real
    // sign-in's) fails the test and leaves its assertion id and its request untouched.
    if (v.inResponseTo === null) {
      return attempt.fail('idp_initiated', 'The identity provider sent a response that answers no request (IdP-initiated) while the test was waiting for the answer to its own: start the test again from the setup page, not from the identity provider\'s dashboard.');
    }
    if (v.inResponseTo !== test.id) {
      return attempt.fail('in_response_to', 'The response does not answer this test (it answers another request): start the test again.');
    }
    await this.acceptOnce(tenant, v, now, skewMs, attempt);
    const request = await this.provisioning.store.takeSamlRequest(tenant.id, test.id, new Date(now).toISOString());
    if (!request || request.purpose !== 'test' || request.connectionId !== connection.id) {
      return attempt.fail('in_response_to', 'The response does not answer this test (its request is unknown, expired or already answered): start the test again.');
    }
    const { key, user } = await matchUser(ctx, settings, v, attempt);
    const identifier = { matchBy: settings.matchBy === 'email' ? 'email' as const : 'userName' as const, attribute: settings.nameIdAttribute ?? null, value: key };
    let outcome: TestSignInResult['user'];
    if (!user) {
      const doc = jitAttributes(key, v, settings);
      const emails = Array.isArray(doc.emails) ? (doc.emails as { value?: unknown }[]).map((e) => e?.value).filter((x): x is string => typeof x === 'string') : [];
      outcome = { outcome: 'would_be_created', userName: String(doc.userName), displayName: typeof doc.displayName === 'string' ? doc.displayName : null, emails };
    } else {
      await checkUser(user, ctx, settings, connection, attempt);
      outcome = { outcome: 'matched', id: user.id, userName: String(user.doc.userName), displayName: typeof user.doc.displayName === 'string' ? user.doc.displayName : null };
    }
    return {
      kind: 'test', tenant: tenant.slug, connection: { id: connection.id, name: connection.name },
      nameId: v.nameId, nameIdFormat: v.nameIdFormat, sessionIndex: v.sessionIndex, attributes: v.attributes,
      identifier, user: outcome, sessionExpiresAt: new Date(now + this.saml.sessionTtlMs).toISOString(),
    };
  }

  /**
   * Accepts the response's assertion id once, a sign-in's and a test's alike (one table, so a test's
   * assertion cannot sign in afterwards, nor a sign-in's be tested); kept until the assertion
   * expires, skew included. A second use fails the attempt as a replay.
   */
  private async acceptOnce(tenant: Tenant, v: ValidatedResponse, now: number, skewMs: number, attempt: Attempt): Promise<void> {
    const keepUntil = new Date(Math.max(Date.parse(v.expiresAt) || now, now) + skewMs).toISOString();
    if (!(await this.provisioning.store.acceptAssertionId(tenant.id, v.assertionId, keepUntil, new Date(now).toISOString()))) {
      await attempt.fail('replay', attempt.test
        ? 'This assertion was used before: each SAML assertion is accepted once. Start the test again.'
        : 'This assertion was used to sign in before: each SAML assertion is accepted once.');
    }
  }

  private async tenant(slug: string): Promise<Tenant> {
    const lower = slug.toLowerCase();
    const tenant = SLUG_PATTERN.test(lower) ? await this.provisioning.store.findTenantBySlug(lower) : undefined;
    if (!tenant) throw new SignInRefused('unknown_tenant', `No organisation is called "${slug.slice(0, 100)}" here.`);
    return tenant;
  }

  /** Creates the unknown user as a local user (the admin directory's use case: policies, events). */
  private async justInTime(ctx: ScimContext, settings: SsoSettings, key: string, v: ValidatedResponse, attempt: Attempt): Promise<UserRecord> {
    try {
      return (await createLocalUser(ctx, jitAttributes(key, v, settings), 'active')).user;
    } catch (err) {
      if (!(err instanceof ScimError)) throw err;
      // Two first sign-ins at once: the other one created the user.
      const again = await findUser(ctx, settings, key, attempt);
      if (again) return again;
      return attempt.fail('jit_refused', `The user could not be created at sign-in: ${err.message}`);
    }
  }

  private async profile(ctx: ScimContext, settings: SsoSettings, user: UserRecord, connection: SamlConnectionRecord, now: number): Promise<SignInProfile> {
    const found = await ctx.store.getUserWithGroups(ctx.tenant.id, user.id);
    const groups = (found?.groups ?? []).map((g) => ({ id: g.value, displayName: g.display }));
    const doc = (found?.user ?? user).doc;
    const emails = Array.isArray(doc.emails) ? (doc.emails as { value?: unknown; type?: unknown; primary?: unknown }[])
      .filter((e) => typeof e?.value === 'string')
      .map((e) => ({ value: e.value as string, ...(typeof e.type === 'string' ? { type: e.type } : {}), ...(e.primary === true ? { primary: true } : {}) })) : [];
    return {
      id: user.id,
      userName: String(doc.userName),
      displayName: typeof doc.displayName === 'string' ? doc.displayName : null,
      name: doc.name && typeof doc.name === 'object' ? doc.name as Record<string, unknown> : null,
      emails,
      groups,
      roles: effectiveRoles(ctx.settings.policies.roles, groups).map((r) => r.name),
      tenant: { id: ctx.tenant.id, slug: ctx.tenant.slug, ssoRequired: settings.ssoRequired },
      connection: { id: connection.id, name: connection.name },
      signedInAt: new Date(now).toISOString(),
      sessionExpiresAt: new Date(now + this.saml.sessionTtlMs).toISOString(),
    };
  }
}

/** One ACS request: what is known so far, for the failure event. */
class Attempt {
  connection: SamlConnectionRecord | undefined;
  ctx: ScimContext | undefined;
  validated: ValidatedResponse | undefined;
  user: UserRecord | undefined;
  authnRequestId: string | null = null;
  /** A test sign-in: a refusal is the result page's (TestSignInFailed), never an event. */
  test = false;

  constructor(private readonly provisioning: Provisioning, private readonly tenant: Tenant, private readonly requestId: string | null, private readonly unverified: UnverifiedFailures) {}

  async record(type: EventType, data: Record<string, unknown>): Promise<void> {
    const actor = this.connection ? actorOf(this.connection) : SIGN_IN_ACTOR_NONE;
    const event = newEvent(this.tenant, type, isoNow(this.provisioning.clock), actor, this.requestId, data);
    await this.provisioning.store.transaction((tx) => tx.appendEvents([event]));
  }

  /** Records user.sign_in_failed (never the response itself: only what was validated) and throws. */
  async fail(reason: SignInFailure, message: string, o: { connection?: SamlConnectionRecord; pinned?: string } = {}): Promise<never> {
    const connection = o.connection ?? this.connection;
    if (o.connection) this.connection = o.connection;
    if (this.test) {
      throw new TestSignInFailed(reason, message, {
        tenant: this.tenant.slug, connection: connection ? { id: connection.id, name: connection.name } : null,
        nameId: this.validated?.nameId ?? null, attributes: this.validated?.attributes ?? null,
        ...(o.pinned !== undefined ? { pinned: o.pinned } : {}),
      });
    }
    // A refusal before the IdP's signature was verified is anyone's POST: counted, and recorded only
    // within the bound, so junk posted to the ACS cannot flood the events (and the app's webhooks).
    const suppressed = this.validated ? 0 : this.unverified.admit(this.tenant.id, this.provisioning.clock.now());
    if (suppressed < 0) throw new SignInRefused(reason, message, { tenant: this.tenant.slug, connection: o.pinned });
    await this.record('user.sign_in_failed', {
      reason,
      verified: this.validated !== undefined,
      ...(suppressed > 0 ? { suppressedBefore: suppressed } : {}),
      detail: safeText(message, 1000),
      connection: connection ? { id: connection.id, name: connection.name } : null,
      nameId: this.validated ? safeText(this.validated.nameId) : null,
      user: this.user ? { id: this.user.id, userName: this.user.doc.userName } : null,
      authnRequestId: this.authnRequestId,
    });
    throw new SignInRefused(reason, message, { tenant: this.tenant.slug, connection: o.pinned });
  }
}

/**
 * Refusals of responses whose signature was not (or could not be) verified, per tenant, in windows
 * of a minute: the first `perMinute` of a window (config.saml.unverifiedFailureEventsPerMinute) are
 * recorded as events, the rest only counted; the first one recorded in a later window carries that
 * count (suppressedBefore). Per process, so N processes record at most N times as many. Verified
 * refusals (an unknown or deactivated user, a replay) are always recorded: only the IdP can cause them.
 */
class UnverifiedFailures {
  private readonly windows = new Map<string, { start: number; recorded: number; suppressed: number }>();

  constructor(private readonly perMinute: number) {}

  /** −1: do not record this one; otherwise record it, n ≥ 0 being how many earlier ones were not. */
  admit(tenantId: string, now: number): number {
    let w = this.windows.get(tenantId);
    if (!w || now - w.start >= 60_000) {
      const carried = w?.suppressed ?? 0;
      // Forget tenants idle for a window (the map stays as small as the tenants under attack).
      if (this.windows.size > 1000) for (const [id, old] of this.windows) if (now - old.start >= 60_000) this.windows.delete(id);
      w = { start: now, recorded: 0, suppressed: carried };
      this.windows.set(tenantId, w);
    }
    if (w.recorded >= this.perMinute) { w.suppressed++; return -1; }
    w.recorded++;
    const carried = w.suppressed;
    w.suppressed = 0;
    return carried;
  }
}

/** The tenant's SSO settings section (settings.ts). */
const ssoOf = (ctx: ScimContext): SsoSettings => ctx.settings.sso;

/** The app URL a sign-in lands on (redirects.ts), or a refusal naming why. */
function returnTo(settings: SsoSettings, raw: string | undefined): URL {
  try {
    return checkReturnTo(settings, raw);
  } catch (err) {
    if (!(err instanceof ReturnToRefused)) throw err;
    throw new SignInRefused('return_to', `The address to return to after signing in is not allowed: ${err.message}`);
  }
}

/** The same at the ACS, where a refusal is a user.sign_in_failed event too. */
async function returnToOrFail(settings: SsoSettings, raw: string | undefined, attempt: Attempt): Promise<URL> {
  try {
    return returnTo(settings, raw);
  } catch (err) {
    if (err instanceof SignInRefused) return attempt.fail(err.reason, err.message);
    throw err;
  }
}

function allowedOrUndefined(settings: SsoSettings, raw: string | undefined): URL | undefined {
  if (raw === undefined || raw === '') return undefined;
  try {
    return checkReturnTo(settings, raw);
  } catch (err) {
    if (err instanceof ReturnToRefused) return undefined;
    throw err;
  }
}

/** The identifier the user is looked up by: the NameID, or the attribute the settings name. */
function identityOf(v: ValidatedResponse, settings: SsoSettings): string | undefined {
  const raw = settings.nameIdAttribute ? v.attributes[settings.nameIdAttribute]?.find((x) => x.trim() !== '') : v.nameId;
  const key = raw?.trim();
  // A value no SCIM string may hold (NUL, a broken surrogate) names nobody; nor does a document.
  if (!key || key.length > MAX_IDENTITY || stringValueProblem(key) !== undefined) return undefined;
  return key;
}

/**
 * The user a validated response names, a sign-in's and a test's alike: its identifier (refused when
 * there is none), then the tenant's user; `user` undefined means just-in-time provisioning would
 * create one (refused as unknown_user when it is off, or SCIM provisions the tenant's users).
 */
async function matchUser(ctx: ScimContext, settings: SsoSettings, v: ValidatedResponse, attempt: Attempt): Promise<{ key: string; user: UserRecord | undefined }> {
  const key = identityOf(v, settings);
  if (key === undefined) {
    return attempt.fail('no_identity', settings.nameIdAttribute
      ? `The response has no usable "${settings.nameIdAttribute}" attribute, which this tenant's SSO settings name as the user's identifier: add it to the identity provider's attribute statements (claims).`
      : 'The response has no usable NameID to identify the user with.');
  }
  const user = await findUser(ctx, settings, key, attempt);
  const { tenant } = ctx;
  if (!user && (!settings.justInTime || tenant.scimEnabled)) {
    return attempt.fail('unknown_user', `No user of tenant "${tenant.slug}" has the ${settings.matchBy === 'email' ? 'email' : 'userName'} ${JSON.stringify(key)}: ${tenant.scimEnabled ? 'the identity provider provisions users with SCIM; assign the app to this person there (and push them) before they sign in' : 'create the user first, assign the app to them in the identity provider, or turn on just-in-time provisioning in the SSO settings'}.`);
  }
  return { key, user };
}

/**
 * What the found user must be to sign in, a sign-in's and a test's alike: active, and not pinned
 * (settings.connectionAttribute) to another connection than the response's; `pinned` goes to the
 * refusal so that the page names the connection to use.
 */
async function checkUser(user: UserRecord, ctx: ScimContext, settings: SsoSettings, connection: SamlConnectionRecord, attempt: Attempt): Promise<void> {
  attempt.user = user;
  if (user.doc.active === false || user.status === 'deactivated') {
    await attempt.fail('deactivated', `The user ${JSON.stringify(user.doc.userName)} is deactivated in tenant "${ctx.tenant.slug}".`);
  }
  if (settings.connectionAttribute) {
    const pinned = userAttributeValue(user.doc, settings.connectionAttribute);
    if (pinned !== undefined && pinned !== connection.name) {
      await attempt.fail('wrong_connection', `The user ${JSON.stringify(user.doc.userName)} must sign in with the SAML connection "${pinned}", not "${connection.name}".`, { pinned });
    }
  }
}

const path = (attr: string) => ({ attr, text: attr });

/**
 * The tenant's user the identifier names, compared case-insensitively (userName and emails.value
 * are not caseExact): one filtered, indexed query of at most two rows, never a scan. By email, a
 * primary email wins over another user's secondary one. Two users → refused (ambiguous).
 */
async function findUser(ctx: ScimContext, settings: SsoSettings, key: string, attempt: Attempt): Promise<UserRecord | undefined> {
  const scan = (filter: Filter) => ctx.store.scanUsers(ctx.tenant.id, ctx.schemas, filter, undefined, 2);
  let found: UserRecord[];
  if (settings.matchBy === 'email') {
    const value: Filter = { op: 'eq', path: path('value'), value: key };
    found = await scan({ op: 'valuePath', path: path('emails'), filter: { op: 'and', left: value, right: { op: 'eq', path: path('primary'), value: true } } });
    if (found.length === 0) found = await scan({ op: 'valuePath', path: path('emails'), filter: value });
  } else {
    found = await scan({ op: 'eq', path: path('userName'), value: key });
  }
  if (found.length > 1) return attempt.fail('ambiguous', `Several users of this tenant have the ${settings.matchBy === 'email' ? 'email' : 'userName'} ${JSON.stringify(key)}: make it unique, or match users by another attribute.`);
  return found[0];
}

/** Text from a response, fit for an event: no NUL or broken surrogate (PostgreSQL refuses them), bounded. */
function safeText(s: string, max = 512): string {
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is removed
  return s.replace(/\u0000/g, '\uFFFD').replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD').slice(0, max);
}

