// SAML connections through the admin API (/admin/v1/tenants/{t}/saml/connections), on both
// databases: Okta- and Entra-shaped metadata uploaded, values typed in and a certificate rollover,
// invalid metadata refused naming what is wrong, metadata URLs fetched, refreshed (a failed refresh
// keeping the last good metadata, visible), bounded in size and time, redirects re-checked, private
// addresses refused by default, tenants kept apart, and a deleted tenant's connections gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { DEFAULTS } from '../../src/config/config.ts';
import { isForbiddenAddress } from '../../src/events/webhook-address-guard.ts';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { expectProblem, startAdminServer, type AdminTestServer, type Json } from '../support/admin.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/saml/metadata/${name}`, import.meta.url), 'utf8');
const der = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
const okta = fixture('okta.xml');
const entra = fixture('entra.xml');
const oktaPem = fixture('okta.pem');
const nextPem = fixture('entra-next.pem');
const expiredPem = fixture('expired.pem');
const OKTA_ENTITY = 'http://www.okta.com/exk1fcia6d6EMsf6P0h8';
const MAX_BYTES = 64 * 1024;
const TIMEOUT_MS = 1500;

/** Okta's metadata with these certificates in place of its own. */
const oktaWith = (pems: string[]) => okta.replace(/<md:KeyDescriptor[\s\S]*<\/md:KeyDescriptor>/,
  pems.map((p) => `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${der(p)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`).join(''));

/** An IdP's web server on 127.0.0.1 serving metadata as each test sets it, per path. */
interface MetadataServer { url: string; routes: Map<string, (res: ServerResponse) => void>; hits: string[]; close(): Promise<void> }
async function metadataServer(): Promise<MetadataServer> {
  const routes = new Map<string, (res: ServerResponse) => void>();
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const route = routes.get(req.url ?? '');
    if (route) route(res);
    else { res.writeHead(404); res.end(); }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`, routes, hits,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
const serve = (body: string, status = 200) => (res: ServerResponse) => { res.writeHead(status, { 'content-type': 'application/samlmetadata+xml' }); res.end(body); };

let server: AdminTestServer;
let strict: AdminTestServer;
let idp: MetadataServer;
const clock = new ManualClock(Date.now());
let counter = 0;

before(async () => {
  idp = await metadataServer();
  server = await startAdminServer({
    config: { saml: { ...DEFAULTS.saml, metadataAllowHttp: true, metadataAllowPrivateAddresses: true, metadataMaxBytes: MAX_BYTES, metadataTimeoutMs: TIMEOUT_MS } },
    server: { clock },
  });
  // Production defaults: https only, no private addresses.
  strict = await startAdminServer();
});
after(async () => {
  await server?.close();
  await strict?.close();
  await idp?.close();
});

async function tenant(s: AdminTestServer = server): Promise<string> {
  const slug = `sc${process.pid}x${++counter}`;
  await s.createTenant(slug);
  return slug;
}

const create = (slug: string, body: unknown, s: AdminTestServer = server) => s.admin('POST', `/tenants/${slug}/saml/connections`, { body });

test("Okta's metadata uploaded: the IdP's values, its certificate described, the SP values to enter at Okta, defaults, audited", async () => {
  const slug = await tenant();
  const res = await create(slug, { name: 'Okta', metadataXml: okta });
  assert.equal(res.status, 201, res.text);
  const c: Json = res.body;
  assert.match(c.id, /^saml_/);
  assert.equal(c.name, 'Okta');
  assert.equal(c.entityId, OKTA_ENTITY);
  assert.equal(c.ssoUrl, 'https://dev-123456.okta.com/app/dev-123456_rollcall_1/exk1fcia6d6EMsf6P0h8/sso/saml');
  assert.equal(c.certificates.length, 1);
  assert.match(c.certificates[0].fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.match(c.certificates[0].subject, /CN=dev-123456/);
  assert.equal(c.certificates[0].expired, false);
  assert.equal(der(c.certificates[0].pem), der(oktaPem));
  assert.deepEqual({ signed: c.signed, allowSha1: c.allowSha1, idpInitiated: c.idpInitiated, enabled: c.enabled, metadataUrl: c.metadataUrl, refreshError: c.refreshError },
    { signed: 'either', allowSha1: false, idpInitiated: false, enabled: true, metadataUrl: null, refreshError: null });
  const publicUrl = server.baseUrl;
  assert.deepEqual(c.sp, {
    entityId: `${publicUrl}/saml/${slug}/metadata`, acsUrl: `${publicUrl}/saml/${slug}/acs`,
    metadataUrl: `${publicUrl}/saml/${slug}/metadata`, loginUrl: `${publicUrl}/saml/${slug}/login`,
  });
  assert.deepEqual(c.warnings, []);

  const got = await server.admin('GET', `/tenants/${slug}/saml/connections/${c.id}`);
  assert.equal(got.status, 200, got.text);
  assert.deepEqual(got.body, c);
  const list = await server.admin('GET', `/tenants/${slug}/saml/connections`);
  assert.deepEqual(list.body, { data: [c], next: null });
  const audit = await server.admin('GET', `/audit?tenant=${slug}&action=samlConnection.create`);
  assert.equal(audit.body.data.length, 1);
  assert.equal(audit.body.data[0].targetId, c.id);
  assert.equal(audit.body.data[0].summary.entityId, OKTA_ENTITY);
});

test("Entra's metadata uploaded: both signing certificates of the IdP descriptor (rollover), options as given", async () => {
  const slug = await tenant();
  const res = await create(slug, { name: 'Entra ID', metadataXml: entra, signed: 'both', idpInitiated: true, enabled: false });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.entityId, 'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/');
  assert.deepEqual(res.body.certificates.map((x: Json) => x.subject), ['CN=Microsoft Azure Federated SSO Certificate', 'CN=Microsoft Azure Federated SSO Certificate Next']);
  assert.deepEqual([res.body.signed, res.body.idpInitiated, res.body.enabled], ['both', true, false]);
});

test('the metadata file itself may be the body (application/samlmetadata+xml or application/xml), named in the query', async () => {
  const slug = await tenant();
  const path = `/tenants/${slug}/saml/connections`;
  const res = await server.admin('POST', `${path}?name=Okta`, { raw: okta, headers: { 'content-type': 'application/samlmetadata+xml' } });
  assert.equal(res.status, 201, res.text);
  assert.deepEqual([res.body.name, res.body.entityId], ['Okta', OKTA_ENTITY]);
  const xml = await server.admin('POST', `${path}?name=Entra`, { raw: entra, headers: { 'content-type': 'application/xml; charset=utf-8' } });
  assert.equal(xml.status, 201, xml.text);
  expectProblem(await server.admin('POST', path, { raw: okta, headers: { 'content-type': 'application/samlmetadata+xml' } }), 400, { field: 'name', detail: /\?name=/ });
  const bad = expectProblem(await server.admin('POST', `${path}?name=Bad`, { raw: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', headers: { 'content-type': 'application/xml' } }), 400, { field: 'metadataXml' }) as Json;
  assert.equal(bad.reason, 'doctype');
  expectProblem(await server.admin('POST', `${path}?name=Query`, { body: { name: 'Body', metadataXml: okta } }), 400, { field: 'name' });
  expectProblem(await server.admin('POST', `/tenants/${slug}/tokens`, { raw: okta, headers: { 'content-type': 'application/xml' } }), 415);
});

test('typed in by hand, then a certificate rollover: both accepted during the overlap, then the old one removed', async () => {
  const slug = await tenant();
  const res = await create(slug, { name: 'ADFS', entityId: 'http://adfs.example.com/adfs/services/trust', ssoUrl: 'https://adfs.example.com/adfs/ls/', certificates: [oktaPem] });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.certificates.length, 1);
  const both = await server.admin('PATCH', `/tenants/${slug}/saml/connections/${res.body.id}`, { body: { certificates: [oktaPem, der(nextPem)] } });
  assert.equal(both.status, 200, both.text);
  assert.equal(both.body.certificates.length, 2);
  const stored = await server.running.store.getSamlConnection((await server.running.store.findTenantBySlug(slug))!.id, res.body.id);
  assert.deepEqual(stored!.certificates, [der(oktaPem), der(nextPem)], 'stored as base64 DER, as the signature check takes them');
  const after = await server.admin('PATCH', `/tenants/${slug}/saml/connections/${res.body.id}`, { body: { certificates: [nextPem], name: 'ADFS 2' } });
  assert.equal(after.status, 200, after.text);
  assert.deepEqual([after.body.name, after.body.certificates.length, after.body.entityId], ['ADFS 2', 1, 'http://adfs.example.com/adfs/services/trust']);
  const audit = await server.admin('GET', `/audit?tenant=${slug}&action=samlConnection.update`);
  assert.equal(audit.body.data.length, 2);
  assert.equal(audit.body.data[1].summary.certificates.length, 2, 'the audit names the certificates trusted after the change');
});

test('invalid metadata is refused naming what is wrong: not XML, an entity expansion, no signing certificate, an expired one', async () => {
  const slug = await tenant();
  const cases: [unknown, string, string, RegExp][] = [
    ['{"hello": "world"}', 'metadataXml', 'not_xml', /not SAML metadata/],
    ['<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>', 'metadataXml', 'doctype', /DOCTYPE/],
    [oktaWith([]), 'metadataXml', 'no_signing_certificate', /no signing certificate/],
    [oktaWith([expiredPem]), 'metadataXml', 'expired_certificate', /expired.*Renew/],
    ['<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.example.com"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>', 'metadataXml', 'no_idp_descriptor', /IDPSSODescriptor/],
    [okta.padEnd(MAX_BYTES + 10, ' '), 'metadataXml', 'too_large', /larger than/],
  ];
  for (const [xml, field, reason, detail] of cases) {
    const p = expectProblem(await create(slug, { name: 'bad', metadataXml: xml }), 400, { type: 'invalid-value', field, detail }) as Json;
    assert.equal(p.reason, reason);
  }
  // Some expired, some valid: the valid kept, the expired named in a warning.
  const mixed = await create(slug, { name: 'mixed', metadataXml: oktaWith([expiredPem, oktaPem]) });
  assert.equal(mixed.status, 201, mixed.text);
  assert.equal(mixed.body.certificates.length, 1);
  assert.match(mixed.body.warnings.join(' '), /Expired IdP Signing.*left out/);
  assert.deepEqual((await server.admin('GET', `/tenants/${slug}/saml/connections`)).body.data.map((c: Json) => c.name), ['mixed'], 'nothing refused was stored');
});

test('requests that cannot make a connection are 400s naming the field; a second connection of the same name is a 409', async () => {
  const slug = await tenant();
  expectProblem(await create(slug, { name: 'x' }), 400, { field: 'metadataXml' });
  expectProblem(await create(slug, { name: 'x', metadataXml: okta, ssoUrl: 'https://idp.example.com/sso' }), 400, { field: 'ssoUrl' });
  expectProblem(await create(slug, { name: 'x', metadataXml: okta, metadataUrl: `${idp.url}/okta` }), 400, { field: 'metadataUrl' });
  expectProblem(await create(slug, { name: 'x', entityId: 'https://idp', ssoUrl: 'https://idp.example.com/sso' }), 400, { field: 'certificates' });
  expectProblem(await create(slug, { name: 'x', entityId: 'https://idp', ssoUrl: 'javascript:alert(1)', certificates: [oktaPem] }), 400, { field: 'ssoUrl' });
  expectProblem(await create(slug, { name: 'x', entityId: 'https://idp', ssoUrl: 'https://idp.example.com/sso', certificates: ['MIIBnotacert'] }), 400, { field: 'certificates.0' });
  expectProblem(await create(slug, { name: 'x', entityId: 'https://idp', ssoUrl: 'https://idp.example.com/sso', certificates: [expiredPem] }), 400, { field: 'certificates.0', detail: /expired/ });
  expectProblem(await create(slug, { name: 'x', metadataXml: okta, signed: 'sometimes' }), 400, { field: 'signed' });
  expectProblem(await create(slug, { name: 'x', metadataXml: okta, colour: 'blue' }), 400, { field: 'colour' });
  expectProblem(await create(slug, { name: 'x', metadataXml: 'a\u0000b' }), 400, { field: 'metadataXml' });
  assert.equal((await create(slug, { name: 'Okta', metadataXml: okta })).status, 201);
  expectProblem(await create(slug, { name: 'Okta', metadataXml: entra }), 409, { type: 'conflict', field: 'name' });
  expectProblem(await create('no-such-tenant', { name: 'Okta', metadataXml: okta }), 404);
});

test("another tenant's connection is a 404 everywhere; a read key reads but cannot change", async () => {
  const mine = await tenant();
  const theirs = await tenant();
  const c = (await create(mine, { name: 'Okta', metadataXml: okta })).body;
  for (const [method, suffix, body] of [['GET', '', undefined], ['PATCH', '', { name: 'stolen' }], ['DELETE', '', undefined], ['POST', '/refresh', undefined]] as const) {
    expectProblem(await server.admin(method, `/tenants/${theirs}/saml/connections/${c.id}${suffix}`, { body }), 404, { type: 'not-found' });
  }
  assert.deepEqual((await server.admin('GET', `/tenants/${theirs}/saml/connections`)).body.data, []);
  assert.equal((await server.admin('GET', `/tenants/${mine}/saml/connections/${c.id}`)).body.name, 'Okta', 'untouched');
  assert.equal((await server.admin('GET', `/tenants/${mine}/saml/connections`, { key: server.readKey })).status, 200);
  expectProblem(await server.admin('POST', `/tenants/${mine}/saml/connections`, { key: server.readKey, body: { name: 'R', metadataXml: okta } }), 403);
  expectProblem(await server.admin('DELETE', `/tenants/${mine}/saml/connections/${c.id}`, { key: server.readKey }), 403);
  expectProblem(await server.admin('GET', `/tenants/${mine}/saml/connections/saml_nope`), 404);
});

test('a connection is deleted, and deleting the tenant deletes its connections', async () => {
  const slug = await tenant();
  const a = (await create(slug, { name: 'A', metadataXml: okta })).body;
  await create(slug, { name: 'B', metadataXml: entra });
  assert.equal((await server.admin('DELETE', `/tenants/${slug}/saml/connections/${a.id}`)).status, 204);
  expectProblem(await server.admin('GET', `/tenants/${slug}/saml/connections/${a.id}`), 404);
  expectProblem(await server.admin('DELETE', `/tenants/${slug}/saml/connections/${a.id}`), 404);
  const tenantId = (await server.running.store.findTenantBySlug(slug))!.id;
  assert.equal((await server.admin('DELETE', `/tenants/${slug}?confirm=${slug}`)).status, 200);
  assert.deepEqual(await server.query('SELECT id FROM saml_connections WHERE tenant_id = ?', [tenantId]), []);
});

test('from a metadata URL: fetched at once, refreshed when due (new certificate audited), a failed refresh keeps the last good metadata and shows why', async () => {
  const slug = await tenant();
  idp.routes.set('/refresh/okta', serve(okta));
  const res = await create(slug, { name: 'Okta', metadataUrl: `${idp.url}/refresh/okta` });
  assert.equal(res.status, 201, res.text);
  const id = res.body.id;
  assert.equal(res.body.metadataUrl, `${idp.url}/refresh/okta`);
  assert.equal(res.body.refreshedAt, new Date(clock.now()).toISOString());
  assert.equal(Date.parse(res.body.nextRefreshAt) - clock.now(), DEFAULTS.saml.metadataRefreshMs);

  // Not due yet: nothing fetched.
  const hits = idp.hits.length;
  await server.running.metadataRefresher.refreshDue();
  assert.equal(idp.hits.length, hits);

  // The IdP announces its next certificate; a day later the refresh picks it up.
  idp.routes.set('/refresh/okta', serve(oktaWith([oktaPem, nextPem])));
  clock.advance(DEFAULTS.saml.metadataRefreshMs + 1000);
  await server.running.metadataRefresher.refreshDue();
  const refreshed = (await server.admin('GET', `/tenants/${slug}/saml/connections/${id}`)).body;
  assert.equal(refreshed.certificates.length, 2);
  assert.equal(refreshed.refreshedAt, new Date(clock.now()).toISOString());
  const changed = await server.admin('GET', `/audit?tenant=${slug}&action=samlConnection.metadataChanged`);
  assert.equal(changed.body.data.length, 1);
  assert.equal(changed.body.data[0].summary.certificates.length, 2);

  // The IdP's server fails: the last good metadata stays, the failure is visible, retried sooner.
  idp.routes.set('/refresh/okta', serve('oops', 500));
  clock.advance(DEFAULTS.saml.metadataRefreshMs + 1000);
  await server.running.metadataRefresher.refreshDue();
  const failed = (await server.admin('GET', `/tenants/${slug}/saml/connections/${id}`)).body;
  assert.equal(failed.certificates.length, 2, 'the last good certificates are kept');
  assert.equal(failed.entityId, OKTA_ENTITY);
  assert.match(failed.refreshError, /HTTP 500/);
  assert.equal(failed.refreshFailedAt, new Date(clock.now()).toISOString());
  assert.equal(failed.refreshedAt, refreshed.refreshedAt);
  assert.equal(Date.parse(failed.nextRefreshAt) - clock.now(), 15 * 60_000);

  // Metadata that fetches but is refused (all certificates expired) is a failed refresh too.
  idp.routes.set('/refresh/okta', serve(oktaWith([expiredPem])));
  const refused = await server.admin('POST', `/tenants/${slug}/saml/connections/${id}/refresh`);
  assert.equal(refused.status, 200, refused.text);
  assert.match(refused.body.refreshError, /expired/);
  assert.equal(refused.body.certificates.length, 2);

  // "Refresh now" once the IdP is back: the error clears.
  idp.routes.set('/refresh/okta', serve(okta));
  const now = await server.admin('POST', `/tenants/${slug}/saml/connections/${id}/refresh`);
  assert.equal(now.status, 200, now.text);
  assert.equal(now.body.refreshError, null);
  assert.equal(now.body.refreshFailedAt, null);
  assert.equal(now.body.certificates.length, 1);
  const refreshes = await server.admin('GET', `/audit?tenant=${slug}&action=samlConnection.refresh`);
  assert.deepEqual(refreshes.body.data.map((e: Json) => e.summary.ok), [true, false]);
});

test('values typed in on a URL connection are refused (the refresh would undo them) unless the URL goes too; an uploaded connection has nothing to refresh', async () => {
  const slug = await tenant();
  idp.routes.set('/typed/okta', serve(okta));
  const c = (await create(slug, { name: 'Okta', metadataUrl: `${idp.url}/typed/okta` })).body;
  expectProblem(await server.admin('PATCH', `/tenants/${slug}/saml/connections/${c.id}`, { body: { certificates: [nextPem] } }), 409, { type: 'conflict', field: 'certificates' });
  const manual = await server.admin('PATCH', `/tenants/${slug}/saml/connections/${c.id}`, { body: { certificates: [nextPem], metadataUrl: null } });
  assert.equal(manual.status, 200, manual.text);
  assert.deepEqual([manual.body.metadataUrl, manual.body.nextRefreshAt, manual.body.certificates.length], [null, null, 1]);
  const p = expectProblem(await server.admin('POST', `/tenants/${slug}/saml/connections/${c.id}/refresh`), 409, { field: 'metadataUrl' }) as Json;
  assert.equal(p.reason, 'no_metadata_url');
  // Uploading XML to it later replaces the values.
  const upload = await server.admin('PATCH', `/tenants/${slug}/saml/connections/${c.id}`, { body: { metadataXml: entra } });
  assert.equal(upload.status, 200, upload.text);
  assert.equal(upload.body.certificates.length, 2);
});

test('metadata URLs are bounded: too large, too slow, an error status, redirects followed a few times and each re-checked', async () => {
  const slug = await tenant();
  idp.routes.set('/large', serve(okta.padEnd(MAX_BYTES * 4, ' ')));
  idp.routes.set('/large-chunked', (res) => { res.writeHead(200); for (let i = 0; i < 100; i++) res.write(' '.repeat(4096)); res.end(okta); });
  idp.routes.set('/never', () => { /* holds the request open, answering nothing */ });
  idp.routes.set('/trickle', (res) => { res.writeHead(200); res.write('<md:EntityDescriptor'); });
  idp.routes.set('/missing', serve('not here', 404));
  idp.routes.set('/moved', (res) => { res.writeHead(302, { location: '/final' }); res.end(); });
  idp.routes.set('/final', serve(okta));
  idp.routes.set('/loop', (res) => { res.writeHead(301, { location: '/loop' }); res.end(); });
  idp.routes.set('/to-file', (res) => { res.writeHead(302, { location: 'file:///etc/passwd' }); res.end(); });
  const reasons: [string, string, RegExp][] = [
    ['/large', 'too_large', /larger than 65536 bytes/],
    ['/large-chunked', 'too_large', /larger than/],
    ['/never', 'timeout', new RegExp(`within ${TIMEOUT_MS} ms`)],
    ['/trickle', 'timeout', /did not send/],
    ['/missing', 'status', /HTTP 404/],
    ['/loop', 'redirect', /more than 3 times/],
    ['/to-file', 'redirect', /file:/],
  ];
  for (const [path, reason, detail] of reasons) {
    const p = expectProblem(await create(slug, { name: 'x', metadataUrl: `${idp.url}${path}` }), 400, { field: 'metadataUrl', detail }) as Json;
    assert.equal(p.reason, reason, path);
  }
  const moved = await create(slug, { name: 'moved', metadataUrl: `${idp.url}/moved` });
  assert.equal(moved.status, 201, moved.text);
  assert.equal(moved.body.metadataUrl, `${idp.url}/moved`, 'the URL given is kept: the redirect is followed again at each refresh');
});

test('by default, http:// and loopback or private addresses are refused, also by a name that resolves to one; nothing is fetched', async () => {
  const slug = await tenant(strict);
  idp.routes.set('/strict', serve(okta));
  const before = idp.hits.length;
  const port = new URL(idp.url).port;
  expectProblem(await create(slug, { name: 'x', metadataUrl: `http://127.0.0.1:${port}/strict` }, strict), 400, { field: 'metadataUrl', detail: /https:\/\/.*ROLLCALL_SAML_METADATA_ALLOW_HTTP/ });
  for (const url of [`https://127.0.0.1:${port}/strict`, `https://localhost:${port}/strict`, 'https://169.254.169.254/latest/meta-data', 'https://[::1]/x', 'https://10.0.0.1/x']) {
    const p = expectProblem(await create(slug, { name: 'x', metadataUrl: url }, strict), 400, { field: 'metadataUrl', detail: /ROLLCALL_SAML_METADATA_ALLOW_PRIVATE_ADDRESSES/ }) as Json;
    assert.equal(p.reason, 'address', url);
  }
  // A name that is not "localhost" but resolves to a forbidden address is caught after DNS.
  const name = hostname();
  const resolved = await lookup(name, { all: true }).catch(() => []);
  if (resolved.length && resolved.some((a) => isForbiddenAddress(a.address))) {
    const p = expectProblem(await create(slug, { name: 'x', metadataUrl: `https://${name}:${port}/strict` }, strict), 400, { field: 'metadataUrl', detail: /Refused to fetch from/ }) as Json;
    assert.equal(p.reason, 'address');
  }
  assert.equal(idp.hits.length, before, 'the IdP server was never reached');
});
