// Helpers for the sign-in tests (test/saml/): a tenant with a SAML connection to a TestIdp, made
// through the admin API as an operator would; the vendor's app as a real HTTP server on loopback that
// exchanges the code it is handed, as docs/sso.md tells an app to; and the browser's steps (follow
// the login redirect, post the IdP's response to the ACS).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createAdminKey } from '../../src/provisioning/tenants/admin-keys.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { scim, type AdminTestServer } from './admin.ts';
import { TestIdp, type ResponseOptions } from './saml-idp.ts';

/** The profile the exchange answers with (docs/sso.md "Handing the user to your app"). */
export interface ExchangedProfile {
  id: string; userName: string; displayName: string | null; name: Record<string, unknown> | null;
  emails: { value: string; type?: string; primary?: boolean }[]; groups: { id: string; displayName: string }[]; roles: string[];
  tenant: { id: string; slug: string; ssoRequired: boolean }; connection: { id: string; name: string }; signedInAt: string; sessionExpiresAt: string;
}

/** What the app received from Rollcall and what the exchange answered. */
export interface AppVisit { path: string; code?: string; token?: string; exchange?: { status: number; body: { profile: ExchangedProfile; token: string } } }

/** A sign-in event as the feed gives it (docs/events.md). */
export interface SignInEvent {
  type: 'user.signed_in' | 'user.sign_in_failed';
  actor: { type: string; id: string | null; name: string | null };
  requestId: string | null;
  data: {
    reason?: string; detail?: string; user: { id: string; userName: string } | null; nameId: string | null;
    connection: { id: string; name: string } | null; authnRequestId: string | null; idpInitiated?: boolean; sessionIndex?: string | null;
  };
}

/** The vendor's app: every visit recorded; a code is exchanged at once, server to server. */
export interface TestApp { url: string; visits: AppVisit[]; close(): Promise<void> }

export async function startApp(rollcallUrl: string, ssoKey: string): Promise<TestApp> {
  const visits: AppVisit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://app.invalid');
        const visit: AppVisit = { path: url.pathname };
        const code = url.searchParams.get('code');
        if (req.method === 'POST') visit.token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('token') ?? undefined;
        if (code !== null) {
          visit.code = code;
          const r = await fetch(`${rollcallUrl}/admin/v1/sso/token`, { method: 'POST', headers: { authorization: `Bearer ${ssoKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
          const text = await r.text();
          visit.exchange = { status: r.status, body: (text ? JSON.parse(text) : undefined) as NonNullable<AppVisit['exchange']>['body'] };
        }
        visits.push(visit);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(visit));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    visits,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** An sso-scoped admin key (the one the app holds for the exchange). */
export async function ssoKey(server: AdminTestServer): Promise<string> {
  return (await createAdminKey(server.running.store, { name: 'the app', scope: 'sso', ttlMs: null })).key;
}

export interface SsoTenant {
  slug: string; scimUrl: string; token: string; idp: TestIdp; connectionId: string; connectionName: string;
  /** The SP's entity id (audience) and ACS for this tenant. */
  spEntityId: string; acsUrl: string; loginUrl: string;
}

let made = 0;

/**
 * A tenant (through the admin API) with a SCIM token, a SAML connection to `idp` (from its metadata
 * XML), and SSO settings allowing the app's /app path (default landing /app/home) plus `sso`.
 */
export async function ssoTenant(server: AdminTestServer, app: TestApp, o: { idp?: TestIdp; name?: string; connection?: Record<string, unknown>; sso?: Record<string, unknown>; prefix?: string } = {}): Promise<SsoTenant> {
  const slug = `${o.prefix ?? 'sso'}-${process.pid}-${++made}`;
  const created = await server.admin('POST', '/tenants', { body: { slug } });
  assert.equal(created.status, 201, created.text);
  const tok = await server.admin('POST', `/tenants/${slug}/tokens`, { body: {} });
  assert.equal(tok.status, 201, tok.text);
  const idp = o.idp ?? TestIdp.create();
  const name = o.name ?? 'okta';
  const conn = await server.admin('POST', `/tenants/${slug}/saml/connections`, { body: { name, metadataXml: idp.metadataXml(), ...o.connection } });
  assert.equal(conn.status, 201, conn.text);
  await setSso(server, slug, app, o.sso);
  const base = `${server.baseUrl}/saml/${slug}`;
  const issued = tok.body as { scimUrl: string; token: string };
  return {
    slug, scimUrl: issued.scimUrl, token: issued.token, idp, connectionId: (conn.body as { id: string }).id, connectionName: name,
    spEntityId: `${base}/metadata`, acsUrl: `${base}/acs`, loginUrl: `${base}/login`,
  };
}

/** Replaces the tenant's `sso` settings section (the app's /app allowed, landing on /app/home by default). */
export async function setSso(server: AdminTestServer, slug: string, app: TestApp, sso: Record<string, unknown> = {}): Promise<void> {
  const r = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { sso: { redirectUrls: [`${app.url}/app`], defaultRedirectUrl: `${app.url}/app/home`, ...sso } } });
  assert.equal(r.status, 200, r.text);
}

/** A SCIM user of the tenant (the IdP provisioned it); returns its id. */
export async function provision(t: SsoTenant, userName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER_SCHEMA], userName, emails: [{ value: userName, primary: true, type: 'work' }], ...extra });
  assert.equal(r.status, 201, r.text);
  return (r.body as { id: string }).id;
}

export interface Answer { status: number; location: string | null; text: string; headers: Headers }

async function answer(res: Response): Promise<Answer> {
  return { status: res.status, location: res.headers.get('location'), text: await res.text(), headers: res.headers };
}

/** GET the tenant's login URL as a browser would, without following the redirect. */
export async function startLogin(t: SsoTenant, query: Record<string, string> = {}): Promise<Answer> {
  const qs = new URLSearchParams(query).toString();
  return answer(await fetch(`${t.loginUrl}${qs ? `?${qs}` : ''}`, { redirect: 'manual' }));
}

/** POST a form to the tenant's ACS (or `acsUrl`), as the browser does with the IdP's auto-submitted form. */
export async function postAcs(acsUrl: string, fields: Record<string, string>): Promise<Answer> {
  return answer(await fetch(acsUrl, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() }));
}

/** The IdP's answer to the tenant's SP: audience, ACS, destination and recipient all right, signed assertion. */
export function goodResponse(t: SsoTenant, nameId: string, o: Partial<ResponseOptions> = {}): string {
  return t.idp.responseXml({ acsUrl: t.acsUrl, audience: t.spEntityId, nameId, sign: 'assertion', ...o });
}

/**
 * A full SP-initiated sign-in: the login redirect to the IdP, the AuthnRequest read there, the IdP's
 * signed answer posted to the ACS. Returns the ACS answer and the AuthnRequest id.
 */
export async function spInitiated(t: SsoTenant, nameId: string, o: { returnTo?: string; response?: Partial<ResponseOptions>; connection?: string } = {}): Promise<{ acs: Answer; requestId: string; xml: string }> {
  const login = await startLogin(t, { ...(o.returnTo ? { returnTo: o.returnTo } : {}), ...(o.connection ? { connection: o.connection } : {}) });
  assert.equal(login.status, 302, login.text);
  const request = TestIdp.readAuthnRequest(login.location!);
  assert.equal(request.relayState, request.id, 'RelayState is the request id, never the URL');
  const xml = goodResponse(t, nameId, { inResponseTo: request.id, ...o.response });
  const acs = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(xml), RelayState: request.relayState ?? '' });
  return { acs, requestId: request.id, xml };
}

/** Follows the ACS's redirect to the app; returns what the app received (and its exchange). */
export async function followToApp(acs: Answer, app: TestApp): Promise<AppVisit> {
  assert.equal(acs.status, 302, `the ACS hands off with a redirect: ${acs.status} ${acs.text.slice(0, 500)}`);
  assert.ok(acs.location?.startsWith(`${app.url}/app`), `to the app: ${acs.location}`);
  const res = await fetch(acs.location!);
  assert.equal(res.status, 200);
  return (await res.json()) as AppVisit;
}

/** The tenant's sign-in events, in order. */
export async function signInEvents(server: AdminTestServer, slug: string): Promise<SignInEvent[]> {
  const r = await server.admin('GET', `/events?tenant=${slug}&types=user.signed_in,user.sign_in_failed&limit=500`);
  assert.equal(r.status, 200, r.text);
  return (r.body as { data: SignInEvent[] }).data;
}

/** Asserts a refusal page: this status, HTML with the page headers, the reason as its reference, no redirect. */
export function expectRefusal(a: Answer, status: number, reason: string): void {
  assert.equal(a.status, status, `expected ${status} (${reason}), got ${a.status}: ${a.text.slice(0, 600)}`);
  assert.equal(a.location, null, 'a refusal redirects nowhere');
  assert.match(a.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(a.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.equal(a.headers.get('x-frame-options'), 'DENY');
  assert.equal(a.headers.get('cache-control'), 'no-store');
  assert.equal(a.headers.get('referrer-policy'), 'no-referrer');
  assert.ok(a.text.includes(`Reference: ${reason} `), `the page names the reason ${reason}: ${a.text.slice(0, 800)}`);
  assert.doesNotMatch(a.text, /code=/, 'no code on a refusal page');
}

/** The last sign-in event of the tenant is a failure with this reason; returns it. */
export async function expectFailedEvent(server: AdminTestServer, slug: string, reason: string | readonly string[]): Promise<SignInEvent & { data: { reason: string } }> {
  const events = await signInEvents(server, slug);
  const last = events.at(-1);
  assert.ok(last?.type === 'user.sign_in_failed' && typeof last.data.reason === 'string', JSON.stringify(events.map((e) => [e.type, e.data.reason])));
  const reasons: readonly string[] = typeof reason === 'string' ? [reason] : reason;
  assert.ok(reasons.includes(last.data.reason), `reason ${last.data.reason} is one of ${reasons.join(', ')}: ${last.data.detail}`);
  return last as SignInEvent & { data: { reason: string } };
}
