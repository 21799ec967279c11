// Hostile values through the real server, on SQLite and (in the PostgreSQL pass) PostgreSQL alike:
// NUL characters and unpaired surrogates, a JSON-kept boolean sub-attribute in a filter, oversized
// attributes, null members and CONNECT. Each once answered 500 on PostgreSQL, was silently accepted,
// or dropped the connection (issue 8, item 10). Never a 500: a clear 400, or 404 / 401 where the
// value cannot name anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

let server: TestServer;

before(async () => { server = await startTestServer(); });
after(async () => { await server?.close(); });

interface Opts { body?: unknown; raw?: string; token?: string | null; base?: string }

async function call(method: string, path: string, opts: Opts = {}): Promise<{ status: number; body: Record<string, unknown> | undefined; text: string }> {
  const headers: Record<string, string> = {};
  if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? server.token}`;
  const body = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (body !== undefined) headers['content-type'] = 'application/scim+json';
  const res = await fetch((opts.base ?? server.scimUrl) + path, { method, headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> | undefined;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, body: parsed, text };
}

/** A SCIM error of this status (and scimType); returns its detail. */
function scimError(res: { status: number; body?: Record<string, unknown>; text: string }, status: number, scimType?: string): string {
  assert.equal(res.status, status, res.text.slice(0, 300));
  assert.deepEqual(res.body?.schemas, [ERROR_URN], res.text.slice(0, 300));
  if (scimType) assert.equal(res.body?.scimType, scimType, res.text.slice(0, 300));
  return String(res.body?.detail);
}

const filterUrl = (endpoint: string, filter: string) => `/${endpoint}?filter=${encodeURIComponent(filter)}`;

test('a NUL or an unpaired surrogate in a filter value is 400 invalidFilter on every endpoint', async () => {
  for (const filter of ['userName eq "a\\u0000b"', 'emails[value eq "\\u0000"]', 'title co "\\ud800"', 'addresses.locality sw "x\\u0000"', 'id eq "\\u0000"']) {
    scimError(await call('GET', filterUrl('Users', filter)), 400, 'invalidFilter');
    scimError(await call('POST', '/Users/.search', { body: { filter } }), 400, 'invalidFilter');
    scimError(await call('POST', '/.search', { body: { filter } }), 400, 'invalidFilter');
  }
  scimError(await call('GET', filterUrl('Groups', 'displayName eq "\\u0000"')), 400, 'invalidFilter');
  scimError(await call('GET', filterUrl('Groups', 'members[value eq "\\u0000"]')), 400, 'invalidFilter');
  // A raw NUL (percent-encoded in the URL) is not even a filter character.
  scimError(await call('GET', '/Users?filter=userName%20eq%20%22a%00b%22'), 400, 'invalidFilter');
  scimError(await call('GET', '/Users?filter=userName%00eq%20%22a%22'), 400, 'invalidFilter');
});

test('a resource id holding a NUL names nothing: 404 for every method', async () => {
  const created = await call('POST', '/Users', { body: { userName: 'nul-id-target' } });
  const id = String(created.body?.id);
  for (const endpoint of ['Users', 'Groups']) {
    for (const bad of ['%00', `${id}%00`, 'a%00b']) {
      scimError(await call('GET', `/${endpoint}/${bad}`), 404);
      scimError(await call('PUT', `/${endpoint}/${bad}`, { body: { userName: 'x', displayName: 'x' } }), 404);
      scimError(await call('PATCH', `/${endpoint}/${bad}`, { body: { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'displayName', value: 'x' }] } }), 404);
      scimError(await call('DELETE', `/${endpoint}/${bad}`), 404);
    }
  }
  // A lone surrogate cannot be percent-encoded as UTF-8 at all: the URL itself is refused.
  scimError(await call('GET', '/Users/%ED%A0%80'), 400);
  assert.equal((await call('GET', `/Users/${id}`)).status, 200, 'the real user is untouched');
});

test('a tenant slug holding a NUL is 401, with or without a token, before any lookup can fail', async () => {
  const slug = new URL(server.scimUrl).pathname.split('/')[3];
  for (const bad of [`${slug}%00`, '%00', `a%00${slug}`]) {
    const base = `${server.baseUrl}/scim/v2/${bad}`;
    scimError(await call('GET', '/Users', { base }), 401);
    scimError(await call('GET', '/Users', { base, token: null }), 401);
    scimError(await call('POST', '/Users', { base, body: { userName: 'x' } }), 401);
    scimError(await call('GET', '/ServiceProviderConfig', { base }), 401);
  }
});

test('a stored string holding a NUL or an unpaired surrogate is 400 invalidValue on POST, PUT and PATCH; nothing is stored', async () => {
  const user = await call('POST', '/Users', { body: { userName: 'clean-user' } });
  const id = String(user.body?.id);
  const group = await call('POST', '/Groups', { body: { displayName: 'clean-group' } });
  const gid = String(group.body?.id);
  // Raw JSON text: "\ud800" cannot be produced by JSON.stringify of a well-formed string.
  for (const escaped of ['a\\u0000b', '\\u0000', 'x\\ud800', '\\udc00y']) {
    assert.match(scimError(await call('POST', '/Users', { raw: `{"userName": "${escaped}"}` }), 400, 'invalidValue'), /"userName"/);
    assert.match(scimError(await call('POST', '/Users', { raw: `{"userName": "ok-${Math.random()}", "name": {"givenName": "${escaped}"}}` }), 400, 'invalidValue'), /"name\.givenName"/);
    assert.match(scimError(await call('PUT', `/Users/${id}`, { raw: `{"userName": "clean-user", "title": "${escaped}"}` }), 400, 'invalidValue'), /"title"/);
    assert.match(scimError(await call('POST', '/Users', { raw: `{"userName": "ok-${Math.random()}", "emails": "${escaped}"}` }), 400, 'invalidValue'), /"emails\.value"/);
    assert.match(scimError(await call('PATCH', `/Users/${id}`, { raw: `{"schemas": ["${PATCH_URN}"], "Operations": [{"op": "add", "path": "emails", "value": [{"value": "${escaped}"}]}]}` }), 400, 'invalidValue'), /"emails/);
    assert.match(scimError(await call('POST', '/Groups', { raw: `{"displayName": "${escaped}"}` }), 400, 'invalidValue'), /"displayName"/);
    assert.match(scimError(await call('PATCH', `/Groups/${gid}`, { raw: `{"schemas": ["${PATCH_URN}"], "Operations": [{"op": "add", "path": "members", "value": [{"value": "${escaped}"}]}]}` }), 400, 'invalidValue'), /"members/);
  }
  const after = await call('GET', `/Users/${id}`);
  assert.equal(after.body?.title, undefined);
  assert.equal(after.body?.emails, undefined);
  assert.equal((await call('GET', filterUrl('Users', 'userName sw "ok-"'))).body?.totalResults, 0);
  // Edge strings that are storable come back exactly.
  const edgy = '😀 \u0001 \uffff literal \\u0000';
  const made = await call('POST', '/Users', { body: { userName: 'edgy-user', title: edgy } });
  assert.equal(made.status, 201);
  assert.equal((await call('GET', `/Users/${String(made.body?.id)}`)).body?.title, edgy);
  assert.equal((await call('GET', filterUrl('Users', `title eq ${JSON.stringify(edgy)}`))).body?.totalResults, 1);
});

test('addresses.primary (a boolean kept in the JSON document) filters as a boolean: eq, ne, inside [...]', async () => {
  const a = await call('POST', '/Users', { body: { userName: 'addr-primary', addresses: [{ type: 'work', locality: 'Oslo', primary: true }] } });
  const b = await call('POST', '/Users', { body: { userName: 'addr-secondary', addresses: [{ type: 'home', locality: 'Bergen', primary: false }] } });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  const names = async (filter: string) => {
    const res = await call('GET', filterUrl('Users', `userName sw "addr-" and ${filter}`));
    assert.equal(res.status, 200, res.text.slice(0, 300));
    return (res.body?.Resources as { userName: string }[]).map((r) => r.userName).sort();
  };
  assert.deepEqual(await names('addresses.primary eq true'), ['addr-primary']);
  assert.deepEqual(await names('addresses.primary ne true'), ['addr-secondary']);
  assert.deepEqual(await names('addresses[primary eq false]'), ['addr-secondary']);
  assert.deepEqual(await names('addresses[type eq "work" and primary eq "True"]'), ['addr-primary']);
  scimError(await call('GET', filterUrl('Users', 'addresses.primary eq "maybe"')), 400, 'invalidFilter');
});

test('attribute size limits (defaults): a 2 MB title and 1,002 emails are 400 invalidValue naming the attribute', async () => {
  assert.match(scimError(await call('POST', '/Users', { body: { userName: 'big-title', title: 'x'.repeat(2 * 1024 * 1024) } }), 400, 'invalidValue'), /"title" is 2097152 characters long; this server accepts at most 65536/);
  const emails = Array.from({ length: 1002 }, (_, i) => ({ value: `u${i}@example.com` }));
  assert.match(scimError(await call('POST', '/Users', { body: { userName: 'many-emails', emails } }), 400, 'invalidValue'), /"emails" has 1002 values; this server accepts at most 1000/);
  assert.equal((await call('GET', filterUrl('Users', 'userName eq "big-title" or userName eq "many-emails"'))).body?.totalResults, 0, 'nothing was stored');
  assert.equal((await call('POST', '/Users', { body: { userName: 'at-the-limit', title: 'x'.repeat(65_536), emails: emails.slice(0, 1000) } })).status, 201);
});

test('configured limits apply to POST, PUT and PATCH results; group members are not counted', async () => {
  const small = await startTestServer({ config: { attributeLimits: { maxStringLength: 300, maxValues: 3 } } });
  const c = (method: string, path: string, opts: Opts = {}) => call(method, path, { base: small.scimUrl, token: small.token, ...opts });
  try {
    const three = [{ value: 'a@x.com' }, { value: 'b@x.com' }, { value: 'c@x.com' }];
    const u = await c('POST', '/Users', { body: { userName: 'limited', emails: three } });
    assert.equal(u.status, 201, u.text);
    const id = String(u.body?.id);
    assert.match(scimError(await c('POST', '/Users', { body: { userName: 'long', displayName: 'x'.repeat(301) } }), 400, 'invalidValue'), /"displayName" is 301 characters/);
    assert.match(scimError(await c('PUT', `/Users/${id}`, { body: { userName: 'limited', emails: [...three, { value: 'd@x.com' }] } }), 400, 'invalidValue'), /"emails" has 4 values; this server accepts at most 3/);
    assert.match(scimError(await c('PATCH', `/Users/${id}`, { body: { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'emails', value: [{ value: 'd@x.com' }] }] } }), 400, 'invalidValue'), /"emails" has 4 values/);
    assert.match(scimError(await c('PATCH', `/Users/${id}`, { body: { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'name.familyName', value: 'y'.repeat(400) }] } }), 400, 'invalidValue'), /"name\.familyName" is 400 characters/);
    assert.equal(((await c('GET', `/Users/${id}`)).body?.emails as unknown[]).length, 3, 'the refused writes changed nothing');
    // Five members, over maxValues: members are not limited by it, on POST, PUT or PATCH.
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(String((await c('POST', '/Users', { body: { userName: `member-${i}` } })).body?.id));
    const g = await c('POST', '/Groups', { body: { displayName: 'big-enough', members: ids.slice(0, 5).map((value) => ({ value })) } });
    assert.equal(g.status, 201, g.text);
    const gid = String(g.body?.id);
    assert.equal((await c('PUT', `/Groups/${gid}`, { body: { displayName: 'big-enough', members: ids.slice(1).map((value) => ({ value })) } })).status, 200);
    const patched = await c('PATCH', `/Groups/${gid}?attributes=members`, { body: { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [{ value: ids[0] }] }] } });
    assert.ok(patched.status === 200 || patched.status === 204, patched.text);
    assert.equal(((await c('GET', `/Groups/${gid}`)).body?.members as unknown[]).length, 6);
    assert.match(scimError(await c('POST', '/Groups', { body: { displayName: 'g'.repeat(301) } }), 400, 'invalidValue'), /"displayName" is 301/);
  } finally {
    await small.close();
  }
});

test('the limits are read from ROLLCALL_MAX_STRING_LENGTH and ROLLCALL_MAX_ATTRIBUTE_VALUES, and validated', () => {
  assert.deepEqual(loadConfig({}, {}).attributeLimits, { maxStringLength: 65_536, maxValues: 1000 });
  assert.deepEqual(loadConfig({}, { ROLLCALL_MAX_STRING_LENGTH: '1024' }).attributeLimits, { maxStringLength: 1024, maxValues: 1000 });
  assert.deepEqual(loadConfig({}, { ROLLCALL_MAX_ATTRIBUTE_VALUES: '50' }).attributeLimits, { maxStringLength: 65_536, maxValues: 50 });
  assert.throws(() => loadConfig({}, { ROLLCALL_MAX_STRING_LENGTH: '10' }), ConfigError);
  assert.throws(() => loadConfig({}, { ROLLCALL_MAX_ATTRIBUTE_VALUES: 'many' }), ConfigError);
});

test('members: [null] (or an empty member) on POST and PUT /Groups is 400 invalidValue, and the group keeps its members', async () => {
  const u = await call('POST', '/Users', { body: { userName: 'null-member-target' } });
  const uid = String(u.body?.id);
  for (const members of [[null], [{ value: uid }, null], [''], [{ value: null }]]) {
    scimError(await call('POST', '/Groups', { body: { displayName: `null-members-${Math.random()}`, members } }), 400, 'invalidValue');
  }
  const g = await call('POST', '/Groups', { body: { displayName: 'keeps-members', members: [{ value: uid }] } });
  const gid = String(g.body?.id);
  assert.match(scimError(await call('PUT', `/Groups/${gid}`, { body: { displayName: 'keeps-members', members: [null] } }), 400, 'invalidValue'), /"members" holds null at position 1/);
  scimError(await call('PATCH', `/Groups/${gid}`, { body: { schemas: [PATCH_URN], Operations: [{ op: 'add', path: 'members', value: [null] }] } }), 400, 'invalidValue');
  assert.deepEqual(((await call('GET', `/Groups/${gid}`)).body?.members as { value: string }[]).map((m) => m.value), [uid]);
  assert.equal((await call('GET', filterUrl('Groups', 'displayName sw "null-members-"'))).body?.totalResults, 0);
});

test('a CONNECT request is answered with a SCIM error (501), not a dropped connection', async () => {
  const { port, hostname } = new URL(server.baseUrl);
  for (const target of ['example.com:443', `${hostname}:${port}`, '/scim/v2/x/Users']) {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let data = '';
      socket.setTimeout(5000, () => { socket.destroy(); reject(new Error('no answer within 5 s')); });
      socket.on('data', (d) => { data += d.toString('utf8'); });
      socket.on('error', reject);
      socket.on('close', () => resolve(data));
      socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\nAuthorization: Bearer ${server.token}\r\n\r\n`);
    });
    assert.match(reply, /^HTTP\/1\.1 501 /, reply);
    assert.match(reply, /content-type: application\/scim\+json/i);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(body.schemas, [ERROR_URN]);
    assert.equal(body.status, '501');
    assert.match(body.detail, /CONNECT is not supported/);
  }
  assert.equal((await call('GET', '/Users?count=1')).status, 200, 'the server still answers');
});

test('a repeated attributes / excludedAttributes query parameter is one list, not a 500 (found by the fuzz test)', async () => {
  const made = await call('POST', '/Users', { body: { userName: 'repeated-params', title: 'T', displayName: 'D' } });
  const id = String(made.body?.id);
  const one = await call('GET', `/Users/${id}?attributes=title&attributes=displayName`);
  assert.equal(one.status, 200, one.text);
  assert.equal(one.body?.title, 'T');
  assert.equal(one.body?.displayName, 'D');
  const two = await call('GET', `/Users/${id}?excludedAttributes=title&excludedAttributes=displayName`);
  assert.equal(two.status, 200, two.text);
  assert.equal(two.body?.title, undefined);
  assert.equal(two.body?.userName, 'repeated-params');
  const patched = await call('PATCH', `/Users/${id}?attributes=title&attributes=userName`, { body: { schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'title', value: 'U' }] } });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body?.title, 'U');
});
