// The console's single sign-on page in Chromium: a SAML connection added by uploading the test IdP's
// metadata file, the SP values to copy equal to the admin API's, a broken document refused in words,
// a read key without write controls, and the test sign-in button going to the URL the API gives.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { DEFAULTS } from '../../src/config/config.ts';
import { browserSkipReason, checkAccessibility } from '../support/browser.ts';
import { acceptDialogs, assertNoConsoleErrors, startConsoleRig, type ConsoleRig } from '../support/console-rig.ts';
import { TestIdp } from '../support/saml-idp.ts';

const skip = browserSkipReason();
let rig: ConsoleRig;
const idp = TestIdp.create();
/** A metadata URL on loopback (allowed by this server's config, as in development): answers the IdP's metadata, or 500 while `metadataDown`. */
let metadataServer: Server;
let metadataUrl = '';
let metadataDown = false;

before(async () => {
  if (skip) return;
  metadataServer = createServer((_req, res) => {
    if (metadataDown) { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('down for maintenance'); return; }
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' });
    res.end(idp.metadataXml());
  });
  await new Promise<void>((resolve) => metadataServer.listen(0, '127.0.0.1', resolve));
  metadataUrl = `http://127.0.0.1:${(metadataServer.address() as { port: number }).port}/app/metadata`;
  rig = await startConsoleRig({ config: { saml: { ...DEFAULTS.saml, metadataAllowHttp: true, metadataAllowPrivateAddresses: true, metadataTimeoutMs: 5000 } } });
  for (const slug of ['sso-upload', 'sso-broken', 'sso-read', 'sso-test', 'sso-url', 'sso-hostile', 'sso-manual']) {
    const created = await rig.server.admin('POST', '/tenants', { body: { slug, name: slug } });
    assert.equal(created.status, 201);
  }
});
after(async () => {
  if (skip) return;
  await rig.close();
  metadataServer.closeAllConnections();
  await new Promise((resolve) => metadataServer.close(resolve));
});

test('uploading the IdP metadata file adds the connection and shows the SP values the admin API gives', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/sso-upload/sso');
  await page.getByRole('heading', { level: 1, name: 'Single sign-on' }).waitFor();
  await page.getByText('No identity provider is connected yet.').waitFor();
  await checkAccessibility(page, 'SSO page, no connection');

  await page.getByLabel('Name', { exact: true }).fill('Okta');
  assert.equal(await page.getByLabel('Add from').inputValue(), 'file');
  await page.getByLabel('Metadata file').setInputFiles({ name: 'okta-metadata.xml', mimeType: 'application/xml', buffer: Buffer.from(idp.metadataXml()) });
  await page.getByRole('button', { name: 'Add connection' }).click();
  await page.getByRole('heading', { level: 3, name: /Okta/ }).waitFor();

  const listed = await rig.server.admin('GET', '/tenants/sso-upload/saml/connections');
  assert.equal(listed.body.data.length, 1);
  const c = listed.body.data[0];
  assert.equal(c.entityId, idp.entityId);
  // The values to copy are the connection's sp, exactly.
  assert.equal(await page.getByRole('textbox', { name: 'SP entity ID', exact: true }).inputValue(), c.sp.entityId);
  assert.equal(await page.getByRole('textbox', { name: 'ACS URL', exact: true }).inputValue(), c.sp.acsUrl);
  assert.equal(await page.getByRole('textbox', { name: 'SP metadata URL', exact: true }).inputValue(), c.sp.metadataUrl);
  assert.ok(c.sp.acsUrl.endsWith('/saml/sso-upload/acs'));
  await page.getByRole('button', { name: 'Copy ACS URL' }).waitFor();
  // What was read from the metadata: the IdP's entity id, sign-in URL and certificate fingerprint.
  const card = page.getByRole('article', { name: /Okta/ });
  await card.getByText(idp.entityId, { exact: true }).waitFor();
  await card.getByText(idp.ssoUrl, { exact: true }).waitFor();
  await card.getByText(c.certificates[0].fingerprint).waitFor();
  await card.getByRole('button', { name: 'Test sign-in with Okta' }).waitFor();
  await checkAccessibility(page, 'SSO page with a connection');

  // A rollover: the IdP's metadata now lists a second certificate; uploading it adds it.
  const next = TestIdp.create({ key: 'idp-next' });
  await card.getByText('Replace the metadata').click();
  await card.getByLabel('New metadata file for Okta').setInputFiles({ name: 'okta-metadata-2.xml', mimeType: 'application/xml', buffer: Buffer.from(idp.metadataXml({ extraCertificates: [next.certificatePem] })) });
  await card.getByRole('button', { name: 'Replace metadata' }).click();
  await page.getByRole('article', { name: /Okta/ }).locator('.mono').filter({ hasText: /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/ }).nth(1).waitFor();
  assert.equal((await rig.server.admin('GET', '/tenants/sso-upload/saml/connections')).body.data[0].certificates.length, 2);

  // Delete, after the confirmation, removes it.
  acceptDialogs(page);
  await card.getByRole('button', { name: 'Delete connection Okta' }).click();
  await page.getByText('No identity provider is connected yet.').waitFor();
  assert.equal((await rig.server.admin('GET', '/tenants/sso-upload/saml/connections')).body.data.length, 0);
  assertNoConsoleErrors(consoleErrors);
});

test('a document that is not metadata is refused in words, and the form keeps what was typed', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/sso-broken/sso');
  await page.getByLabel('Name', { exact: true }).fill('Broken');
  await page.getByLabel('Add from').selectOption('xml');
  await page.getByRole('textbox', { name: 'Metadata XML', exact: true }).fill('<html><body>this is the login page, not metadata</body></html>');
  await page.getByRole('button', { name: 'Add connection' }).click();
  const alert = page.getByRole('form', { name: 'Add a connection' }).getByRole('alert');
  await alert.waitFor();
  const text = await alert.innerText();
  assert.match(text, /metadata|EntityDescriptor/i, text);
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Broken');
  assert.equal((await rig.server.admin('GET', '/tenants/sso-broken/saml/connections')).body.data.length, 0);
  // A metadata URL where nothing answers is refused in words too.
  await page.getByLabel('Add from').selectOption('url');
  await page.getByRole('textbox', { name: 'Metadata URL', exact: true }).fill('http://127.0.0.1:1/metadata');
  await page.getByRole('button', { name: 'Add connection' }).click();
  await page.getByRole('form', { name: 'Add a connection' }).getByRole('alert').filter({ hasText: '127.0.0.1:1' }).waitFor();
  assert.equal((await rig.server.admin('GET', '/tenants/sso-broken/saml/connections')).body.data.length, 0);
  assertNoConsoleErrors(consoleErrors, [400]);
});

test('a read key sees the connections and the SP values but no control that changes them', { skip }, async () => {
  const made = await rig.server.admin('POST', '/tenants/sso-read/saml/connections', { body: { name: 'Entra', metadataXml: idp.metadataXml() } });
  assert.equal(made.status, 201);
  const { page, consoleErrors } = await rig.open({ key: rig.server.readKey });
  await page.goto('/console/tenants/sso-read/sso');
  await page.getByRole('heading', { level: 3, name: /Entra/ }).waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'SP entity ID', exact: true }).inputValue(), made.body.sp.entityId);
  assert.equal(await page.getByRole('form', { name: 'Add a connection' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /Delete|Test sign-in|Refresh/ }).count(), 0);
  await checkAccessibility(page, 'SSO page, read key');
  assertNoConsoleErrors(consoleErrors);
});

test('the test sign-in button sends the browser to the URL the admin API gives', { skip }, async (t) => {
  const made = await rig.server.admin('POST', '/tenants/sso-test/saml/connections', { body: { name: 'Okta', metadataXml: idp.metadataXml() } });
  assert.equal(made.status, 201);
  // The endpoint is lane B's (issue 13); until it is on main, this test says so and stops.
  const probe = await rig.server.admin('POST', `/tenants/sso-test/saml/connections/${made.body.id}/test`);
  if (probe.status === 404) { t.skip('POST …/saml/connections/{id}/test is not on this branch yet'); return; }
  assert.equal(probe.status, 200, probe.text);
  const { page, consoleErrors } = await rig.open();
  // The test IdP is not on the network: the request to it is answered here, and recorded.
  const reached: string[] = [];
  await page.route(`${new URL(idp.ssoUrl).origin}/**`, (route) => { reached.push(route.request().url()); void route.fulfill({ status: 200, contentType: 'text/plain', body: 'the IdP' }); });
  await page.goto('/console/tenants/sso-test/sso');
  await page.getByRole('button', { name: 'Test sign-in with Okta' }).click();
  await page.waitForURL((u) => u.href.startsWith(idp.ssoUrl));
  assert.equal(reached.length, 1);
  assert.match(reached[0], /SAMLRequest=/);
  assertNoConsoleErrors(consoleErrors);
});

test('a connection from a metadata URL: a failed refresh is shown in words and the last good metadata kept; disable and enable', { skip }, async () => {
  metadataDown = false;
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/sso-url/sso');
  await page.getByLabel('Name', { exact: true }).fill('Okta');
  await page.getByLabel('Add from').selectOption('url');
  await page.getByRole('textbox', { name: 'Metadata URL', exact: true }).fill(metadataUrl);
  await page.getByRole('button', { name: 'Add connection' }).click();
  const card = page.getByRole('article', { name: /Okta/ });
  await card.getByText(metadataUrl).waitFor();
  await card.getByText(idp.entityId, { exact: true }).waitFor();

  metadataDown = true;
  await card.getByRole('button', { name: 'Refresh metadata of Okta' }).click();
  const alert = page.getByRole('alert').filter({ hasText: 'Refreshing Okta failed; the last good metadata is kept' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /500/);
  await page.reload();
  await card.getByText('The last metadata refresh failed').waitFor();
  await card.getByText(idp.entityId, { exact: true }).waitFor();
  await checkAccessibility(page, 'SSO page with a failed refresh');

  await card.getByRole('button', { name: 'Disable connection Okta' }).click();
  await card.getByText('disabled', { exact: true }).waitFor();
  const [c] = (await rig.server.admin('GET', '/tenants/sso-url/saml/connections')).body.data;
  assert.equal(c.enabled, false);
  await card.getByRole('button', { name: 'Enable connection Okta' }).click();
  await card.getByText('enabled', { exact: true }).waitFor();
  assertNoConsoleErrors(consoleErrors);
});

test('names and metadata values are shown as text, never as markup', { skip }, async () => {
  const hostile = '<img src=x onerror="window.__pwned=1">';
  const sneaky = TestIdp.create({ entityId: 'https://idp.example.test/<script>window.__pwned=2</script>' });
  const made = await rig.server.admin('POST', '/tenants/sso-hostile/saml/connections', { body: { name: hostile, metadataXml: sneaky.metadataXml() } });
  assert.equal(made.status, 201, made.text);
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/sso-hostile/sso');
  await page.getByRole('heading', { level: 3, name: /onerror/ }).waitFor();
  await page.getByText(sneaky.entityId, { exact: true }).waitFor();
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('main img, main script').count(), 0);
  assertNoConsoleErrors(consoleErrors);
});

test('a connection typed in by hand: entity ID, sign-in URL and the certificate pasted as PEM', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/sso-manual/sso');
  await page.getByLabel('Name', { exact: true }).fill('Entra ID');
  await page.getByLabel('Add from').selectOption('manual');
  await page.getByLabel('IdP entity ID').fill(idp.entityId);
  await page.getByLabel('IdP single sign-on URL').fill(idp.ssoUrl);
  await page.getByLabel('Signing certificate').fill(idp.certificatePem);
  await checkAccessibility(page, 'SSO page, typing a connection in');
  await page.getByRole('button', { name: 'Add connection' }).click();
  const card = page.getByRole('article', { name: /Entra ID/ });
  await card.getByText('uploaded or typed in (not refreshed)').waitFor();
  const [c] = (await rig.server.admin('GET', '/tenants/sso-manual/saml/connections')).body.data;
  assert.equal(c.entityId, idp.entityId);
  assert.equal(c.ssoUrl, idp.ssoUrl);
  await card.getByText(c.certificates[0].fingerprint).waitFor();
  assertNoConsoleErrors(consoleErrors);
});
