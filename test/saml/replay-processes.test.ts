// Replay across processes: two Rollcall processes on one database (this test's server, and a real
// `rollcall serve` child with the same public URL, as behind a load balancer). An assertion accepted
// by one is refused by the other; a sign-in started on one is finished on the other (the AuthnRequest
// id is in the database); the same response posted to both at once signs in exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startProcess, type RollcallProcess } from '../../harness/processes.ts';
import { startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { TestIdp } from '../support/saml-idp.ts';
import { expectFailedEvent, expectRefusal, followToApp, goodResponse, postAcs, provision, signInEvents, spInitiated, ssoKey, ssoTenant, startApp, type SsoTenant, type TestApp } from '../support/sso.ts';

let server: AdminTestServer;
let other: RollcallProcess;
let app: TestApp;
let t: SsoTenant;

/** The same tenant's ACS on the other process. */
const otherAcs = () => `${other.url}/saml/${t.slug}/acs`;

before(async () => {
  server = await startAdminServer();
  // The same public URL: both processes are one SP (one entity id and ACS) to the IdP.
  other = await startProcess(server.databaseUrl, { ROLLCALL_PUBLIC_URL: server.baseUrl });
  app = await startApp(server.baseUrl, await ssoKey(server));
  t = await ssoTenant(server, app);
  await provision(t, 'ada@acme.example');
});
after(async () => {
  await other?.stop();
  await app?.close();
  await server?.close();
});

test('an assertion accepted by one process is refused as a replay by the other', async () => {
  const first = await spInitiated(t, 'ada@acme.example');
  await followToApp(first.acs, app);
  const replayed = await postAcs(otherAcs(), { SAMLResponse: t.idp.post(first.xml), RelayState: first.requestId });
  expectRefusal(replayed, 403, 'replay');
  const e = await expectFailedEvent(server, t.slug, 'replay');
  assert.equal(e.data.nameId, 'ada@acme.example');
});

test('a sign-in started on one process is finished on the other', async () => {
  const login = await fetch(`${other.url}/saml/${t.slug}/login`, { redirect: 'manual' });
  assert.equal(login.status, 302);
  const request = TestIdp.readAuthnRequest(login.headers.get('location')!);
  const acs = await postAcs(t.acsUrl, { SAMLResponse: t.idp.post(goodResponse(t, 'ada@acme.example', { inResponseTo: request.id })), RelayState: request.id });
  const visit = await followToApp(acs, app);
  assert.equal(visit.exchange?.status, 200);
});

test('the same response posted to both processes at once signs in exactly once', async () => {
  for (let round = 0; round < 5; round++) {
    const before = (await signInEvents(server, t.slug)).filter((e) => e.type === 'user.signed_in').length;
    const login = await fetch(`${t.loginUrl}`, { redirect: 'manual' });
    const request = TestIdp.readAuthnRequest(login.headers.get('location')!);
    const form = { SAMLResponse: t.idp.post(goodResponse(t, 'ada@acme.example', { inResponseTo: request.id })), RelayState: request.id };
    const answers = await Promise.all([postAcs(t.acsUrl, form), postAcs(otherAcs(), form)]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [302, 403], `round ${round}: one hand-off, one replay refusal: ${answers.map((a) => a.text.slice(0, 200)).join(' | ')}`);
    expectRefusal(answers.find((a) => a.status === 403)!, 403, 'replay');
    const after = (await signInEvents(server, t.slug)).filter((e) => e.type === 'user.signed_in').length;
    assert.equal(after, before + 1);
  }
});
