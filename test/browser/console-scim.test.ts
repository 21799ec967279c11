// The console's main flow in Chromium against the real server and database (issue 13, item 4):
// sign in → create a tenant → create a SCIM token (shown once: after a reload it is nowhere on the
// page) → a SCIM request made with it appears in the request log with its status → a failing
// request shows its error and what it means → rotate with overlap → revoke, and the next request
// fails (401) in the log. Each page visited is checked with axe-core, and no page logs an error
// (a CSP violation would). Then the same sign-in and token creation driven by the keyboard alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { browserSkipReason, checkAccessibility, launchBrowser, newPage, signIn } from '../support/browser.ts';
import { recordErrorAnswers, scimCall, tabTo, USER } from '../support/console-rig.ts';

const skip = browserSkipReason();

describe('console: tenant, token, request log', { skip }, () => {
  let server: AdminTestServer;
  let browser: Browser;
  before(async () => {
    server = await startAdminServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The request log page, after the recorder has written what it holds. */
  async function openLog(page: Page, slug: string, query = '') {
    await server.running.requestLog.flush();
    await page.goto(`/console/tenants/${slug}/requests${query}`);
    await page.getByRole('heading', { level: 1, name: 'Request log' }).waitFor();
  }

  test('sign in, create a tenant and a token, see requests succeed and fail in the log, revoke the token', async () => {
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors);
    try {
      const slug = `flow-${process.pid}`;
      await signIn(page, server.adminKey);
      await checkAccessibility(page, 'tenants');

      await page.getByRole('button', { name: 'Create a tenant' }).click();
      await page.getByLabel('Slug').fill(slug);
      await page.getByLabel('Name', { exact: true }).fill('Flow Corporation');
      await checkAccessibility(page, 'create a tenant');
      await page.getByRole('button', { name: 'Create tenant' }).click();
      await page.getByRole('heading', { level: 1, name: 'SCIM setup: Flow Corporation' }).waitFor();
      const baseUrl = await page.getByRole('textbox', { name: 'SCIM base URL' }).inputValue();
      assert.equal(baseUrl, `${server.baseUrl}/scim/v2/${slug}`);
      await page.getByText('This tenant has no SCIM token yet').waitFor();

      await page.getByLabel('Token name').fill('Okta production');
      await page.getByRole('button', { name: 'Create token' }).click();
      const secret = page.getByRole('region', { name: 'SCIM token' });
      await secret.getByText('Shown once.').waitFor();
      const token = await page.getByRole('textbox', { name: 'SCIM token' }).inputValue();
      assert.match(token, /^rcs_/);
      await page.getByRole('button', { name: 'Copy SCIM token' }).waitFor();
      await page.getByRole('cell', { name: 'Okta production', exact: true }).waitFor();
      await checkAccessibility(page, 'token shown once');

      await page.reload();
      await page.getByRole('cell', { name: 'Okta production', exact: true }).waitFor();
      assert.equal(await page.getByRole('region', { name: 'SCIM token' }).count(), 0, 'after a reload the secret is not offered again');
      const html = await page.content();
      assert.ok(!html.includes(token) && !html.includes(token.slice(4, 24)), 'the token appears nowhere in the page after a reload');
      await page.getByRole('cell', { name: `…${token.slice(-4)}` }).waitFor();

      // The identity provider's requests: one that works, one with a bad filter.
      const password = `Pw-${process.pid}-never-shown`;
      const created = await scimCall(`${baseUrl}/Users`, token, 'POST', { schemas: [USER], userName: `ada.${process.pid}@flow.example`, password });
      assert.equal(created.status, 201);
      const bad = await scimCall(`${baseUrl}/Users?filter=${encodeURIComponent('userName zz "ada"')}`, token);
      assert.equal(bad.status, 400);

      await openLog(page, slug);
      const post = page.getByRole('row').filter({ hasText: `POST /scim/v2/${slug}/Users` });
      await post.getByText('201', { exact: true }).waitFor();
      const failed = page.getByRole('row').filter({ hasText: 'userName%20zz' });
      await failed.getByText('400', { exact: true }).waitFor();
      await failed.getByText('invalidFilter').waitFor();
      await checkAccessibility(page, 'request log');

      await failed.getByRole('link').click();
      await page.getByRole('heading', { level: 1, name: 'GET request answered 400' }).waitFor();
      const wrong = page.getByRole('region', { name: 'What went wrong' });
      await wrong.getByText('The filter could not be used.').waitFor();
      await wrong.getByText(/"zz" is not a filter operator/).waitFor();
      const docs = wrong.getByRole('link', { name: /What each SCIM error means/ });
      assert.match(await docs.getAttribute('href') ?? '', /\/docs\/errors\.md#what-each-error-means$/);
      await page.getByRole('region', { name: 'Response body' }).getByText('"scimType": "invalidFilter"').waitFor();
      await checkAccessibility(page, 'a failed request');

      // Only failed requests: the filter is in the address and in the form.
      await openLog(page, slug, '?status=4xx');
      assert.equal(await page.getByLabel('Status').inputValue(), '4xx');
      await page.getByRole('row').filter({ hasText: 'userName%20zz' }).waitFor();
      assert.equal(await page.getByRole('row').filter({ hasText: `POST /scim/v2/${slug}/Users` }).count(), 0, 'the 201 is filtered out');

      // The filter form: POST only, applied from the form; the created user's request shows its body
      // pretty-printed, with the password redacted.
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.getByRole('row').filter({ hasText: `POST /scim/v2/${slug}/Users` }).waitFor();
      await page.getByLabel('Method').selectOption('POST');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/\?method=POST$/);
      // The page is drawn again for the new address; its list arrives whole.
      await page.getByRole('row').filter({ hasText: `POST /scim/v2/${slug}/Users` }).waitFor();
      assert.equal(await page.getByRole('row').count(), 2, 'a header and the one POST');
      // A time range: from tomorrow on there is nothing; the form shows the range in local time.
      const tomorrow = new Date(Date.now() + 86_400_000);
      const local = `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, '0')}-${String(tomorrow.getDate()).padStart(2, '0')}T09:30`;
      await page.getByLabel('From').fill(local);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('No recorded request matches these filters.').waitFor();
      assert.match(decodeURIComponent(page.url()), /[?&]since=\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z/, 'the API gets an instant');
      assert.equal(await page.getByLabel('From').inputValue(), local);
      await page.goBack();
      await page.getByRole('row').filter({ hasText: `POST /scim/v2/${slug}/Users` }).getByRole('link').click();
      await page.getByRole('heading', { level: 1, name: 'POST request answered 201' }).waitFor();
      const sent = page.getByRole('region', { name: 'Request body' });
      await sent.getByText('"password": "[redacted]"').waitFor();
      assert.ok(!(await page.content()).includes(password), 'the password is nowhere on the page');
      assert.equal(await page.getByRole('region', { name: 'What went wrong' }).count(), 0, 'a success has nothing to explain');
      await checkAccessibility(page, 'a successful request');

      // Revoke, after a confirmation; the next request with the token fails, and the log shows it.
      await page.goto(`/console/tenants/${slug}/scim`);
      await page.getByRole('button', { name: 'Revoke token Okta production' }).click();
      await checkAccessibility(page, 'confirm revoking');
      await page.getByRole('group', { name: 'Confirm revoking' }).getByRole('button', { name: 'Revoke token' }).click();
      await page.getByRole('row').filter({ hasText: 'Okta production' }).getByRole('cell', { name: 'Revoked', exact: true }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Revoke token Okta production' }).count(), 0, 'a revoked token has no actions');
      const refused = await scimCall(`${baseUrl}/Users`, token);
      assert.equal(refused.status, 401);

      await openLog(page, slug);
      const unauthorized = page.getByRole('row').filter({ hasText: 'Not authenticated' });
      await unauthorized.getByText('401', { exact: true }).waitFor();
      await unauthorized.getByRole('link').click();
      await page.getByRole('region', { name: 'What went wrong' }).getByText('The token was not accepted.').waitFor();
      await page.getByText('None accepted (authentication failed)').waitFor();
      await checkAccessibility(page, 'a refused request');

      // The overview sums it up: the last error (the 401) and the chart's text alternative.
      await page.goto(`/console/tenants/${slug}`);
      const lastError = page.getByRole('region', { name: 'Last error' });
      await lastError.getByText('The token was not accepted.').waitFor();
      await page.getByRole('img', { name: /Last 24 hours: 3 requests, 2 errors/ }).waitFor();
      await checkAccessibility(page, 'tenant overview');

      // The tenants list shows the same health at a glance.
      await page.goto('/console/tenants');
      await page.getByRole('img', { name: `${slug}: 3 requests and 2 errors in the last 24 hours` }).waitFor();
      await page.getByRole('row').filter({ hasText: slug }).getByText('66.7%').waitFor();
      await checkAccessibility(page, 'tenants with health');

      assert.deepEqual(consoleErrors, [], 'no page logged an error (a CSP violation would)');
    } finally {
      await context.close();
    }
  });

  test('rotate a token with an overlap: the new secret is shown once, the old one keeps working until the time shown', async () => {
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors);
    try {
      const t = await server.createTenant(`rotate-${process.pid}`);
      const slug = `rotate-${process.pid}`;
      await signIn(page, server.adminKey);
      await page.goto(`/console/tenants/${slug}/scim`);
      await page.getByRole('button', { name: /^Rotate token ending in / }).click();
      await page.getByLabel('The old token keeps working for').selectOption('24');
      await checkAccessibility(page, 'rotate');
      const before = Date.now();
      await page.getByRole('button', { name: 'Rotate token', exact: true }).click();
      const fresh = await page.getByRole('textbox', { name: 'SCIM token' }).inputValue();
      assert.notEqual(fresh, t.token);
      const until = await page.getByText(/keeps working until/).locator('time').getAttribute('datetime');
      const overlap = Date.parse(until ?? '') - before;
      assert.ok(overlap > 23.9 * 3600_000 && overlap < 24.1 * 3600_000, `the old token is kept a day: ${until}`);
      assert.equal((await scimCall(`${t.scimUrl}/Users`, t.token)).status, 200, 'the old token still works during the overlap');
      assert.equal((await scimCall(`${t.scimUrl}/Users`, fresh)).status, 200, 'the new one works');
      await page.getByRole('cell', { name: `…${fresh.slice(-4)}`, exact: true }).waitFor(); // the list, drawn again
      assert.equal(await page.getByRole('cell', { name: 'Live', exact: true }).count(), 2, 'both tokens are live');
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });

  test('keyboard only: sign in, open SCIM setup and create a token with Tab and Enter', async () => {
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors);
    try {
      const slug = `keys-${process.pid}`;
      assert.equal((await server.admin('POST', '/tenants', { body: { slug } })).status, 201);
      await page.goto('/console');
      await page.getByLabel('Admin API key').waitFor();
      await tabTo(page, 'Admin API key');
      await page.keyboard.type(server.adminKey);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
      await page.getByRole('link', { name: slug }).waitFor();
      await tabTo(page, slug);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: slug }).waitFor();
      await tabTo(page, 'SCIM setup');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: `SCIM setup: ${slug}` }).waitFor();
      await page.getByRole('button', { name: 'Create token' }).waitFor();

      await tabTo(page, 'Token name');
      await page.keyboard.type('Entra');
      await tabTo(page, 'Create token');
      await page.keyboard.press('Enter');
      await page.getByRole('textbox', { name: 'SCIM token' }).waitFor();
      assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value.startsWith('rcs_')), true, 'focus moves to the new secret, ready to copy');
      await page.getByRole('cell', { name: 'Entra', exact: true }).waitFor();
      await tabTo(page, 'Revoke token Entra');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Enter'); // the confirmation's button has the focus
      await page.getByRole('row').filter({ hasText: 'Entra' }).getByRole('cell', { name: 'Revoked', exact: true }).waitFor();
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });
});
