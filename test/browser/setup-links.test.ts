// Setup links in a real Chromium (issue 13 items 3 and 4): the vendor makes a link in the console,
// the customer's IT admin opens it in a browser of their own, the token leaves the address at once,
// the guided Okta page shows the tenant's SCIM base URL and unique identifier, a SCIM token is
// created (shown once, reached by keyboard), the test sends a SCIM request with it as Okta would and
// "First request received from Okta" appears; SAML: the IdP metadata uploaded through the page and a
// test sign-in answered by the test IdP; expired and revoked links show their page and nothing else.
// Every page is checked with axe-core, and no page logs a console error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ManualClock } from '../../src/provisioning/clock.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { scim, startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { browserSkipReason, checkAccessibility, launchBrowser, newPage } from '../support/browser.ts';
import { TestIdp } from '../support/saml-idp.ts';

const skip = browserSkipReason();
const clock = new ManualClock(Date.now());
let server: AdminTestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let made = 0;

before(async () => {
  if (skip) return;
  server = await startAdminServer({ server: { clock } });
  browser = await launchBrowser();
});
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await server?.close();
});

async function page(): Promise<{ page: Page; context: BrowserContext; consoleErrors: string[] }> {
  const p = await newPage(browser, { baseURL: server.baseUrl });
  contexts.push(p.context);
  return p;
}

async function tenant(): Promise<string> {
  const slug = `setup-${process.pid}-${++made}`;
  const r = await server.admin('POST', '/tenants', { body: { slug, name: `Acme ${made}` } });
  assert.equal(r.status, 201, r.text);
  return slug;
}

/** A link made through the admin API (the vendor's console flow is tested on its own). */
async function link(slug: string, body: Record<string, unknown> = {}): Promise<{ id: string; url: string }> {
  const r = await server.admin('POST', `/tenants/${slug}/setup-links`, { body });
  assert.equal(r.status, 201, r.text);
  return r.body as { id: string; url: string };
}

/** The console's sign-in form, then a page by address (the shell's ?next= is not followed on sign-in). */
async function vendorOpens(v: { page: Page; consoleErrors: string[] }, path: string): Promise<void> {
  await v.page.goto('/console/sign-in');
  await v.page.getByLabel('Admin API key').fill(server.adminKey);
  await v.page.getByRole('button', { name: 'Sign in' }).click();
  await v.page.getByRole('button', { name: 'Sign out' }).waitFor();
  await v.page.goto(`/console${path}`);
  await v.page.getByRole('heading', { level: 1 }).first().waitFor();
}

/** An ended link's page: its heading and one paragraph, no control of any kind. */
async function expectEndedPage(p: Page, heading: string): Promise<void> {
  await p.getByRole('heading', { level: 1, name: heading }).waitFor();
  const main = p.locator('main');
  assert.equal(await main.locator('a, button, input, select, textarea').count(), 0, 'nothing to do on an ended link\'s page');
  assert.equal(await main.locator('h1, p').count(), 2);
  assert.match(await main.innerText(), /ask the person who sent it to you for a new (one|link)/i);
  await checkAccessibility(p, heading);
}

describe('setup links in the browser', { skip }, () => {
  test('vendor creates a link → the customer opens it → Okta guide → SCIM token shown once → the IdP\'s first request appears live → finish', async () => {
    const slug = await tenant();
    const vendor = await page();
    await vendorOpens(vendor, `/tenants/${slug}/setup-links`);
    await vendor.page.getByRole('heading', { level: 1, name: `Setup links · ${slug}` }).waitFor();
    await vendor.page.getByText('No setup links yet').waitFor();
    await checkAccessibility(vendor.page, 'setup links (empty)');
    await vendor.page.getByLabel('Single sign-on').uncheck();
    await vendor.page.getByLabel('Works for').selectOption('72');
    await vendor.page.getByLabel('For whom (note)').fill('Acme IT, Jane');
    await vendor.page.getByRole('button', { name: 'Create setup link' }).click();
    const urlField = vendor.page.getByRole('textbox', { name: 'Setup link', exact: true });
    await urlField.waitFor();
    const url = await urlField.inputValue();
    assert.match(url, /\/setup\/#rcl_|\/setup\/rcl_/);
    await vendor.page.getByRole('table', { name: 'Setup links' }).getByText('active').waitFor();
    await checkAccessibility(vendor.page, 'setup links (created)');

    const customer = await page();
    const p = customer.page;
    await p.goto(url);
    await p.getByRole('heading', { level: 1, name: /^Connect Acme \d+ to your identity provider$/ }).waitFor();
    assert.equal(new URL(p.url()).pathname, '/setup', 'the token left the address at once');
    assert.doesNotMatch(p.url(), /rcl_/);
    assert.equal(await p.evaluate(() => location.hash), '');
    await checkAccessibility(p, 'setup start');

    await p.getByRole('link', { name: 'Set up with Okta' }).click();
    await p.getByRole('heading', { level: 1, name: 'Set up with Okta' }).waitFor();
    const scimUrl = `${server.baseUrl}/scim/v2/${slug}`;
    assert.equal(await p.getByRole('textbox', { name: 'SCIM connector base URL', exact: true }).inputValue(), scimUrl);
    assert.equal(await p.getByRole('textbox', { name: 'Unique identifier field for users', exact: true }).inputValue(), 'userName');
    assert.equal(await p.getByRole('heading', { name: 'Single sign-on (SAML)' }).count(), 0, 'a SCIM-only link shows no SSO part');
    await p.getByRole('table', { name: 'Attributes to add in the Okta Profile Editor' }).getByText('manager', { exact: true }).waitFor();
    await checkAccessibility(p, 'Okta guide');

    // Keyboard through the token step: focus the button, Enter, the token field has the focus, Tab reaches its copy button.
    await p.getByRole('button', { name: 'Create SCIM token' }).focus();
    await p.keyboard.press('Enter');
    const tokenField = p.getByRole('textbox', { name: 'SCIM token', exact: true });
    await tokenField.waitFor();
    const token = await tokenField.inputValue();
    assert.match(token, /^rcs_/);
    assert.equal(await p.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value), token, 'the new token has the focus');
    await p.keyboard.press('Tab');
    assert.equal(await p.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Copy SCIM token');
    await p.getByText('Shown once.', { exact: true }).waitFor();
    await checkAccessibility(p, 'Okta guide with the token');

    // Okta's "Test Connector Configuration": a SCIM request with the token and Okta's User-Agent.
    const res = await fetch(`${scimUrl}/Users?filter=${encodeURIComponent('userName eq "nobody@acme.example"')}`, { headers: { authorization: `Bearer ${token}`, 'user-agent': 'Okta SCIM Client 1.0.0' } });
    assert.equal(res.status, 200, await res.text());
    await p.getByText('First request received from Okta').waitFor({ timeout: 20_000 });
    assert.equal(await p.getByRole('status').filter({ hasText: 'First request received from Okta' }).count(), 1, 'announced in a live region');

    await p.getByRole('button', { name: 'Finish setup' }).click();
    await p.getByRole('heading', { level: 1, name: 'Setup finished' }).waitFor();
    await checkAccessibility(p, 'setup finished');

    await vendor.page.reload();
    await vendor.page.getByRole('table', { name: 'Setup links' }).getByText('completed').waitFor();
    // A used-up link opens nothing more.
    const again = await page();
    await again.page.goto(url);
    await expectEndedPage(again.page, 'This setup link has been used');
    assert.deepEqual([...vendor.consoleErrors, ...customer.consoleErrors], []);
  });

  test('SAML: the IdP metadata uploaded through the setup page, then "Test sign-in" answered by the test IdP: succeeded, with the NameID', async () => {
    const slug = await tenant();
    const tok = await server.admin('POST', `/tenants/${slug}/tokens`, { body: {} });
    assert.equal(tok.status, 201, tok.text);
    const created = await scim(`${tok.body.scimUrl}/Users`, tok.body.token, 'POST', { schemas: [USER_SCHEMA], userName: 'ada@acme.example', emails: [{ value: 'ada@acme.example', primary: true }] });
    assert.equal(created.status, 201, created.text);
    const { url } = await link(slug, { purposes: ['sso'] });
    const idp = TestIdp.create();
    const acsUrl = `${server.baseUrl}/saml/${slug}/acs`;
    const customer = await page();
    // The test IdP "signs the person in": it answers the AuthnRequest with a signed response, posted to the ACS by a form.
    await customer.context.route(`${idp.ssoUrl}**`, async (route) => {
      const request = TestIdp.readAuthnRequest(route.request().url());
      const xml = idp.responseXml({ acsUrl, audience: `${server.baseUrl}/saml/${slug}/metadata`, nameId: 'ada@acme.example', sign: 'assertion', inResponseTo: request.id, now: new Date(clock.now()), attributes: { firstName: 'Ada' } });
      const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
      await route.fulfill({
        status: 200, contentType: 'text/html',
        body: `<!doctype html><html><body><form method="post" action="${esc(acsUrl)}"><input type="hidden" name="SAMLResponse" value="${esc(idp.post(xml))}"><input type="hidden" name="RelayState" value="${esc(request.relayState ?? '')}"></form><script>document.forms[0].submit()</script></body></html>`,
      });
    });
    const p = customer.page;
    await p.goto(url);
    await p.getByRole('link', { name: 'Set up with Okta' }).click();
    await p.getByRole('heading', { level: 1, name: 'Set up with Okta' }).waitFor();
    assert.equal(await p.getByRole('button', { name: 'Create SCIM token' }).count(), 0, 'an SSO-only link shows no SCIM part');
    assert.equal(await p.getByRole('textbox', { name: 'Audience URI (SP Entity ID)', exact: true }).inputValue(), `${server.baseUrl}/saml/${slug}/metadata`);
    assert.equal(await p.getByRole('textbox', { name: 'Single sign-on URL (ACS URL)', exact: true }).inputValue(), acsUrl);
    await p.getByText('No identity provider is connected yet').waitFor();
    await p.getByLabel('IdP metadata file').setInputFiles({ name: 'okta-metadata.xml', mimeType: 'application/xml', buffer: Buffer.from(idp.metadataXml()) });
    await p.getByRole('button', { name: 'Connect', exact: true }).click();
    await p.getByText('Okta is connected').waitFor();
    await checkAccessibility(p, 'Okta guide with a connection');

    const popup = customer.context.waitForEvent('page');
    await p.getByRole('button', { name: 'Test sign-in with Okta' }).click();
    const result = await popup;
    await result.getByRole('heading', { level: 1, name: 'Test sign-in succeeded' }).waitFor();
    assert.match(await result.locator('body').innerText(), /NameID\s+ada@acme\.example/);
    assert.match(await result.locator('body').innerText(), /ada@acme\.example/);
    await checkAccessibility(result, 'test sign-in result');
    const events = await server.admin('GET', `/events?tenant=${slug}&types=user.signed_in`);
    assert.equal(events.body.data.length, 0, 'a test signs nobody in');
    assert.deepEqual(customer.consoleErrors, []);
  });

  test('the Entra guide follows the tenant\'s policy: the email identifier, and its custom attribute as an Entra target and Okta namespace/name', async () => {
    const slug = await tenant();
    const set = await server.admin('PUT', `/tenants/${slug}/settings`, { body: {
      policies: { attributes: { uniqueIdentifier: 'email' } },
      customSchemas: [{ id: 'urn:ietf:params:scim:schemas:extension:acme:2.0:User', attributes: [{ name: 'badge', type: 'string' }] }],
    } });
    assert.equal(set.status, 200, set.text);
    const { url } = await link(slug);
    const customer = await page();
    const p = customer.page;
    await p.goto(url);
    await p.getByRole('link', { name: 'Set up with Microsoft Entra ID' }).click();
    await p.getByRole('heading', { level: 1, name: 'Set up with Microsoft Entra ID' }).waitFor();
    assert.equal(await p.getByRole('textbox', { name: 'Tenant URL', exact: true }).inputValue(), `${server.baseUrl}/scim/v2/${slug}`);
    assert.equal(await p.getByRole('textbox', { name: 'Target attribute used for matching', exact: true }).inputValue(), 'emails[type eq "work"].value');
    await p.getByRole('table', { name: 'Target attributes to map in Entra' }).getByText('urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge').waitFor();
    await p.getByRole('button', { name: 'Create SCIM token' }).waitFor();
    await p.getByRole('textbox', { name: 'Reply URL (Assertion Consumer Service URL)', exact: true }).waitFor();
    await checkAccessibility(p, 'Entra guide');
    // Back to the choice, then Okta: the same policy, in Okta's words.
    await p.goBack();
    await p.getByRole('link', { name: 'Set up with Okta' }).click();
    assert.equal(await p.getByRole('textbox', { name: 'Unique identifier field for users', exact: true }).inputValue(), 'email');
    const okta = p.getByRole('table', { name: 'Attributes to add in the Okta Profile Editor' });
    await okta.getByRole('row', { name: /badge urn:ietf:params:scim:schemas:extension:acme:2\.0:User/ }).waitFor();
    assert.deepEqual(customer.consoleErrors, []);
  });

  test('the vendor revokes a link in the console: the link then shows "revoked" and nothing else', async () => {
    const slug = await tenant();
    const { url } = await link(slug, { note: 'Globex IT' });
    const vendor = await page();
    await vendorOpens(vendor, `/tenants/${slug}/setup-links`);
    await vendor.page.getByRole('button', { name: 'Revoke the setup link for Globex IT' }).click();
    await vendor.page.getByRole('button', { name: 'Confirm revoking the setup link for Globex IT' }).click();
    await vendor.page.getByRole('table', { name: 'Setup links' }).getByText('revoked').waitFor();
    const customer = await page();
    await customer.page.goto(url);
    await expectEndedPage(customer.page, 'This setup link was revoked');
    assert.deepEqual(vendor.consoleErrors, []);
  });

  test('a link revoked while its page is open: the next request ends the page, which then says so and nothing else', async () => {
    const slug = await tenant();
    const { id, url } = await link(slug);
    const customer = await page();
    const p = customer.page;
    await p.goto(url);
    await p.getByRole('link', { name: 'Set up with Okta' }).click();
    await p.getByRole('button', { name: 'Create SCIM token' }).waitFor();
    assert.equal((await server.admin('DELETE', `/tenants/${slug}/setup-links/${id}`)).status, 204);
    await p.getByRole('button', { name: 'Create SCIM token' }).click();
    await p.getByRole('heading', { level: 1, name: 'Your setup session has ended' }).waitFor();
    assert.equal(await p.locator('main').locator('a, button, input').count(), 0);
    const tokens = await server.admin('GET', `/tenants/${slug}/tokens`);
    assert.equal(tokens.body.data.length, 0, 'no token was made');
    await checkAccessibility(p, 'setup session ended');
  });

  test('an unknown link, and no link at all, show their page and nothing else', async () => {
    const customer = await page();
    await customer.page.goto('/setup/#rcl_notARealToken');
    await expectEndedPage(customer.page, 'This setup link is not valid');
    assert.equal(new URL(customer.page.url()).pathname, '/setup');
    await customer.page.goto('/setup');
    await customer.page.getByRole('heading', { level: 1, name: 'Open your setup link' }).waitFor();
  });

  // Last: it moves the server's clock on.
  test('an expired link shows "expired" and nothing else', async () => {
    const slug = await tenant();
    const { url } = await link(slug, { expiresInHours: 1 });
    clock.advance(2 * 3_600_000);
    const customer = await page();
    await customer.page.goto(url);
    await expectEndedPage(customer.page, 'This setup link has expired');
  });
});
