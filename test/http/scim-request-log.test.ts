// The SCIM request log (issue 13, docs/request-log.md) through the real server and database: what a
// request's row holds once the recorder has flushed, what never reaches the table (passwords,
// configured attributes, the token), bodies cut to size, the admin API's filters, cursors and tenant
// isolation, health, retention and the row cap on a moved clock, the log switched off, and hostile
// query parameters answered 400. Rows are read after `requestLog.flush()`: a request is in the
// recorder's buffer before its answer leaves (captured in onSend), so a flush after the answer has it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../src/config/config.ts';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { GROUP_SCHEMA, USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { allPages, expectProblem, startAdminServer, type AdminTestServer, type Json } from '../support/admin.ts';

const OKTA = 'Okta SCIM Client 1.0.0';
const ENTRA = 'Microsoft Azure AD SCIM client';

interface Sent { status: number; body: Json; requestId: string }

/** A SCIM request with a User-Agent and a request id of the test's choosing. */
async function send(url: string, token: string, method: string, body?: unknown, opts: { ua?: string; requestId?: string } = {}): Promise<Sent> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`, 'user-agent': opts.ua ?? OKTA,
      ...(opts.requestId ? { 'x-request-id': opts.requestId } : {}),
      ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Json;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, body: parsed, requestId: res.headers.get('x-request-id') ?? '' };
}

const slugOf = (scimUrl: string) => scimUrl.slice(scimUrl.lastIndexOf('/') + 1);

describe('the request log of a tenant, read through the admin API', () => {
  let server: AdminTestServer;
  let slug: string;
  let other: { scimUrl: string; token: string; slug: string };
  const secret = `Pw-${process.pid}-zq9Wk7`;
  const badge = `badge-${process.pid}-Xj2Mv4`;

  before(async () => {
    // employeeNumber is an attribute this installation redacts besides password.
    server = await startAdminServer({ config: { requestLog: { ...DEFAULTS.requestLog, redact: ['employeeNumber'] } } });
    slug = slugOf(server.scimUrl);
    const made = await server.createTenant(`other-${process.pid}`);
    other = { ...made, slug: `other-${process.pid}` };
  });
  after(async () => { await server?.close(); });

  const list = async (query = '', tenant = slug) => {
    await server.running.requestLog.flush();
    const res = await server.admin('GET', `/tenants/${tenant}/requests${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body.data as Json[];
  };
  const byRequestId = async (requestId: string, tenant = slug) => {
    const rows = await list(`?requestId=${encodeURIComponent(requestId)}`, tenant);
    assert.equal(rows.length, 1, `one row for ${requestId}: ${JSON.stringify(rows)}`);
    const one = await server.admin('GET', `/tenants/${tenant}/requests/${rows[0].id}`);
    assert.equal(one.status, 200, one.text);
    return one.body;
  };

  test("a created user's row: every field, the id from the Location, bodies with the password and configured attributes redacted", async () => {
    const user = {
      schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'], userName: `ann.${process.pid}@example.com`, password: secret,
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: badge, department: 'Sales' },
    };
    const created = await send(`${server.scimUrl}/Users?attributes=userName`, server.token, 'POST', user, { requestId: 'rl-create' });
    assert.equal(created.status, 201);
    const row = await byRequestId('rl-create');
    const tokenId = (await server.admin('GET', `/tenants/${slug}/tokens`)).body.data[0].id;
    assert.deepEqual({ ...row, at: undefined, latencyMs: undefined, requestBody: undefined, responseBody: undefined }, {
      id: row.id, at: undefined, method: 'POST', path: `/scim/v2/${slug}/Users?attributes=userName`, filter: null, status: 201,
      scimType: null, detail: null, reason: null, latencyMs: undefined, requestId: 'rl-create', tokenId, userAgent: OKTA, identityProvider: 'Okta',
      resourceType: 'User', resourceId: created.body.id, requestBody: undefined, responseBody: undefined,
    });
    assert.ok(typeof row.latencyMs === 'number' && row.latencyMs >= 0);
    assert.ok(Math.abs(Date.parse(row.at) - Date.now()) < 60_000);
    const sent = JSON.parse(row.requestBody.text);
    assert.equal(sent.password, '[redacted]');
    assert.equal(sent['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].employeeNumber, '[redacted]');
    assert.equal(sent['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].department, 'Sales', 'other attributes are kept');
    assert.equal(row.requestBody.truncated, false);
    assert.equal(row.requestBody.size, JSON.stringify(user).length);
    assert.deepEqual(JSON.parse(row.responseBody.text), created.body);

    // A PATCH naming the attribute in its path: the value is redacted too.
    const patched = await send(`${server.scimUrl}/Users/${created.body.id}`, server.token, 'PATCH', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: secret, path: 'password' }, { op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber', value: badge }],
    }, { requestId: 'rl-patch' });
    assert.equal(patched.status, 200);
    assert.equal((await byRequestId('rl-patch')).resourceId, created.body.id);

    // Nothing of either secret, nor of the token, is anywhere in the table.
    const raw = JSON.stringify(await server.queryRequestLog('SELECT * FROM request_log'));
    assert.ok(raw.includes('rl-patch'), 'the rows are there');
    assert.ok(!raw.includes(secret), 'the password is nowhere in the table');
    assert.ok(!raw.includes(badge), 'nor a configured attribute');
    assert.ok(!raw.includes(server.token) && !raw.includes(server.token.slice(-12)) && !/bearer/i.test(raw), 'nor the token, nor the Authorization header');
  });

  test("a failed request's row carries the SCIM error: status, scimType, detail, reason", async () => {
    const userName = `dup.${process.pid}@example.com`;
    assert.equal((await send(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: [USER_SCHEMA], userName })).status, 201);
    const dup = await send(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: [USER_SCHEMA], userName }, { requestId: 'rl-dup' });
    assert.equal(dup.status, 409);
    const row = await byRequestId('rl-dup');
    assert.equal(row.status, 409);
    assert.equal(row.scimType, 'uniqueness');
    assert.equal(row.detail, dup.body.detail);
    assert.equal(row.reason, 'uniqueness');
    assert.equal(row.resourceId, null, 'nothing was created');
    assert.deepEqual(JSON.parse(row.responseBody.text), dup.body);

    const filter = 'userName eq "nobody@example.com"';
    const listed = await send(`${server.scimUrl}/Users?filter=${encodeURIComponent(filter)}&startIndex=1`, server.token, 'GET', undefined, { requestId: 'rl-filter' });
    assert.equal(listed.status, 200);
    assert.equal((await byRequestId('rl-filter')).filter, filter, 'the filter is decoded');
    assert.equal((await byRequestId('rl-filter')).requestBody, null, 'a GET has no body');
  });

  test('a wrong token on a known tenant is recorded without a token id; a request for no tenant is recorded nowhere', async () => {
    const refused = await send(`${server.scimUrl}/Users`, 'rcs_not_a_real_token', 'GET', undefined, { requestId: 'rl-401', ua: ENTRA });
    assert.equal(refused.status, 401);
    const row = await byRequestId('rl-401');
    assert.equal(row.status, 401);
    assert.equal(row.tokenId, null);
    assert.match(row.detail, /token/);
    assert.equal(row.identityProvider, 'Microsoft Entra ID');

    const nowhere = await send(`${server.baseUrl}/scim/v2/no-such-tenant-${process.pid}/Users`, server.token, 'GET', undefined, { requestId: 'rl-nowhere' });
    assert.equal(nowhere.status, 401);
    await server.running.requestLog.flush();
    assert.deepEqual(await server.queryRequestLog('SELECT seq FROM request_log WHERE request_id = ?', ['rl-nowhere']), []);
  });

  test("a group's streamed answer with its members is recorded as it was sent", async () => {
    const u = await send(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: [USER_SCHEMA], userName: `member.${process.pid}@example.com` });
    const g = await send(`${server.scimUrl}/Groups`, server.token, 'POST', { schemas: [GROUP_SCHEMA], displayName: `Streamed ${process.pid}`, members: [{ value: u.body.id }] });
    assert.equal(g.status, 201);
    const got = await send(`${server.scimUrl}/Groups/${g.body.id}`, server.token, 'GET', undefined, { requestId: 'rl-stream' });
    assert.equal(got.status, 200);
    const row = await byRequestId('rl-stream');
    assert.deepEqual(JSON.parse(row.responseBody.text), got.body);
    assert.equal(row.resourceType, 'Group');
    assert.equal(row.resourceId, g.body.id);
  });

  test('filters: status class, method, time range, resource id; cursors walk every row once, newest first', async () => {
    const u = await send(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: [USER_SCHEMA], userName: `filtered.${process.pid}@example.com` });
    const id = u.body.id as string;
    await send(`${server.scimUrl}/Users/${id}`, server.token, 'GET');
    await send(`${server.scimUrl}/Users/${id}`, server.token, 'DELETE');
    await send(`${server.scimUrl}/Users/${id}`, server.token, 'GET');
    // What was done to the user, and what failed on her; her successful read is not among them.
    const about = await list(`?resourceId=${id}`);
    assert.deepEqual(about.map((r) => `${r.method} ${r.status}`), ['GET 404', 'DELETE 204', 'POST 201']);
    assert.ok((await list('?method=GET&status=2xx')).some((r) => r.resourceId === id), 'the successful read is recorded, with its resource id');
    assert.deepEqual((await list(`?resourceId=${id}&status=4xx`)).map((r) => r.status), [404]);
    assert.deepEqual((await list(`?resourceId=${id}&method=delete`)).map((r) => r.method), ['DELETE']);
    const everything = await list('?limit=500');
    assert.ok(everything.every((r) => r.status >= 200), 'a list of every status');
    assert.ok((await list('?status=2xx&limit=500')).every((r) => r.status >= 200 && r.status < 300));
    const newest = everything[0];
    assert.deepEqual((await list(`?since=${encodeURIComponent(newest.at)}`)).map((r) => r.id).includes(newest.id), true);
    assert.deepEqual(await list(`?until=${encodeURIComponent('2000-01-01T00:00:00Z')}`), []);

    await server.running.requestLog.flush();
    const { items, pages } = await allPages(server, `/tenants/${slug}/requests`, 3);
    assert.ok(pages >= 3);
    const ids = items.map((r: Json) => r.id as number);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    assert.equal(new Set(ids).size, ids.length, 'no row twice');
    assert.deepEqual(ids, everything.map((r) => r.id));
  });

  test("tenant isolation: one tenant's list, rows and health never show another's requests", async () => {
    const mine = await send(`${other.scimUrl}/Users`, other.token, 'POST', { schemas: [USER_SCHEMA], userName: `b.${process.pid}@example.com` }, { requestId: 'rl-other' });
    assert.equal(mine.status, 201);
    const otherRows = await list('?limit=500', other.slug);
    assert.ok(otherRows.length >= 1 && otherRows.every((r) => r.path.startsWith(`/scim/v2/${other.slug}/`)), JSON.stringify(otherRows));
    const ours = await list('?limit=500');
    assert.ok(ours.every((r) => r.path.startsWith(`/scim/v2/${slug}/`)));
    assert.deepEqual(await list('?requestId=rl-other'), [], "the other tenant's request id finds nothing here");
    expectProblem(await server.admin('GET', `/tenants/${slug}/requests/${otherRows[0].id}`), 404);
    const health = (await server.admin('GET', `/tenants/${other.slug}/health`)).body;
    assert.equal(health.last24Hours.requests, otherRows.length);
  });

  test('health: last request, counts and error rate, the identity provider of the newest authenticated request, the last error', async () => {
    const t = await server.createTenant(`health-${process.pid}`);
    const h = `health-${process.pid}`;
    const empty = await server.admin('GET', `/tenants/${h}/health`);
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual({ ...empty.body, tenant: undefined }, {
      tenant: undefined, recording: true, lastRequestAt: null, lastHour: { requests: 0, clientErrors: 0, serverErrors: 0, errorRate: null },
      last24Hours: { requests: 0, clientErrors: 0, serverErrors: 0, errorRate: null }, identityProvider: null, lastError: null,
      hourly: empty.body.hourly,
    });
    assert.equal(empty.body.hourly.length, 24);
    assert.ok(empty.body.hourly.every((b: Json) => b.requests === 0 && b.errors === 0), 'a quiet day: 24 empty hours');
    await send(`${t.scimUrl}/Users?count=1`, t.token, 'GET', undefined, { ua: ENTRA });
    await send(`${t.scimUrl}/Users`, t.token, 'POST', '{"userName": ', { ua: ENTRA, requestId: 'rl-bad-json' });
    await send(`${t.scimUrl}/Users/does-not-exist`, t.token, 'GET', undefined, { ua: ENTRA, requestId: 'rl-missing' });
    await send(`${t.scimUrl}/Users`, 'rcs_wrong', 'GET', undefined, { ua: 'curl/8.5.0', requestId: 'rl-curl' });
    await server.running.requestLog.flush();
    const body = (await server.admin('GET', `/tenants/${h}/health`)).body;
    assert.deepEqual(body.last24Hours, { requests: 4, clientErrors: 3, serverErrors: 0, errorRate: 0.75 });
    assert.deepEqual(body.lastHour, body.last24Hours);
    assert.equal(body.identityProvider.name, 'Microsoft Entra ID', 'the unauthenticated curl is not taken for the IdP');
    assert.equal(body.identityProvider.userAgent, ENTRA);
    assert.equal(body.lastError.requestId, 'rl-curl');
    assert.equal(body.lastError.status, 401);
    assert.ok(body.lastRequestAt);
    const badJson = await byRequestId('rl-bad-json', h);
    assert.equal(badJson.scimType, 'invalidSyntax');
    assert.equal(badJson.requestBody.text, '{"userName": ', 'a body cut short is recorded as sent');
  });

  test('hostile query parameters and ids are answered 400 or 404, never 500', async () => {
    for (const query of ['?status=6xx', '?status=', '?limit=0', '?limit=501', '?limit=abc', '?after=not-a-cursor', `?after=${Buffer.from('{"p":"x"}').toString('base64url')}`,
      '?since=yesterday', '?until=2026-13-45T99:00:00Z', '?method=G%20T', '?method=%00', `?resourceId=${'x'.repeat(256)}`, `?requestId=${'r'.repeat(101)}`, '?unknown=1',
      '?resourceId=%00']) {
      const res = await server.admin('GET', `/tenants/${slug}/requests${query}`);
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      expectProblem(res, 400);
    }
    for (const id of ['abc', '0', '-1', '1.5', '99999999999999999999']) expectProblem(await server.admin('GET', `/tenants/${slug}/requests/${id}`), 400);
    expectProblem(await server.admin('GET', `/tenants/${slug}/requests/9007199254740991`), 404);
    expectProblem(await server.admin('GET', `/tenants/no-such-tenant/requests`), 404);
    expectProblem(await server.admin('GET', '/tenants/no-such-tenant/health'), 404);
    expectProblem(await server.admin('GET', `/tenants/${slug}/requests`, { key: null }), 401);
    assert.equal((await server.admin('GET', `/tenants/${slug}/requests`, { key: server.readKey })).status, 200, 'a read key reads the log');
  });
});

describe('bodies cut to the configured size', () => {
  let server: AdminTestServer;
  before(async () => { server = await startAdminServer({ config: { requestLog: { ...DEFAULTS.requestLog, maxBodyChars: 300 } } }); });
  after(async () => { await server?.close(); });

  test('a body longer than the size is cut there and marked truncated, with its original size; the password is still redacted', async () => {
    const user = { schemas: [USER_SCHEMA], userName: `long.${process.pid}@example.com`, displayName: 'L'.repeat(2000), password: 'late-secret-zq9' };
    const res = await send(`${server.scimUrl}/Users`, server.token, 'POST', user, { requestId: 'rl-long' });
    assert.equal(res.status, 201);
    await server.running.requestLog.flush();
    const slug = slugOf(server.scimUrl);
    const [row] = (await server.admin('GET', `/tenants/${slug}/requests?requestId=rl-long`)).body.data;
    const one = (await server.admin('GET', `/tenants/${slug}/requests/${row.id}`)).body;
    assert.equal(one.requestBody.truncated, true);
    assert.equal(one.requestBody.size, JSON.stringify(user).length);
    assert.equal(one.requestBody.text, JSON.stringify(user).slice(0, 300));
    assert.equal(one.responseBody.truncated, true);
    assert.equal(one.responseBody.text.length, 300);
    assert.ok(!JSON.stringify(await server.queryRequestLog('SELECT * FROM request_log')).includes('late-secret-zq9'));
  });
});

describe('retention and the row cap, on a moved clock', () => {
  const clock = new ManualClock(Date.now() - 40 * 86_400_000);
  let server: AdminTestServer;
  before(async () => {
    server = await startAdminServer({ config: { requestLog: { ...DEFAULTS.requestLog, maxRowsPerTenant: 3, retentionDays: 30 } }, server: { clock } });
  });
  after(async () => { await server?.close(); });

  test('rows older than the retention are pruned; a tenant keeps only its newest rows beyond the cap', async () => {
    const slug = slugOf(server.scimUrl);
    const ids = async () => {
      await server.running.requestLog.flush();
      return (await server.admin('GET', `/tenants/${slug}/requests`)).body.data.map((r: Json) => r.requestId as string);
    };
    for (const n of [1, 2]) await send(`${server.scimUrl}/Users`, server.token, 'GET', undefined, { requestId: `old-${n}` });
    await server.running.requestLog.flush();
    await server.running.requestLog.prune();
    assert.deepEqual(await ids(), ['old-2', 'old-1'], 'within the retention and the cap: kept');

    clock.advance(31 * 86_400_000);
    await server.running.requestLog.prune();
    assert.deepEqual(await ids(), [], 'older than 30 days: pruned');

    for (const n of [1, 2, 3, 4, 5]) await send(`${server.scimUrl}/Users`, server.token, 'GET', undefined, { requestId: `new-${n}` });
    await server.running.requestLog.flush();
    await server.running.requestLog.prune();
    assert.deepEqual(await ids(), ['new-5', 'new-4', 'new-3'], 'the newest 3');
  });
});

describe('health by the hour, on a moved clock', () => {
  const start = Date.parse('2026-06-01T08:00:00.000Z');
  const clock = new ManualClock(start);
  let server: AdminTestServer;
  before(async () => { server = await startAdminServer({ server: { clock } }); });
  after(async () => { await server?.close(); });

  test('hourly: 24 windows of an hour ending now, oldest first, each counting its own requests and errors; the last is lastHour, together last24Hours', async () => {
    const slug = slugOf(server.scimUrl);
    const get = () => send(`${server.scimUrl}/Users?count=1`, server.token, 'GET');
    const bad = () => send(`${server.scimUrl}/Users?filter=${encodeURIComponent('userName zz "x"')}`, server.token, 'GET');
    // At 08:00 two requests, one of them failed; at 10:30 one; at 11:59 one failed.
    assert.equal((await get()).status, 200);
    assert.equal((await bad()).status, 400);
    clock.advance(150 * 60_000);
    assert.equal((await get()).status, 200);
    clock.advance(89 * 60_000);
    assert.equal((await bad()).status, 400);
    clock.advance(60_000); // now 12:00
    await server.running.requestLog.flush();
    const res = await server.admin('GET', `/tenants/${slug}/health`);
    assert.equal(res.status, 200, res.text);
    const { hourly, lastHour, last24Hours } = res.body;
    assert.equal(hourly.length, 24);
    assert.equal(hourly[0].start, '2026-05-31T12:00:00.000Z', 'the first window began a day ago');
    assert.equal(hourly[23].start, '2026-06-01T11:00:00.000Z', 'the last began an hour ago');
    const busy = Object.fromEntries(hourly.flatMap((b: Json) => (b.requests ? [[b.start.slice(11, 16), [b.requests, b.errors]]] : [])));
    assert.deepEqual(busy, { '08:00': [2, 1], '10:00': [1, 0], '11:00': [1, 1] });
    assert.deepEqual([lastHour.requests, lastHour.clientErrors + lastHour.serverErrors], [1, 1]);
    assert.equal(last24Hours.requests, 4);

    clock.advance(20 * 3_600_000 + 30 * 60_000); // 08:30 the next day: the 08:00 requests are more than a day old
    const later = (await server.admin('GET', `/tenants/${slug}/health`)).body;
    assert.equal(later.hourly[0].start, '2026-06-01T08:30:00.000Z');
    assert.deepEqual([later.hourly[2].requests, later.hourly[3].requests], [1, 1], '10:30 starts the third window, 11:59 is in the fourth');
    assert.equal(later.last24Hours.requests, 2);
  });
});

describe('the log switched off (ROLLCALL_REQUEST_LOG=off)', () => {
  let server: AdminTestServer;
  before(async () => { server = await startAdminServer({ config: { requestLog: { ...DEFAULTS.requestLog, enabled: false } } }); });
  after(async () => { await server?.close(); });

  test('no request is recorded and health says so', async () => {
    assert.equal((await send(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: [USER_SCHEMA], userName: `off.${process.pid}@example.com` })).status, 201);
    await server.running.requestLog.flush();
    assert.deepEqual(await server.queryRequestLog('SELECT seq FROM request_log'), []);
    const slug = slugOf(server.scimUrl);
    const health = (await server.admin('GET', `/tenants/${slug}/health`)).body;
    assert.equal(health.recording, false);
    assert.equal(health.lastRequestAt, null);
  });
});
