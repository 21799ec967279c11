// App vetoes (issue 11 item 8, docs/policies.md "App vetoes") through the real server and database,
// with the requests Okta and Entra send: vetoes registered in code (the registry rc.before fills)
// and the tenant's approval webhook (a real receiver on loopback). Every refusal is checked to reach
// the IdP as a SCIM error with the app's message and to have written nothing: the resource as it
// was, no event.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { expectProblem, scim, startAdminServer, type AdminTestServer, type Json, type ScimTenant, tenantWithPolicies } from '../support/admin.ts';
import { assertScimError } from '../support/scim-errors.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';
import { VetoRegistry, type ProposedChange } from '../../src/provisioning/policies/vetoes.ts';
import { deprovisioningPlan, onCallVeto, replacementFor, type Organisation } from '../../examples/on-call-veto/on-call.ts';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SECRET = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const SECRET2 = 'whsec_' + Buffer.alloc(32, 9).toString('base64');

let server: AdminTestServer;
let receiver: Receiver;
const vetoes = new VetoRegistry();
let n = 0;
before(async () => {
  server = await startAdminServer({ config: { webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 15_000 } }, server: { vetoes } });
  receiver = await startReceiver();
});
after(async () => { await server?.close(); await receiver?.close(); });

type Tenant = ScimTenant;
const tenantWith = (prefix: string, policies?: Json): Promise<Tenant> => tenantWithPolicies(server, prefix, policies);
const call = (t: Tenant, path: string, method = 'GET', body?: unknown) => scim(`${t.scimUrl}${path}`, t.token, method, body);
const webhookFor = (t: Tenant, path: string, extra: Json = {}) => ({ approval: { webhook: { url: `${receiver.url}/${t.slug}/${path}`, secret: SECRET, ...extra } } });
const receivedBy = (t: Tenant) => receiver.received.filter((r) => r.headers['user-agent']?.startsWith('Rollcall-Approval') && JSON.parse(r.body).change?.tenant?.slug === t.slug);

async function oktaUser(t: Tenant, userName: string): Promise<Json> {
  const res = await call(t, '/Users', 'POST', { schemas: [USER], userName, name: { givenName: 'A', familyName: 'B' }, emails: [{ primary: true, value: userName, type: 'work' }], active: true });
  assert.equal(res.status, 201, res.text);
  return res.body;
}
async function events(t: Tenant): Promise<Json[]> {
  const res = await server.admin('GET', `/events?tenant=${t.slug}&limit=500`);
  assert.equal(res.status, 200, res.text);
  return res.body.data;
}
async function unchanged(t: Tenant, path: string, before: Json, eventsBefore: number): Promise<void> {
  assert.deepEqual((await call(t, path)).body, before, 'the resource is as it was');
  assert.equal((await events(t)).length, eventsBefore, 'no event was written');
}
const oktaDeactivate = { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] };
const entraDeactivate = { schemas: [PATCH_OP], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] };

// ---- embedded vetoes (rc.before)

test("embedded: Okta's deactivation of the last on-call member is refused with the app's message; another user's passes", async () => {
  const t = await tenantWith('veto-okta');
  const ada = await oktaUser(t, 'ada@acme.example');
  const bob = await oktaUser(t, 'bob@acme.example');
  const seen: ProposedChange[] = [];
  const stop = vetoes.add('user.deactivate', (c) => {
    if (c.tenant.slug !== t.slug) return;
    seen.push(c);
    if (c.after?.userName === 'ada@acme.example') return { refuse: 'ada@acme.example is the only member of the on-call rotation of team Ops; add another member to the rotation, then retry.' };
  });
  try {
    const evBefore = (await events(t)).length;
    const res = await call(t, `/Users/${ada.id}`, 'PATCH', oktaDeactivate);
    const err = assertScimError(res, 400, undefined, /only member of the on-call rotation of team Ops/);
    assert.equal(err.scimType, undefined);
    await unchanged(t, `/Users/${ada.id}`, ada, evBefore);
    assert.deepEqual(seen[0].kinds, ['user.deactivate']);
    assert.equal(seen[0].before?.active, true);
    assert.equal(seen[0].after?.active, false);
    assert.equal(seen[0].actor.type, 'token');

    const ok = await call(t, `/Users/${bob.id}`, 'PATCH', oktaDeactivate);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.active, false);
    assert.deepEqual((await events(t)).slice(evBefore).map((e: Json) => e.type), ['user.deactivated']);
  } finally { stop(); }
});

test("embedded: Entra's \"False\" string and its member removal are refused with the status and scimType the app chose; unsafe ones fall back to 400", async () => {
  const t = await tenantWith('veto-entra');
  const created = await oktaUser(t, 'ada@contoso.example');
  const g = await call(t, '/Groups', 'POST', { schemas: [GROUP], displayName: 'Ops', members: [{ value: created.id }] });
  assert.equal(g.status, 201, g.text);
  const ada = (await call(t, `/Users/${created.id}`)).body;
  const stops = [
    vetoes.add('user.*', (c) => c.tenant.slug === t.slug ? { refuse: 'Ada holds the on-call pager; hand it over first.', status: 409 } : undefined),
    vetoes.add('group.members_remove', (c) => c.tenant.slug === t.slug ? { refuse: 'Ops would have no member left.', status: 500 as 400, scimType: 'mutability' } : undefined),
  ];
  try {
    const evBefore = (await events(t)).length;
    assertScimError(await call(t, `/Users/${ada.id}`, 'PATCH', entraDeactivate), 409, undefined, /^Ada holds the on-call pager; hand it over first\.$/);
    await unchanged(t, `/Users/${ada.id}`, ada, evBefore);
    const groupBefore = (await call(t, `/Groups/${g.body.id}`)).body;
    const removed = await call(t, `/Groups/${g.body.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: ada.id }] }] });
    const err = assertScimError(removed, 400, undefined, /^Ops would have no member left\.$/);
    assert.equal(err.scimType, 'mutability', 'a scimType allowed with 400 is kept');
    await unchanged(t, `/Groups/${g.body.id}`, groupBefore, evBefore);
    // Entra's DELETE: vetoed by user.* too
    assertScimError(await call(t, `/Users/${ada.id}`, 'DELETE'), 409, undefined, /on-call pager/);
    await unchanged(t, `/Users/${ada.id}`, ada, evBefore);
  } finally { for (const s of stops) s(); }
});

test('embedded: a veto that throws answers 503 with a clear detail and Retry-After, and writes nothing; one change with two kinds calls a veto once', async () => {
  const t = await tenantWith('veto-throw');
  const ada = await oktaUser(t, 'ada@throw.example');
  let calls = 0;
  let kinds: string[] = [];
  const stops = [
    vetoes.add('user.update', (c) => { if (c.tenant.slug === t.slug) { calls++; kinds = c.kinds; } }),
    vetoes.add('user.deactivate', (c) => { if (c.tenant.slug === t.slug) throw new Error('database of the app is down'); }),
  ];
  try {
    const evBefore = (await events(t)).length;
    const res = await call(t, `/Users/${ada.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { displayName: 'Ada L', active: false } }] });
    assertScimError(res, 503, undefined, /could not decide on this change to user "ada@throw\.example".*nothing was changed/);
    assert.equal(res.headers.get('retry-after'), '30');
    assert.doesNotMatch(JSON.stringify(res.body), /database of the app/, "the app's own error is not shown to the IdP");
    await unchanged(t, `/Users/${ada.id}`, ada, evBefore);
    assert.equal(calls, 1);
    assert.deepEqual(kinds, ['user.update', 'user.deactivate']);
  } finally { for (const s of stops) s(); }
});

test('embedded: the admin API\'s local users are not asked about (the app\'s own changes)', async () => {
  const t = await tenantWith('veto-local');
  let calls = 0;
  const stop = vetoes.add('*', (c) => { if (c.tenant.slug === t.slug) { calls++; return { refuse: 'no' }; } });
  try {
    const res = await server.admin('POST', `/tenants/${t.slug}/users`, { body: { attributes: { userName: 'local@acme.example' } } });
    assert.equal(res.status, 201, res.text);
    assert.equal(calls, 0);
    assertScimError(await call(t, '/Users', 'POST', { schemas: [USER], userName: 'idp@acme.example' }), 400, undefined, /^no$/);
    assert.equal(calls, 1);
  } finally { stop(); }
});

// ---- the approval webhook

test('webhook: an allow passes, the request verifies with the standardwebhooks package and carries the proposed change', async () => {
  const t = await tenantWith('apr-allow', webhookFor(t0(), 'allow'));
  receiver.answer = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"allow": true}' });
  const ada = await oktaUser(t, 'ada@allow.example');
  const res = await call(t, `/Users/${ada.id}`, 'PATCH', entraDeactivate);
  assert.equal(res.status, 200, res.text);
  const got = receivedBy(t);
  assert.equal(got.length, 2, 'the create and the deactivation were both asked about');
  const wh = new Webhook(SECRET);
  for (const r of got) {
    const verified = wh.verify(r.body, r.headers as Record<string, string>) as Json;
    assert.equal(verified.type, 'change.proposed');
  }
  const last = JSON.parse(got[1].body);
  assert.deepEqual(last.change.kinds, ['user.deactivate']);
  assert.equal(last.change.id, ada.id);
  assert.equal(last.change.before.active, true);
  assert.equal(last.change.after.active, false);
  assert.deepEqual((await events(t)).map((e: Json) => e.type).filter((x: string) => x.startsWith('user.')), ['user.created', 'user.deactivated']);
});
// A placeholder tenant for webhookFor before the tenant exists: the URL path only tags requests.
const t0 = (): Tenant => ({ slug: `pre${n + 1}`, scimUrl: '', token: '' });

test("webhook: a refusal reaches Okta as a SCIM error with the app's detail, status and scimType; nothing written", async () => {
  const t = await tenantWith('apr-refuse', webhookFor(t0(), 'refuse', { kinds: ['user.deactivate', 'user.delete'] }));
  const ada = await oktaUser(t, 'ada@refuse.example');
  assert.equal(receivedBy(t).length, 0, 'kinds: a create is not sent');
  receiver.answer = (r) => r.body.includes('ada@refuse.example')
    ? { status: 200, body: JSON.stringify({ allow: false, detail: 'ada@refuse.example is the only member of team Ops; add a member, then retry.', status: 400, scimType: 'invalidValue' }) }
    : { status: 200, body: '{"allow":true}' };
  const evBefore = (await events(t)).length;
  const res = await call(t, `/Users/${ada.id}`, 'PATCH', oktaDeactivate);
  assertScimError(res, 400, 'invalidValue', /^ada@refuse\.example is the only member of team Ops; add a member, then retry\.$/);
  await unchanged(t, `/Users/${ada.id}`, ada, evBefore);
  assert.equal(receivedBy(t).length, 1);
});

test('webhook: a slow receiver times out; onFailure refuse answers 503 (nothing written), onFailure allow lets the change through', async () => {
  const t = await tenantWith('apr-timeout', webhookFor(t0(), 'slow', { timeoutMs: 300, kinds: ['user.deactivate'] }));
  const ada = await oktaUser(t, 'ada@slow.example');
  receiver.answer = () => ({ status: 200, body: '{"allow":true}', delayMs: 1500 });
  const evBefore = (await events(t)).length;
  const started = Date.now();
  const res = await call(t, `/Users/${ada.id}`, 'PATCH', oktaDeactivate);
  const took = Date.now() - started;
  assertScimError(res, 503, undefined, /user "ada@slow\.example" \(its approval service did not answer within 300 ms\); nothing was changed, retry later\./);
  assert.ok(took < 1400, `answered after the timeout, not the receiver (${took} ms)`);
  await unchanged(t, `/Users/${ada.id}`, ada, evBefore);

  const read = await server.admin('GET', `/tenants/${t.slug}/settings`);
  const webhook = { ...read.body.settings.policies.approval.webhook, onFailure: 'allow' };
  const set = await server.admin('PUT', `/tenants/${t.slug}/settings`, { body: { policies: { approval: { webhook } } } });
  assert.equal(set.status, 200, set.text);
  const ok = await call(t, `/Users/${ada.id}`, 'PATCH', oktaDeactivate);
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual((await events(t)).slice(evBefore).map((e: Json) => e.type), ['user.deactivated']);
});

test('webhook: garbage, an HTTP 500 and an unreachable receiver are failures: refuse → 503, allow → passes', async () => {
  for (const [answer, why] of [
    [{ status: 200, body: 'OK' }, /answered something other than a decision/],
    [{ status: 200, body: '{"allowed": true}' }, /answered something other than a decision/],
    [{ status: 500, body: 'boom' }, /answered HTTP 500/],
  ] as const) {
    const t = await tenantWith('apr-garbage', webhookFor(t0(), 'garbage', { kinds: ['user.deactivate'] }));
    const ada = await oktaUser(t, 'ada@garbage.example');
    receiver.answer = () => answer;
    const evBefore = (await events(t)).length;
    assertScimError(await call(t, `/Users/${ada.id}`, 'PATCH', entraDeactivate), 503, undefined, why);
    await unchanged(t, `/Users/${ada.id}`, ada, evBefore);
  }
  const down = await tenantWith('apr-down', { approval: { webhook: { url: 'http://127.0.0.1:9/nobody', secret: SECRET, onFailure: 'allow', kinds: ['user.deactivate'] } } });
  const bob = await oktaUser(down, 'bob@down.example');
  assert.equal((await call(down, `/Users/${bob.id}`, 'PATCH', entraDeactivate)).status, 200);
  const refused = await tenantWith('apr-down2', { approval: { webhook: { url: 'http://127.0.0.1:9/nobody', secret: SECRET, kinds: ['user.deactivate'] } } });
  const cy = await oktaUser(refused, 'cy@down.example');
  assertScimError(await call(refused, `/Users/${cy.id}`, 'PATCH', entraDeactivate), 503, undefined, /could not be reached/);
});

test('settings: the secret is never read back, a replacement without it keeps it, one with a new one rotates it; a first webhook needs one', async () => {
  const slug = `apr-secret-${process.pid}-${++n}`;
  assert.equal((await server.admin('POST', '/tenants', { body: { slug } })).status, 201);
  const noSecret = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { approval: { webhook: { url: `${receiver.url}/x` } } } } });
  assert.equal(noSecret.status, 400, noSecret.text);
  assert.match(noSecret.text, /\/policies\/approval\/webhook\/secret/);
  const badSecret = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { approval: { webhook: { url: `${receiver.url}/x`, secret: 'hunter2' } } } } });
  assert.equal(badSecret.status, 400, badSecret.text);
  assert.doesNotMatch(badSecret.text, /hunter2/, 'a refused secret is not echoed');

  const set = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { approval: { webhook: { url: `${receiver.url}/secret`, secret: SECRET } } } } });
  assert.equal(set.status, 200, set.text);
  assert.doesNotMatch(set.text, /whsec_/);
  const read = await server.admin('GET', `/tenants/${slug}/settings`);
  assert.doesNotMatch(read.text, /whsec_/);
  assert.deepEqual(read.body.settings.policies.approval.webhook, { url: `${receiver.url}/secret`, timeoutMs: 5000, onFailure: 'refuse', kinds: null });
  // Put back as read (no secret): kept.
  assert.equal((await server.admin('PUT', `/tenants/${slug}/settings`, { body: read.body.settings })).status, 200);
  const tok = await server.admin('POST', `/tenants/${slug}/tokens`, { body: {} });
  const t: Tenant = { slug, scimUrl: tok.body.scimUrl, token: tok.body.token };
  receiver.answer = () => ({ status: 200, body: '{"allow":true}' });
  await oktaUser(t, 'ada@secret.example');
  new Webhook(SECRET).verify(receivedBy(t)[0].body, receivedBy(t)[0].headers as Record<string, string>);
  // Rotation.
  const rotated = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { approval: { webhook: { url: `${receiver.url}/secret`, secret: SECRET2 } } } } });
  assert.equal(rotated.status, 200, rotated.text);
  const audit = await server.admin('GET', `/audit?tenant=${slug}&action=settings.replace&limit=1`);
  assert.equal(audit.status, 200, audit.text);
  assert.deepEqual(audit.body.data[0].summary.changed, ['policies'], 'a rotation alone is audited as a change of policies');
  assert.equal(audit.body.data[0].summary.approvalSecretChanged, true);
  assert.doesNotMatch((await server.admin('GET', `/audit?tenant=${slug}&limit=50`)).text, /whsec_/, 'the audit log never holds the secret');
  await oktaUser(t, 'bob@secret.example');
  const last = receivedBy(t)[1];
  new Webhook(SECRET2).verify(last.body, last.headers as Record<string, string>);
  assert.throws(() => new Webhook(SECRET).verify(last.body, last.headers as Record<string, string>));
  // The stored document holds it (the hook needs it); the API never shows it.
  const rows = await server.query('SELECT settings FROM tenants WHERE slug = ?', [slug]);
  const stored = rows[0]?.settings;
  assert.match(typeof stored === 'string' ? stored : JSON.stringify(stored), new RegExp(SECRET2.slice(0, 20).replace(/[+/]/g, '\\$&')));
});

test("settings: an approval URL this server may not call (http, loopback) is refused when saved, under the server's webhook rules", async () => {
  const strict = await startAdminServer();
  try {
    const slug = `apr-strict-${process.pid}`;
    assert.equal((await strict.admin('POST', '/tenants', { body: { slug } })).status, 201);
    const http = await strict.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { approval: { webhook: { url: 'http://app.example.com/approve', secret: SECRET } } } } });
    assert.equal(http.status, 400, http.text);
    assert.equal(http.body.field, '/policies/approval/webhook/url');
    assert.match(http.body.detail, /https/);
    const loopback = await strict.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { approval: { webhook: { url: 'https://127.0.0.1/approve', secret: SECRET } } } } });
    assert.equal(loopback.status, 400, loopback.text);
    assert.match(loopback.body.detail, /127\.0\.0\.1/);
    const ok = await strict.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { approval: { webhook: { url: 'https://app.example.com/approve', secret: SECRET } } } } });
    assert.equal(ok.status, 200, ok.text);
  } finally { await strict.close(); }
});

test('webhook latency: a loopback receiver answering at once (figures for docs/policies.md)', async () => {
  const plain = await tenantWith('apr-lat0');
  const hooked = await tenantWith('apr-lat1', webhookFor(t0(), 'latency', { kinds: ['user.update'] }));
  receiver.answer = () => ({ status: 200, body: '{"allow":true}' });
  const measure = async (t: Tenant) => {
    const u = await oktaUser(t, `lat@${t.slug}.example`);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      const res = await call(t, `/Users/${u.id}`, 'PATCH', { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: `L ${i}` }] });
      times.push(performance.now() - s);
      assert.equal(res.status, 200, res.text);
    }
    times.sort((a, b) => a - b);
    return { median: times[15], p90: times[27] };
  };
  const a = await measure(plain);
  const b = await measure(hooked);
  assert.equal(receivedBy(hooked).length, 30);
  console.log(`# approval webhook latency (ms, 30 PATCHes): without median ${a.median.toFixed(2)} p90 ${a.p90.toFixed(2)}; with median ${b.median.toFixed(2)} p90 ${b.p90.toFixed(2)}`);
});

// ---- the worked example (examples/on-call-veto): Splunk On-Call's deprovisioning rule

test("example on-call-veto: Okta's deactivation of a team's only member and Entra's DELETE of the only Global Admin are refused; a user with a replacement goes, replaced in the article's order", async () => {
  const t = await tenantWith('oncall');
  const org: Organisation = {
    globalAdmins: ['root@acme.example'],
    teams: [
      { name: 'Ops', members: [{ userName: 'ada@acme.example', role: 'member', reachable: true }], onCall: ['ada@acme.example'] },
      {
        name: 'Web', onCall: ['bob@acme.example'], members: [
          { userName: 'bob@acme.example', role: 'teamAdmin', reachable: true },
          { userName: 'carol@acme.example', role: 'member', reachable: true },
          { userName: 'frank@acme.example', role: 'alertAdmin', reachable: true },
          { userName: 'erin@acme.example', role: 'alertAdmin', reachable: true },
          { userName: 'dave@acme.example', role: 'alertAdmin', reachable: false },
        ],
      },
    ],
  };
  // The article's order: Team Admin, Alert Admin, Global Admin, Non-admin; reachable first; userName A→Z.
  assert.equal(replacementFor(org.teams[1], 'bob@acme.example')?.userName, 'erin@acme.example');
  const veto = onCallVeto((slug) => (slug === t.slug ? org : undefined));
  const stops = [vetoes.add('user.deactivate', veto), vetoes.add('user.delete', veto)];
  try {
    const ada = await oktaUser(t, 'ada@acme.example');
    const root = await oktaUser(t, 'root@acme.example');
    const bob = await oktaUser(t, 'bob@acme.example');
    const evBefore = (await events(t)).length;
    assertScimError(await call(t, `/Users/${ada.id}`, 'PATCH', oktaDeactivate), 400, undefined,
      /^ada@acme\.example is the only member of team Ops in Splunk On-Call; add another member to Ops, then retry\.$/);
    await unchanged(t, `/Users/${ada.id}`, ada, evBefore);
    assertScimError(await call(t, `/Users/${root.id}`, 'DELETE'), 400, undefined, /only Global Admin/);
    await unchanged(t, `/Users/${root.id}`, root, evBefore);
    assert.deepEqual(deprovisioningPlan(org, 'bob@acme.example'), { ok: true, leave: ['Web'], replace: [{ team: 'Web', by: 'erin@acme.example' }] });
    const ok = await call(t, `/Users/${bob.id}`, 'PATCH', oktaDeactivate);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual((await events(t)).slice(evBefore).map((e: Json) => e.type), ['user.deactivated']);
  } finally { for (const s of stops) s(); }
});

test('settings: a new approval URL needs a new secret (refused without one, nothing written); with one, the new receiver gets requests signed with it', async () => {
  const slug = `apr-move-${process.pid}-${++n}`;
  assert.equal((await server.admin('POST', '/tenants', { body: { slug } })).status, 201);
  const set = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { approval: { webhook: { url: `${receiver.url}/${slug}/old`, secret: SECRET, kinds: ['user.create'] } } } } });
  assert.equal(set.status, 200, set.text);
  const read = await server.admin('GET', `/tenants/${slug}/settings`);
  // The document as read back, pointed at another receiver, without a secret: refused.
  const moved = { policies: { approval: { webhook: { ...read.body.settings.policies.approval.webhook, url: `${receiver.url}/${slug}/new?token=abc` } } } };
  const refused = await server.admin('PUT', `/tenants/${slug}/settings`, { body: moved });
  const p = expectProblem(refused, 400) as Json;
  assert.match(refused.text, /\/policies\/approval\/webhook\/secret/);
  assert.match(p.detail, /is required when the URL changes: the stored secret belongs to the receiver at the previous URL/);
  for (const leak of [SECRET, 'token=abc', `${slug}/old`, `${slug}/new`]) assert.ok(!refused.text.includes(leak), `neither the secret nor a URL is echoed: ${leak}`);
  const after = await server.admin('GET', `/tenants/${slug}/settings`);
  assert.equal(after.body.version, read.body.version, 'nothing written');
  assert.equal(after.body.settings.policies.approval.webhook.url, `${receiver.url}/${slug}/old`);
  // With a new secret: accepted, and the new receiver verifies with it, not with the old one.
  const ok = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { policies: { approval: { webhook: { ...moved.policies.approval.webhook, secret: SECRET2 } } } } });
  assert.equal(ok.status, 200, ok.text);
  const tok = await server.admin('POST', `/tenants/${slug}/tokens`, { body: {} });
  const t: Tenant = { slug, scimUrl: tok.body.scimUrl, token: tok.body.token };
  receiver.answer = () => ({ status: 200, body: '{"allow":true}' });
  await oktaUser(t, 'ada@moved.example');
  const got = receivedBy(t).at(-1)!;
  new Webhook(SECRET2).verify(got.body, got.headers as Record<string, string>);
  assert.throws(() => new Webhook(SECRET).verify(got.body, got.headers as Record<string, string>));
});
