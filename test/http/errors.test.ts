// The error contract of the HTTP edge: every failure a client can provoke is a SCIM error
// (RFC 7644 §3.12) with the right status, never a 500, never Fastify's own JSON shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/server.ts';
import { expectScimError } from '../support/scim-errors.ts';
import { PATCH_SCHEMA as PATCH_URN } from '../../src/scim/patch.ts';

let server: TestServer;
let auth: Record<string, string>;
let userId: string;

before(async () => {
  server = await startTestServer();
  auth = { authorization: `Bearer ${server.token}` };
  const res = await call('POST', '/Users', { body: JSON.stringify({ userName: 'errors-fixture' }) });
  assert.equal(res.status, 201);
  userId = (await res.json() as { id: string }).id;
});
after(async () => { await server?.close(); });

interface CallOpts { body?: string; headers?: Record<string, string>; base?: string; noAuth?: boolean }

function call(method: string, path: string, opts: CallOpts = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(opts.noAuth ? {} : auth) };
  if (opts.body !== undefined) headers['content-type'] = 'application/scim+json';
  Object.assign(headers, opts.headers);
  return fetch((opts.base ?? server.scimUrl) + path, { method, headers, body: opts.body });
}

// ---------------------------------------------------------------- bodies

test('a malformed JSON body is 400 invalidSyntax', async () => {
  await expectScimError(await call('POST', '/Users', { body: '{"userName": "x",' }), 400, 'invalidSyntax');
  await expectScimError(await call('PUT', `/Users/${userId}`, { body: "{'userName': 'x'}" }), 400, 'invalidSyntax');
  await expectScimError(await call('PATCH', `/Users/${userId}`, { body: '{"schemas": [' }), 400, 'invalidSyntax');
});

test('a body over the configured limit is 413 and nothing is created', async () => {
  const small = await startTestServer({ config: { bodyLimitBytes: 2048 } });
  try {
    const headers = { authorization: `Bearer ${small.token}`, 'content-type': 'application/scim+json' };
    const big = JSON.stringify({ userName: 'big', displayName: 'x'.repeat(4000) });
    const res = await fetch(`${small.scimUrl}/Users`, { method: 'POST', headers, body: big });
    await expectScimError(res, 413, undefined, /2048/); // the detail names the limit
    // Just under the limit is fine, so the limit is the configured one and not something smaller.
    const ok = await fetch(`${small.scimUrl}/Users`, { method: 'POST', headers, body: JSON.stringify({ userName: 'small', displayName: 'x'.repeat(1500) }) });
    assert.equal(ok.status, 201);
    const list = await fetch(`${small.scimUrl}/Users`, { headers });
    assert.equal((await list.json() as { totalResults: number }).totalResults, 1, 'the oversized user was not created');
  } finally {
    await small.close();
  }
});

test('application/json and application/scim+json request bodies are both accepted', async () => {
  for (const [i, type] of ['application/scim+json', 'application/json', 'application/scim+json; charset=utf-8', 'application/json; charset=UTF-8'].entries()) {
    const res = await call('POST', '/Users', { body: JSON.stringify({ userName: `ctype-${i}` }), headers: { 'content-type': type } });
    assert.equal(res.status, 201, `${type}: ${await res.clone().text()}`);
    assert.equal((await res.json() as { userName: string }).userName, `ctype-${i}`);
  }
});

test('a GET or DELETE carrying a Content-Type header but no body is accepted', async () => {
  const get = await call('GET', '/Users', { headers: { 'content-type': 'application/scim+json' } });
  assert.equal(get.status, 200);
  const getOne = await call('GET', `/Users/${userId}`, { headers: { 'content-type': 'application/json' } });
  assert.equal(getOne.status, 200);
  const created = await call('POST', '/Users', { body: JSON.stringify({ userName: 'delete-with-ctype' }) });
  const id = (await created.json() as { id: string }).id;
  const del = await call('DELETE', `/Users/${id}`, { headers: { 'content-type': 'application/scim+json' } });
  assert.equal(del.status, 204);
});

test('responses are application/scim+json', async () => {
  for (const path of ['/Users', `/Users/${userId}`, '/Groups', '/ServiceProviderConfig', '/Schemas', '/ResourceTypes']) {
    const res = await call('GET', path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /^application\/scim\+json/, path);
    await res.arrayBuffer();
  }
});

test('a trailing slash is accepted', async () => {
  const list = await call('GET', '/Users/');
  assert.equal(list.status, 200);
  assert.ok((await list.json() as { totalResults: number }).totalResults >= 1);
  const one = await call('GET', `/Users/${userId}/`);
  assert.equal(one.status, 200);
  assert.equal((await one.json() as { id: string }).id, userId);
  const spc = await call('GET', '/ServiceProviderConfig/');
  assert.equal(spc.status, 200);
  await spc.arrayBuffer();
});

test('a base URL pasted with a trailing slash (…/<slug>//Users) and a slug in capitals reach the tenant (the IdP guides say so)', async () => {
  const slug = new URL(server.scimUrl).pathname.split('/').pop()!;
  const root = `${server.baseUrl}/scim/v2`;
  for (const url of [`${server.scimUrl}//Users`, `${root}//${slug}/Users`, `${root}/${slug.toUpperCase()}/Users`, `${root}/${slug.toUpperCase()}//Users/${userId}`]) {
    const res = await fetch(url, { headers: auth });
    assert.equal(res.status, 200, `${url}: ${await res.clone().text()}`);
    const body = await res.json() as { totalResults?: number; id?: string };
    assert.ok(body.id === userId || (body.totalResults ?? 0) >= 1, url);
  }
});

// ---------------------------------------------------------------- routes and methods

test('an unknown route under /scim is a 404 SCIM error; elsewhere a plain JSON 404', async () => {
  await expectScimError(await call('GET', '/Nope'), 404);
  await expectScimError(await call('POST', '/scim/v2', { base: server.baseUrl, body: '{}' }), 404);
  // The root is neutral: other surfaces (SAML, admin API, console) live beside SCIM with their own formats.
  const plain = await call('GET', '/nothing-here', { base: server.baseUrl });
  assert.equal(plain.status, 404);
  assert.match(plain.headers.get('content-type') ?? '', /^application\/json/);
  const body = await plain.json() as { statusCode: number; message: string };
  assert.equal(body.statusCode, 404);
  assert.match(body.message, /No such endpoint: GET \/nothing-here/);
});

test('a wrong method on a known endpoint is 405 with an Allow header', async () => {
  const cases: [string, string, string[]][] = [
    ['DELETE', '/Users', ['GET', 'POST']],
    ['PUT', '/Groups', ['GET', 'POST']],
    ['POST', `/Users/${userId}`, ['GET', 'PUT', 'PATCH', 'DELETE']],
    ['PUT', '/ServiceProviderConfig', ['GET']],
    ['DELETE', '/Schemas', ['GET']],
    ['GET', '/.search', ['POST']],
  ];
  for (const [method, path, allowed] of cases) {
    const res = await call(method, path, method === 'GET' || method === 'DELETE' ? {} : { body: '{}' });
    const allow = res.headers.get('allow');
    await expectScimError(res, 405);
    assert.ok(allow, `${method} ${path} carries Allow`);
    assert.deepEqual(allow.split(',').map((s) => s.trim()).sort(), [...allowed].sort(), `${method} ${path}`);
  }
});

test('a wrong method does not change the resource', async () => {
  const before = await (await call('GET', `/Users/${userId}`)).json() as { meta: { version: string } };
  await expectScimError(await call('POST', `/Users/${userId}`, { body: JSON.stringify({ userName: 'hijack' }) }), 405);
  const after = await (await call('GET', `/Users/${userId}`)).json() as { userName: string; meta: { version: string } };
  assert.equal(after.userName, 'errors-fixture');
  assert.equal(after.meta.version, before.meta.version);
});

test('/Me is a 501 Not Implemented SCIM error (/Bulk is supported: test/http/bulk.test.ts)', async () => {
  await expectScimError(await call('GET', '/Me'), 501);
});

// ---------------------------------------------------------------- list parameters

test('count=-5 is read as 0 and startIndex=0 as 1 (RFC 7644 §3.4.2.4)', async () => {
  const neg = await call('GET', '/Users?count=-5');
  assert.equal(neg.status, 200);
  const negBody = await neg.json() as { totalResults: number; Resources: unknown[]; itemsPerPage: number };
  assert.ok(negBody.totalResults >= 1);
  assert.deepEqual(negBody.Resources, []);
  assert.equal(negBody.itemsPerPage, 0);
  const zero = await call('GET', '/Users?startIndex=0');
  assert.equal(zero.status, 200);
  const zeroBody = await zero.json() as { startIndex: number; Resources: unknown[] };
  assert.equal(zeroBody.startIndex, 1);
  assert.ok(zeroBody.Resources.length >= 1);
});

test('hostile input: a startIndex past any integer the database holds is an empty page, not a 500', async () => {
  for (const path of ['/Users', '/Users?sortBy=userName', `/Users?filter=${encodeURIComponent('userName sw "a"')}`, '/Groups']) {
    const res = await call('GET', `${path}${path.includes('?') ? '&' : '?'}startIndex=${'9'.repeat(40)}&count=5`);
    const text = await res.text();
    assert.equal(res.status, 200, `${path}: ${text}`);
    const body = JSON.parse(text) as { totalResults: number; Resources: unknown[] };
    assert.deepEqual(body.Resources, [], path);
    assert.ok(body.totalResults >= 0, path);
  }
});

test('a non-integer count or startIndex is a 400 naming the parameter', async () => {
  await expectScimError(await call('GET', '/Users?count=abc'), 400, undefined, /count/);
  await expectScimError(await call('GET', '/Users?startIndex=1.5'), 400, undefined, /startIndex/);
});

test('sortBy naming an unknown attribute is a 400, not a 500 or a silent success', async () => {
  await expectScimError(await call('GET', '/Users?sortBy=noSuchAttribute'), 400, undefined, /noSuchAttribute/);
  await expectScimError(await call('GET', `/Users?sortBy=${encodeURIComponent('!!')}`), 400);
  await expectScimError(await call('GET', '/Users?sortOrder=sideways'), 400);
});

// ---------------------------------------------------------------- hostile inputs: 4xx, never 500

const ops = (n: number) => ({ schemas: [PATCH_URN], Operations: Array.from({ length: n }, (_, i) => ({ op: 'replace', path: 'displayName', value: `n${i}` })) });
const q = (filter: string) => `/Users?filter=${encodeURIComponent(filter)}`;

const hostile: { name: string; method: string; path: () => string; body?: () => string; scimType?: string }[] = [
  { name: 'a filter longer than the maximum', method: 'GET', path: () => q(`userName eq "${'a'.repeat(9000)}"`), scimType: 'invalidFilter' },
  { name: 'a filter nested 5000 deep (too long)', method: 'GET', path: () => q('('.repeat(5000) + 'userName eq "a"' + ')'.repeat(5000)), scimType: 'invalidFilter' },
  { name: 'a filter nested 1000 deep within the length limit', method: 'GET', path: () => q('('.repeat(1000) + 'userName eq "a"' + ')'.repeat(1000)), scimType: 'invalidFilter' },
  { name: 'a filter of 2000 chained "not"s', method: 'GET', path: () => q('not ('.repeat(1000) + 'userName eq "a"' + ')'.repeat(1000)), scimType: 'invalidFilter' },
  { name: 'a filter of 1000 ORs', method: 'POST', path: () => '/Users/.search', body: () => JSON.stringify({ filter: Array.from({ length: 1000 }, (_, i) => `userName eq "u${i}"`).join(' or ') }), scimType: 'invalidFilter' },
  { name: 'a 500,000-character filter in a /.search body', method: 'POST', path: () => '/.search', body: () => JSON.stringify({ filter: `userName eq "${'a'.repeat(500_000)}"` }), scimType: 'invalidFilter' },
  { name: 'a filter with NUL and control characters in a string', method: 'GET', path: () => q('userName eq "a\u0000\u0001b"'), scimType: 'invalidFilter' },
  { name: 'a filter with a NUL in the attribute name', method: 'GET', path: () => q('userName\u0000 eq "a"'), scimType: 'invalidFilter' },
  { name: 'a filter that is raw bad percent-encoding', method: 'GET', path: () => '/Users?filter=%E0%A4%A' },
  { name: 'a filter on an unknown attribute', method: 'GET', path: () => q('noSuchAttr eq "x"'), scimType: 'invalidFilter' },
  { name: 'a filter with an unterminated string', method: 'GET', path: () => q('userName eq "abc'), scimType: 'invalidFilter' },
  { name: 'a body with __proto__', method: 'POST', path: () => '/Users', body: () => '{"userName":"proto","__proto__":{"isAdmin":true}}' },
  { name: 'a body with nested constructor.prototype', method: 'POST', path: () => '/Users', body: () => '{"userName":"proto2","name":{"constructor":{"prototype":{"polluted":1}}}}' },
  { name: 'an array as the body', method: 'POST', path: () => '/Users', body: () => '[{"userName":"arr"}]', scimType: 'invalidValue' },
  { name: 'a string as the body', method: 'POST', path: () => '/Users', body: () => '"userName"', scimType: 'invalidValue' },
  { name: 'null as the body', method: 'POST', path: () => '/Groups', body: () => 'null' },
  { name: 'a number as a PUT body', method: 'PUT', path: () => `/Users/${userId}`, body: () => '42' },
  { name: 'an array as a PATCH body', method: 'PATCH', path: () => `/Users/${userId}`, body: () => '[]' },
  { name: 'an id of 300 characters', method: 'GET', path: () => `/Users/${'a'.repeat(300)}` },
  { name: 'PATCH with 5000 operations', method: 'PATCH', path: () => `/Users/${userId}`, body: () => JSON.stringify(ops(5000)), scimType: 'invalidSyntax' },
  { name: 'PATCH whose Operations is an object', method: 'PATCH', path: () => `/Users/${userId}`, body: () => JSON.stringify({ schemas: [PATCH_URN], Operations: { op: 'replace', path: 'displayName', value: 'x' } }) },
  { name: 'PATCH whose Operations is a string', method: 'PATCH', path: () => `/Users/${userId}`, body: () => JSON.stringify({ schemas: [PATCH_URN], Operations: 'replace' }) },
  { name: 'PATCH whose operations are not objects', method: 'PATCH', path: () => `/Users/${userId}`, body: () => JSON.stringify({ schemas: [PATCH_URN], Operations: [1, null, 'x'] }) },
  { name: 'PATCH with an unknown op', method: 'PATCH', path: () => `/Users/${userId}`, body: () => JSON.stringify({ schemas: [PATCH_URN], Operations: [{ op: 'explode', path: 'displayName', value: 'x' }] }) },
  { name: 'PATCH with a garbage path', method: 'PATCH', path: () => `/Users/${userId}`, body: () => JSON.stringify({ schemas: [PATCH_URN], Operations: [{ op: 'replace', path: 'emails[type eq', value: 'x' }] }) },
  { name: 'PATCH removing the required userName', method: 'PATCH', path: () => `/Users/${userId}`, body: () => JSON.stringify({ schemas: [PATCH_URN], Operations: [{ op: 'remove', path: 'userName' }] }) },
  { name: 'a user without userName', method: 'POST', path: () => '/Users', body: () => JSON.stringify({ displayName: 'nameless' }) },
  { name: 'userName as an object', method: 'POST', path: () => '/Users', body: () => JSON.stringify({ userName: { $gt: '' } }) },
  { name: 'members that are not objects', method: 'POST', path: () => '/Groups', body: () => JSON.stringify({ displayName: 'bad-members', members: [null, 1] }) },
  { name: 'members naming ids that do not exist', method: 'POST', path: () => '/Groups', body: () => JSON.stringify({ displayName: 'ghost-members', members: [{ value: 'no-such-id' }] }) },
  { name: 'a /.search body that is an array', method: 'POST', path: () => '/Users/.search', body: () => '[1]' },
  { name: 'a /.search count that is an object', method: 'POST', path: () => '/Users/.search', body: () => JSON.stringify({ count: { a: 1 } }) },
  { name: 'attributes and excludedAttributes together', method: 'GET', path: () => '/Users?attributes=userName&excludedAttributes=emails' },
  { name: 'DELETE of a user that does not exist', method: 'DELETE', path: () => '/Users/00000000-0000-0000-0000-000000000000' },
  { name: 'a filter comparing a dateTime with garbage', method: 'GET', path: () => q('meta.lastModified gt "yesterday"'), scimType: 'invalidFilter' },
  { name: 'a filter comparing a boolean with a string', method: 'GET', path: () => q('active eq "yes"'), scimType: 'invalidFilter' },
  { name: 'more than 100 names in attributes', method: 'GET', path: () => `/Users?attributes=${Array.from({ length: 200 }, () => 'userName').join(',')}` },
];

for (const h of hostile) {
  test(`hostile input is a 4xx SCIM error with a detail: ${h.name}`, async () => {
    const res = await call(h.method, h.path(), h.body ? { body: h.body() } : {});
    await expectScimError(res, '4xx', h.scimType);
  });
}

test('a __proto__ key is refused without polluting anything, and nothing is stored', async () => {
  await expectScimError(await call('POST', '/Users', { body: '{"userName":"pollute","__proto__":{"polluted":true}}' }), 400);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const list = await (await call('GET', q('userName eq "pollute"'))).json() as { totalResults: number };
  assert.equal(list.totalResults, 0);
});

test('the detail for a __proto__ key says what is refused, not that the JSON is invalid', async () => {
  const err = await expectScimError(await call('POST', '/Users', { body: '{"userName":"p","__proto__":{}}' }), 400);
  assert.match(err.detail, /__proto__|prototype/i);
  assert.doesNotMatch(err.detail, /content-type is set to 'application\/json'/);
});

test('hostile input: invalid percent-encoding in the URL path is a 400 SCIM error', async () => {
  await expectScimError(await call('GET', '/Users/%E0%A4%A'), 400);
  await expectScimError(await call('GET', '/Users/%zz'), 400);
});

test('hostile input: an id of 10,000 characters is a 4xx SCIM error', async () => {
  await expectScimError(await call('GET', `/Users/${'a'.repeat(10_000)}`), '4xx');
  await expectScimError(await call('DELETE', `/Users/${'a'.repeat(10_000)}`), '4xx');
});

test('hostile input: a 20,000-character filter in the query string is a 4xx SCIM error', async () => {
  await expectScimError(await call('GET', q(`userName eq "${'a'.repeat(20_000)}"`)), '4xx');
});

test('the server still serves normally after the hostile inputs', async () => {
  const res = await call('GET', `/Users/${userId}`);
  assert.equal(res.status, 200);
  const user = await res.json() as { userName: string };
  assert.equal(user.userName, 'errors-fixture');
});
