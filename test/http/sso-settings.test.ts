// The tenant settings section "sso" through the admin API (docs/sso.md): its defaults on a tenant
// that set nothing, a full section kept as written, and refusals that name the offending field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { expectProblem, startAdminServer, type AdminTestServer } from '../support/admin.ts';

let server: AdminTestServer;
before(async () => { server = await startAdminServer({ tenant: 'sso-settings' }); });
after(async () => { await server?.close(); });

const put = (sso: unknown) => server.admin('PUT', '/tenants/sso-settings/settings', { body: { sso } });

test('a tenant that set nothing reads the SSO defaults: no allow-list, code hand-off', async () => {
  const read = await server.admin('GET', '/tenants/sso-settings/settings');
  assert.equal(read.status, 200, read.text);
  assert.deepEqual(read.body.settings.sso, {
    redirectUrls: [], defaultRedirectUrl: null, handoff: 'code', ssoRequired: false, justInTime: false,
    matchBy: 'userName', nameIdAttribute: null, connectionAttribute: null, clockSkewSeconds: 60,
  });
});

test('a section is written and read back as written; omitted keys take their defaults', async () => {
  const sso = { redirectUrls: ['https://app.acme.example/sso', 'http://localhost:3000/'], defaultRedirectUrl: 'https://app.acme.example/sso/home', handoff: 'jwt', ssoRequired: true };
  const res = await put(sso);
  assert.equal(res.status, 200, res.text);
  const read = await server.admin('GET', '/tenants/sso-settings/settings');
  assert.deepEqual(read.body.settings.sso, { ...sso, justInTime: false, matchBy: 'userName', nameIdAttribute: null, connectionAttribute: null, clockSkewSeconds: 60 });
});

test('refusals name the field: an http allow-list entry, a default outside the list, an unknown key, a wrong type', async () => {
  const entry = expectProblem(await put({ redirectUrls: ['https://ok.example/', 'http://app.acme.example/'] }), 400, { field: '/sso/redirectUrls/1' });
  assert.match(entry.detail, /https/);
  expectProblem(await put({ redirectUrls: ['https://app.acme.example/app'], defaultRedirectUrl: 'https://app.acme.example/application' }), 400, { field: '/sso/defaultRedirectUrl' });
  expectProblem(await put({ redirectUrls: ['https://app.acme.example/'], defaultRedirectUrl: '//evil.example/' }), 400, { field: '/sso/defaultRedirectUrl' });
  expectProblem(await put({ redirectUrls: ['https://app.acme.example@evil.example/'] }), 400, { field: '/sso/redirectUrls/0' });
  // Shapes the published JSON Schema already refuses are named by the schema check, in its dotted form.
  expectProblem(await put({ colour: 'red' }), 400, { field: 'sso.colour' });
  expectProblem(await put({ handoff: 'cookie' }), 400, { field: 'sso.handoff' });
  expectProblem(await put({ clockSkewSeconds: 601 }), 400, { field: 'sso.clockSkewSeconds' });
  const read = await server.admin('GET', '/tenants/sso-settings/settings');
  assert.equal(read.body.settings.sso.handoff, 'jwt', 'nothing refused was written');
});
