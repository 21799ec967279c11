// Seeded, time-bounded hostile-input fuzzing through the real server, on SQLite and (in the
// PostgreSQL pass) PostgreSQL. Random filters, PATCH and resource bodies, headers, paths, raw HTTP
// and cross-tenant probes from two tenants. It fails on any 5xx (save the deliberate 501s of
// /Me and CONNECT), on a request that gets no answer within its timeout (a hang), on a dropped
// connection, on the process dying, and on one tenant's response carrying the other tenant's ids or
// data that the request itself did not name (a cross-tenant read).
//
// The seed is printed; ROLLCALL_FUZZ_SEED=<seed> replays a run, ROLLCALL_FUZZ_MS sets its length
// (default 15 s of requests per database). A replay with concurrency is close, not exact: four
// workers interleave, each with its own seeded stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { startTestServer, type TestServer } from '../support/server.ts';
import { TEST_DATABASE } from '../support/test-database.ts';

const SEED = process.env.ROLLCALL_FUZZ_SEED ? Number(process.env.ROLLCALL_FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const BUDGET_MS = Number(process.env.ROLLCALL_FUZZ_MS ?? 15_000);
const REQUEST_TIMEOUT_MS = 10_000;
const WORKERS = 4;
const PATCH_URN = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** mulberry32: small, fast, and the same stream for the same seed everywhere. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)];
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Rng = ReturnType<typeof rng>;

interface Tenant { slug: string; base: string; token: string; ids: string[]; secrets: string[] }

let server: TestServer;
let A: Tenant;
let B: Tenant;

async function seedTenant(scimUrl: string, token: string, label: string): Promise<Tenant> {
  const t: Tenant = { slug: new URL(scimUrl).pathname.split('/')[3], base: scimUrl, token, ids: [], secrets: [] };
  const post = async (path: string, body: unknown) => {
    const res = await fetch(scimUrl + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body) });
    const json = await res.json() as { id: string };
    assert.equal(res.status, 201, JSON.stringify(json));
    return json.id;
  };
  const users: string[] = [];
  for (let i = 0; i < 4; i++) {
    const marker = `SECRET-${label}-${randomUUID().slice(0, 8)}`;
    t.secrets.push(marker);
    users.push(await post('/Users', {
      userName: `${marker}@example.com`, title: marker, active: i % 2 === 0, externalId: `${marker}-ext`,
      emails: [{ value: `${marker}@example.com`, type: 'work', primary: true }],
      addresses: [{ locality: marker, primary: i === 0 }], [ENT]: { department: marker, manager: { value: `${marker}-mgr` } },
    }));
  }
  const groupMarker = `SECRET-${label}-${randomUUID().slice(0, 8)}`;
  t.secrets.push(groupMarker);
  t.ids.push(...users, await post('/Groups', { displayName: groupMarker, members: users.map((value) => ({ value })) }));
  return t;
}

before(async () => {
  server = await startTestServer();
  const other = await server.createTenant(`fuzz-b-${process.pid}`);
  A = await seedTenant(server.scimUrl, server.token, 'A');
  B = await seedTenant(other.scimUrl, other.token, 'B');
});
after(async () => { await server?.close(); });

// ------------------------------------------------------------------ generators

const HOSTILE = [
  '', ' ', 'a', 'x y', '\u0000', 'a\u0000b', '\ud800', 'z\udc00', '😀', '\u202e', '\r\n', '\t', 'ＡＢＣ', 'é',
  "' OR '1'='1", '"; DROP TABLE users; --', "')--", '%', '_', '%_\\', '\\', '\\u0000', '\\"', '*', '?', '#',
  '<script>alert(1)</script>', '${jndi:ldap://x/a}', '{{7*7}}', 'null', 'true', 'False', '1e309', '-0', 'NaN',
  '2026-13-45T99:99:99Z', '2026-01-31T12:00:00Z', '0000-00-00', 'urn:ietf:params:scim:schemas:core:2.0:User',
  '__proto__', 'constructor', 'prototype', 'members', 'userName', '..', '../..', '/', '//', 'x'.repeat(300),
];
const ATTRS = [
  'userName', 'name', 'name.givenName', 'name.familyName', 'displayName', 'title', 'externalId', 'id', 'active',
  'emails', 'emails.value', 'emails.type', 'emails.primary', 'addresses', 'addresses.primary', 'addresses.locality',
  'phoneNumbers.value', 'roles.primary', 'entitlements.value', 'ims.type', 'photos.value', 'x509Certificates.value',
  'groups', 'groups.value', 'groups.display', 'members', 'members.value', 'members.display', 'members.type',
  'meta.created', 'meta.lastModified', 'meta.resourceType', 'meta.version', 'meta', 'password', 'schemas',
  `${ENT}:department`, `${ENT}:manager`, `${ENT}:manager.value`, `${ENT}:employeeNumber`,
  'urn:ietf:params:scim:schemas:core:2.0:User:userName', 'urn:bogus:x', 'unknownAttr', 'a.b.c', '$ref', 'emails.bogus',
];
const OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'pr', 'EQ', 'Pr', 'xx', 'eqq', ''];

/** A JSON string (escapes spell NUL and lone surrogates), or occasionally something that is not one. */
function quote(r: Rng, s: string): string {
  if (r.chance(0.85)) return JSON.stringify(s);
  return r.pick([`"${s}"`, s, `'${s}'`, `"${s}`]);
}

function filterValue(r: Rng, t: Tenant, other: Tenant): string {
  switch (r.int(7)) {
    case 0: return r.pick(['true', 'false', 'null', 'TRUE', 'Null']);
    case 1: return String(r.pick([0, -1, 1.5, 1e21, -1e-7, 1e20, 2 ** 53]));
    case 2: return quote(r, r.pick([...other.ids, ...other.secrets, ...t.ids])); // cross-tenant probe
    case 3: return quote(r, r.pick(t.secrets).slice(0, 1 + r.int(12)));
    default: return quote(r, r.pick(HOSTILE));
  }
}

function filter(r: Rng, t: Tenant, other: Tenant, depth = 0): string {
  const choice = depth > 2 ? 0 : r.int(8);
  switch (choice) {
    case 1: return `${filter(r, t, other, depth + 1)} ${r.pick(['and', 'or', 'AND', 'Or', 'xor'])} ${filter(r, t, other, depth + 1)}`;
    case 2: return `${r.pick(['not ', 'not', 'NOT '])}(${filter(r, t, other, depth + 1)})`;
    case 3: return `(${filter(r, t, other, depth + 1)})`;
    case 4: return `${r.pick(ATTRS).split('.')[0]}[${filter(r, t, other, depth + 1).replace(/^[^ ]*\./, '')}]${r.chance(0.2) ? `.${r.pick(['value', 'type', 'x'])} eq ${filterValue(r, t, other)}` : ''}`;
    default: {
      const op = r.pick(OPS);
      return op.toLowerCase() === 'pr' ? `${r.pick(ATTRS)} ${op}` : `${r.pick(ATTRS)} ${op} ${filterValue(r, t, other)}`;
    }
  }
}

/** A few character-level mutations: what a broken client or a hand-typed filter looks like. */
function mutate(r: Rng, s: string): string {
  let out = s;
  for (let n = r.int(4); n > 0; n--) {
    const i = r.int(out.length + 1);
    switch (r.int(3)) {
      case 0: out = out.slice(0, i) + r.pick(['"', '[', ']', '(', ')', '\\', ' ', '\u0000', 'é', '.', ':', '%00', '\\u']) + out.slice(i); break;
      case 1: out = out.slice(0, i) + out.slice(i + 1 + r.int(3)); break;
      default: out = out.slice(0, i) + out.slice(Math.max(0, i - 5), i) + out.slice(i);
    }
  }
  return out;
}

function jsonValue(r: Rng, depth = 0): unknown {
  switch (depth > 3 ? r.int(4) : r.int(7)) {
    case 0: return r.pick(HOSTILE);
    case 1: return r.pick([0, -1, 1.5, 1e308, -0, 2 ** 63, true, false, null]);
    case 2: return r.chance(0.5) ? null : r.pick(['True', 'false', '2026-01-01T00:00:00Z', 'work', 'a@example.com']);
    case 3: return r.chance(0.03) ? 'x'.repeat(70_000 + r.int(10)) : r.pick(HOSTILE);
    case 4: case 5: return Array.from({ length: r.int(4) }, () => jsonValue(r, depth + 1));
    default: return jsonObject(r, depth + 1);
  }
}

function jsonObject(r: Rng, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let n = r.int(5); n > 0; n--) {
    const key = r.chance(0.7) ? r.pick(ATTRS).split('.').pop()! : r.pick(['value', 'type', 'primary', 'display', '$ref', 'op', 'path', ...HOSTILE.slice(0, 12)]);
    o[key] = jsonValue(r, depth);
  }
  return o;
}

function resourceBody(r: Rng, t: Tenant, other: Tenant, group: boolean): unknown {
  if (r.chance(0.05)) return jsonValue(r);
  const body = jsonObject(r);
  if (r.chance(0.8)) body[group ? 'displayName' : 'userName'] = r.chance(0.7) ? `fuzz-${r.int(1e9)}` : jsonValue(r);
  if (r.chance(0.3)) body.schemas = r.pick([[], ['urn:ietf:params:scim:schemas:core:2.0:User'], 'x', [null]]);
  if (group && r.chance(0.5)) {
    // Members from this tenant, the other tenant (must be refused), or junk.
    body.members = Array.from({ length: r.int(4) }, () => r.pick([
      { value: r.pick(t.ids) }, { value: r.pick(other.ids) }, null, { value: r.pick(HOSTILE) }, r.pick(HOSTILE), { display: 'x' },
    ]));
  }
  if (!group && r.chance(0.3)) body.emails = Array.from({ length: r.int(4) }, () => ({ value: r.pick(HOSTILE), type: r.pick(['work', 'home', ...HOSTILE]), primary: jsonValue(r, 3) }));
  if (!group && r.chance(0.2)) body[ENT] = jsonObject(r, 2);
  return body;
}

function patchBody(r: Rng, t: Tenant, other: Tenant): unknown {
  if (r.chance(0.05)) return jsonValue(r);
  const ops = Array.from({ length: r.int(4) }, () => {
    const op: Record<string, unknown> = { op: r.pick(['add', 'replace', 'remove', 'Add', 'REPLACE', 'delete', '', 7]) };
    if (r.chance(0.8)) {
      op.path = r.chance(0.3) ? `${r.pick(['members', 'emails', 'addresses', 'phoneNumbers'])}[${mutate(r, filter(r, t, other, 2))}]${r.chance(0.3) ? '.value' : ''}` : r.chance(0.15) ? mutate(r, r.pick(ATTRS)) : r.pick(ATTRS);
    }
    if (r.chance(0.85)) {
      op.value = r.chance(0.3) && typeof op.path === 'string' && op.path.startsWith('members')
        ? [{ value: r.pick([...t.ids, ...other.ids, ...HOSTILE]) }]
        : jsonValue(r);
    }
    return op;
  });
  return { schemas: r.chance(0.9) ? [PATCH_URN] : r.pick([[], 'x', ['urn:bogus']]), [r.chance(0.9) ? 'Operations' : 'operations']: r.chance(0.95) ? ops : jsonValue(r) };
}

/** Percent-encodes any string, lone surrogates included (as the invalid UTF-8 a broken client sends). */
function encode(s: string): string {
  let out = '';
  for (const ch of s) {
    try { out += encodeURIComponent(ch); } catch { out += '%ED%A0%80'; }
  }
  return out;
}

function idSegment(r: Rng, t: Tenant, other: Tenant): string {
  switch (r.int(6)) {
    case 0: return r.pick(t.ids);
    case 1: return r.pick(other.ids); // cross-tenant probe: must be 404
    case 2: return randomUUID();
    case 3: return r.pick(['%00', '%ff', '%', '%2e%2e', '..', '%2F', 'a%00b', '%ED%A0%80', 'x'.repeat(256), 'x'.repeat(600)]);
    default: return encode(r.pick(HOSTILE)) || 'empty';
  }
}

function query(r: Rng, t: Tenant, other: Tenant): string {
  const parts: string[] = [];
  for (let n = r.int(4); n > 0; n--) {
    const name = r.pick(['filter', 'filter', 'attributes', 'excludedAttributes', 'count', 'startIndex', 'sortBy', 'sortOrder', 'Filter', 'COUNT', 'x']);
    const value = name.toLowerCase() === 'filter' ? mutate(r, filter(r, t, other))
      : name === 'count' || name === 'startIndex' || name === 'COUNT' ? String(r.pick([0, -1, 1, 2, 1000, 1001, 2 ** 53, '1.5', 'abc', '', '9'.repeat(30)]))
      : name === 'sortOrder' ? r.pick(['ascending', 'descending', 'DESC', '', 'x'])
      : r.chance(0.5) ? r.pick(ATTRS) : r.pick(HOSTILE);
    parts.push(`${name}=${encode(value)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

interface Request { method: string; url: string; headers: Record<string, string>; body?: string; tenant: Tenant; other: Tenant; tokenOwner: Tenant | undefined }

function request(r: Rng): Request {
  const t = r.chance(0.6) ? A : B;
  const other = t === A ? B : A;
  // Mostly the tenant's own token; sometimes the other tenant's (must be 401), junk, or none.
  const who = r.next();
  const tokenOwner = who < 0.85 ? t : who < 0.92 ? other : undefined;
  const headers: Record<string, string> = {};
  if (tokenOwner) headers.authorization = `${r.chance(0.95) ? 'Bearer' : r.pick(['bearer', 'BEARER', 'Basic', 'Token'])} ${tokenOwner.token}${r.chance(0.02) ? 'x' : ''}`;
  else if (r.chance(0.7)) headers.authorization = r.pick(['Bearer', 'Bearer ', 'Basic YWRtaW46YWRtaW4=', `Bearer rcs_${'A'.repeat(49)}`, 'Bearer ' + 'x'.repeat(5000), 'Bearer rcs_\u00e9']);
  if (r.chance(0.15)) headers['if-match'] = r.pick(['*', 'W/"1"', '"1"', 'W/"999999999999999999999"', 'garbage', '', 'W/"', '"a", W/"2"']);
  if (r.chance(0.1)) headers['if-none-match'] = r.pick(['*', 'W/"1"', 'x']);
  if (r.chance(0.1)) headers['x-request-id'] = r.pick(['abc', 'x'.repeat(200), '../../etc', '']);
  if (r.chance(0.1)) headers.accept = r.pick(['application/xml', '*/*', 'text/html', '', 'application/scim+json;q=0']);

  const kind = r.int(11);
  const endpoint = r.chance(0.65) ? 'Users' : 'Groups';
  let method = 'GET';
  let path = `/${endpoint}`;
  let body: unknown;
  let raw: string | undefined;
  switch (kind) {
    case 0: case 1: path = `/${endpoint}${query(r, t, other)}`; break;
    case 2: method = 'POST'; path = r.pick([`/${endpoint}/.search`, '/.search']); body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: mutate(r, filter(r, t, other)), ...(r.chance(0.5) ? { sortBy: r.pick(ATTRS), count: r.pick([0, 1, 5, -3, 'x']), startIndex: r.pick([1, 2, 0, 1e20]) } : {}), ...(r.chance(0.3) ? { attributes: [r.pick(ATTRS)], excludedAttributes: r.pick(ATTRS) } : {}) }; break;
    case 3: method = 'POST'; body = resourceBody(r, t, other, endpoint === 'Groups'); break;
    case 4: method = 'PUT'; path = `/${endpoint}/${idSegment(r, t, other)}`; body = resourceBody(r, t, other, endpoint === 'Groups'); break;
    case 5: case 6: method = 'PATCH'; path = `/${endpoint}/${idSegment(r, t, other)}${r.chance(0.2) ? query(r, t, other) : ''}`; body = patchBody(r, t, other); break;
    case 7: method = r.pick(['GET', 'DELETE', 'HEAD', 'OPTIONS']); path = `/${endpoint}/${idSegment(r, t, other)}${r.chance(0.3) ? query(r, t, other) : ''}`; break;
    case 8: method = r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']); path = r.pick(['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/User', '/ResourceTypes/x', '/Schemas', `/Schemas/${encode(r.pick([ENT, 'x', '\u0000']))}`, '/Bulk', '/Me', '/', '', `/${encode(r.pick(HOSTILE))}`, `/Users/${idSegment(r, t, other)}/x`, '//Users', '/users', '/USERS/.SEARCH']); if (method !== 'GET' && r.chance(0.5)) body = jsonValue(r); break;
    case 10: {
      // A cross-tenant probe in its plain form: the other tenant's ids and names, asked directly.
      const [user, groupId] = [r.pick(other.ids.slice(0, -1)), other.ids[other.ids.length - 1]];
      const name = r.pick(other.secrets);
      path = r.pick([
        `/Users/${user}`, `/Groups/${groupId}`, `/Users?count=1000`, `/Groups?count=1000&attributes=members`,
        `/Users?filter=${encode(`id eq "${user}"`)}`, `/Users?filter=${encode(`userName eq "${name}@example.com" or title co "${name.slice(0, 9)}"`)}`,
        `/Groups?filter=${encode(`members[value eq "${user}"]`)}`, `/Users?filter=${encode(`groups[value eq "${groupId}"]`)}&attributes=groups`,
        `/Users?filter=${encode(`${ENT}:department sw "SECRET"`)}&sortBy=title`,
      ]);
      break;
    }
    default: {
      // Bodies that are not JSON, or not quite.
      method = r.pick(['POST', 'PUT', 'PATCH']);
      path = method === 'POST' ? `/${endpoint}` : `/${endpoint}/${r.pick(t.ids)}`;
      raw = r.pick(['', '{', '[]', 'null', '"x"', '{"userName": "a\\u0000"}', '{"userName": "\\ud800"}', '{"a":'.repeat(100), '[' .repeat(70) + ']'.repeat(70), '{"__proto__": {"x": 1}}', '\ufeff{"userName":"bom"}', 'userName=x', '\u0000', `{"userName": "${'é'.repeat(100)}", "displayName": 1e999}`]);
    }
  }
  if (body !== undefined || raw !== undefined) {
    headers['content-type'] = r.chance(0.9) ? 'application/scim+json' : r.pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/scim+json; charset=latin1', 'application/json; charset=utf-16']);
  }
  const base = r.chance(0.97) ? t.base : `${server.baseUrl}/scim/v2/${r.pick([encode(t.slug.toUpperCase()), `${t.slug}%00`, '%00', 'no-such-tenant', encode(r.pick(HOSTILE)) || 'x'])}`;
  return { method, url: base + path, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)), tenant: t, other, tokenOwner };
}

/** Raw HTTP a fetch() cannot send: odd methods and request lines, CONNECT, malformed headers. */
function rawRequest(r: Rng): string {
  const t = r.chance(0.5) ? A : B;
  const path = new URL(t.base).pathname + r.pick(['/Users', `/Users/${t.ids[0]}`, '/Groups', '']);
  const method = r.pick(['GET', 'CONNECT', 'TRACE', 'PROPFIND', 'BREW', 'get', 'M-SEARCH', 'PURGE', 'LINK', 'QUERY']);
  const target = method === 'CONNECT' ? r.pick(['example.com:443', '127.0.0.1:1', path]) : r.pick([path, `http://example.com${path}`, '*', `${path}?filter=${encode('userName eq "\u0000"')}`, `${path}/%00`]);
  const headerLines = [`Host: ${r.chance(0.9) ? 'localhost' : ''}`, `Authorization: Bearer ${t.token}`, 'Connection: close'];
  if (r.chance(0.2)) headerLines.push(r.pick(['X-Bad header', 'Content-Length: 5', 'Content-Length: -1', 'Content-Length: 1, 2', 'Transfer-Encoding: chunked, identity', 'Upgrade: websocket', 'Expect: 100-continue', `X-Long: ${'y'.repeat(20_000)}`]));
  const body = headerLines.some((h) => h === 'Content-Length: 5') ? 'hello' : '';
  return `${method} ${target} HTTP/1.1\r\n${headerLines.join('\r\n')}\r\n\r\n${body}`;
}

// ------------------------------------------------------------------ the run

interface Failure { what: string; request: string; response: string }

function describeRequest(q: Request): string {
  return `${q.method} ${q.url} ${JSON.stringify(q.headers).slice(0, 300)} ${q.body === undefined ? '' : q.body.slice(0, 500)}`;
}

/** The other tenant's ids and markers in a response the request did not name: a cross-tenant read. */
function leaked(q: Request, text: string): string | undefined {
  const asked = decodeURIComponentSafe(q.url) + (q.body ?? '');
  return [...q.other.ids, ...q.other.secrets].find((s) => text.includes(s) && !asked.includes(s));
}

function decodeURIComponentSafe(s: string): string {
  try { return decodeURIComponent(s); } catch { return s; }
}

async function send(q: Request, failures: Failure[], stats: Map<number, number>): Promise<void> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(q.url, { method: q.method, headers: q.headers, body: q.method === 'GET' || q.method === 'HEAD' ? undefined : q.body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    // Header values fetch itself refuses to send (e.g. non-Latin-1) never reached the server.
    if (e.name === 'TypeError' && !e.cause) return;
    failures.push({ what: e.name === 'TimeoutError' ? `no answer within ${REQUEST_TIMEOUT_MS} ms (hang)` : `connection failed: ${e.message} ${e.cause?.code ?? ''}`, request: describeRequest(q), response: '' });
    return;
  }
  stats.set(res.status, (stats.get(res.status) ?? 0) + 1);
  const path = new URL(q.url).pathname;
  const deliberate = res.status === 501 && /\/Me$/i.test(path);
  if (res.status >= 500 && !deliberate) failures.push({ what: `status ${res.status}`, request: describeRequest(q), response: text.slice(0, 500) });
  const leak = leaked(q, text);
  if (leak) failures.push({ what: `cross-tenant read: the response names ${leak} of the other tenant`, request: describeRequest(q), response: text.slice(0, 500) });
  // A token used on another tenant's URL must never be accepted.
  if (q.tokenOwner && q.tokenOwner !== q.tenant && q.url.startsWith(q.tenant.base) && res.status < 400) {
    failures.push({ what: `another tenant's token was accepted (status ${res.status})`, request: describeRequest(q), response: text.slice(0, 500) });
  }
}

function sendRaw(text: string): Promise<string> {
  const { hostname, port } = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms (hang)`)); }, REQUEST_TIMEOUT_MS);
    socket.on('data', (d) => { data += d.toString('latin1'); });
    socket.on('error', (err) => { clearTimeout(timer); if (data) resolve(data); else reject(err); });
    socket.on('close', () => { clearTimeout(timer); resolve(data); });
    socket.write(text);
  });
}

async function worker(r: Rng, deadline: number, failures: Failure[], stats: Map<number, number>): Promise<number> {
  let n = 0;
  while (Date.now() < deadline && failures.length < 20) {
    n++;
    if (r.chance(0.04)) {
      const text = rawRequest(r);
      try {
        const reply = await sendRaw(text);
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1] ?? 0);
        stats.set(status, (stats.get(status) ?? 0) + 1);
        const method = text.slice(0, text.indexOf(' '));
        if (status === 0 || (status >= 500 && !(status === 501 && method === 'CONNECT'))) {
          failures.push({ what: status === 0 ? 'no HTTP answer (dropped connection)' : `status ${status}`, request: JSON.stringify(text.slice(0, 300)), response: reply.slice(0, 300) });
        }
      } catch (err) {
        failures.push({ what: (err as Error).message, request: JSON.stringify(text.slice(0, 300)), response: '' });
      }
      continue;
    }
    await send(request(r), failures, stats);
  }
  return n;
}

test(`hostile-input fuzzing (${TEST_DATABASE}): no 5xx, hang, dropped connection, crash or cross-tenant read`, async (t) => {
  const line = `fuzz seed ${SEED} on ${TEST_DATABASE}: replay with ROLLCALL_FUZZ_SEED=${SEED}`;
  console.log(`# ${line}`);
  t.diagnostic(line);
  const failures: Failure[] = [];
  const stats = new Map<number, number>();
  const deadline = Date.now() + BUDGET_MS;
  const counts = await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(rng(SEED + i * 0x9e3779b9), deadline, failures, stats)));
  const total = counts.reduce((a, b) => a + b, 0);
  t.diagnostic(`${total} requests; statuses ${JSON.stringify(Object.fromEntries([...stats].sort((a, b) => a[0] - b[0])))}`);

  assert.deepEqual(failures.map((f) => `${f.what}\n    request: ${f.request}\n    response: ${f.response}`), [], line);
  assert.ok(total > 100, `${line}: only ${total} requests were made`);
  // Still alive and still isolated after the storm (the fuzz may have deleted its own tenant's seeds).
  for (const [own, foreign] of [[A, B], [B, A]] as const) {
    const get = (path: string) => fetch(own.base + path, { headers: { authorization: `Bearer ${own.token}` }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    assert.equal((await get('/ServiceProviderConfig')).status, 200, `${line}: the server still answers`);
    for (const id of foreign.ids) assert.equal((await get(`/Users/${id}`)).status, 404);
  }
});
