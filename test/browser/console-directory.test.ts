// The console's tenants, users and groups pages in Chromium against the real server: tenants
// searched and paged, with a preset offered when creating one; users searched with the SCIM filter
// grammar (a bad filter shown in the API's words), paged, IdP-managed ones badged and read-only while
// SCIM mode is on (no edit or delete controls, and the page says why), local ones deletable; a user's
// enterprise attributes and groups; a group's members paged; a read-only key offered no controls.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { browserSkipReason, checkAccessibility, launchBrowser, newPage, signIn } from '../support/browser.ts';
import { ENTERPRISE, GROUP, recordErrorAnswers, scimCall, USER } from '../support/console-rig.ts';

const skip = browserSkipReason();
/** The admin API's 400 for a bad filter, which a step causes on purpose. */
const badFilter = { status: 400, path: /^\/admin\/v1\/tenants\/[^/]+\/users$/ };
/** The admin API's 400 for a slug that is not one, which a step causes on purpose. */
const badSlug = { status: 400, path: /^\/admin\/v1\/tenants$/ };

describe('console: tenants, users and groups', { skip }, () => {
  let server: AdminTestServer;
  let browser: Browser;
  const slug = `dir-${process.pid}`;
  let localId = '';
  let adaId = '';
  let groupId = '';

  before(async () => {
    server = await startAdminServer();
    browser = await launchBrowser();
    const t = await server.createTenant(slug);
    const ids: string[] = [];
    for (let i = 0; i < 53; i++) {
      const r = await scimCall(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER], userName: `person${String(i).padStart(2, '0')}@dir.example` });
      assert.equal(r.status, 201);
      ids.push((r.body as { id: string }).id);
    }
    const ada = await scimCall(`${t.scimUrl}/Users`, t.token, 'POST', {
      schemas: [USER, ENTERPRISE], userName: 'ada@dir.example', name: { givenName: 'Ada', familyName: 'Lovelace' },
      [ENTERPRISE]: { department: 'Analytical Engines', employeeNumber: 'E-1815' },
    });
    assert.equal(ada.status, 201);
    adaId = (ada.body as { id: string }).id;
    const g = await scimCall(`${t.scimUrl}/Groups`, t.token, 'POST', { schemas: [GROUP], displayName: 'Engineers', members: [...ids, adaId].map((value) => ({ value })) });
    assert.equal(g.status, 201, JSON.stringify(g.body));
    groupId = (g.body as { id: string }).id;
    const local = await server.admin('POST', `/tenants/${slug}/users`, { body: { attributes: { userName: 'local.person@dir.example', displayName: 'Local Person' } } });
    assert.equal(local.status, 201, local.text);
    localId = local.body.id;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('users: IdP-managed badged and read-only while SCIM mode is on; search with a filter, a bad filter in words; pages', async () => {
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors, [badFilter]);
    try {
      await signIn(page, server.adminKey);
      await page.goto(`/console/tenants/${slug}/users`);
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
      await page.getByText('SCIM mode is on.').waitFor();
      const adaRow = page.getByRole('row').filter({ hasText: 'ada@dir.example' });
      // The first page holds the 50 oldest: Ada is on the second.
      await page.getByRole('row').filter({ hasText: 'person00@dir.example' }).getByText('IdP-managed').waitFor();
      assert.equal(await page.getByRole('row').count(), 51, 'a header and 50 users');
      assert.equal(await adaRow.count(), 0);
      await checkAccessibility(page, 'users');
      await page.getByRole('button', { name: 'Next page of users' }).click();
      await adaRow.getByText('Ada Lovelace').waitFor();
      await page.getByRole('row').filter({ hasText: 'local.person@dir.example' }).getByText('Local', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Previous page of users' }).click();
      await page.getByRole('row').filter({ hasText: 'person00@dir.example' }).waitFor();

      await page.getByLabel('SCIM filter').fill('userName sw "ada"');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await adaRow.waitFor();
      assert.equal(await page.getByRole('row').count(), 2, 'only Ada matches');
      assert.match(page.url(), /\?filter=userName%20sw%20%22ada%22$/, 'the filter is in the address');

      await page.getByLabel('SCIM filter').fill('userName zz "ada"');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      const alert = page.getByRole('alert');
      await alert.getByText(/"zz" is not a filter operator/).waitFor();
      await alert.getByText('Could not load users:').waitFor();
      await checkAccessibility(page, 'users with a bad filter');
      await page.getByRole('button', { name: 'Clear filter' }).click();
      await page.getByRole('row').filter({ hasText: 'person00@dir.example' }).waitFor();
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });

  test('a user: attributes with the enterprise extension, groups; IdP-managed read-only, a local user deletable', async () => {
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors);
    try {
      await signIn(page, server.adminKey);
      await page.goto(`/console/tenants/${slug}/users/${adaId}`);
      await page.getByRole('heading', { level: 1, name: 'ada@dir.example' }).waitFor();
      await page.getByText('Read-only:').waitFor();
      await page.getByText('the identity provider manages this user while SCIM mode is on').waitFor();
      assert.equal(await page.getByRole('button', { name: /Delete/ }).count(), 0, 'no delete control for an IdP-managed user');
      await page.getByRole('heading', { name: 'Enterprise attributes' }).waitFor();
      await page.getByText('Analytical Engines', { exact: true }).waitFor();
      await page.getByRole('region', { name: 'Groups' }).getByRole('link', { name: 'Engineers' }).waitFor();
      await checkAccessibility(page, 'an IdP-managed user');

      await page.goto(`/console/tenants/${slug}/users/${localId}`);
      await page.getByRole('heading', { level: 1, name: 'local.person@dir.example' }).waitFor();
      await page.getByText('Local: created in the application').waitFor();
      await page.getByRole('button', { name: 'Delete user local.person@dir.example' }).click();
      await checkAccessibility(page, 'confirm deleting a user');
      await page.getByRole('group', { name: 'Confirm deleting' }).getByRole('button', { name: 'Delete user' }).click();
      await page.getByRole('heading', { level: 1, name: 'Users' }).waitFor();
      assert.equal((await server.admin('GET', `/tenants/${slug}/users/${localId}`)).status, 404, 'deleted');
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });

  test('groups: search, a group\'s members paged', async () => {
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors);
    try {
      await signIn(page, server.adminKey);
      await page.goto(`/console/tenants/${slug}/groups`);
      await page.getByRole('row').filter({ hasText: 'Engineers' }).getByText('IdP-managed').waitFor();
      await page.getByText('SCIM mode is on.').waitFor();
      await checkAccessibility(page, 'groups');
      await page.getByLabel('SCIM filter').fill('displayName eq "Nobody"');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByText('No group matches the filter displayName eq "Nobody".').waitFor();

      await page.goto(`/console/tenants/${slug}/groups/${groupId}`);
      await page.getByRole('heading', { level: 1, name: 'Engineers' }).waitFor();
      const members = page.getByRole('region', { name: 'Members' });
      await members.getByRole('button', { name: 'Next page of members' }).waitFor();
      assert.equal(await members.getByRole('row').count(), 51, 'a header and the first 50 members');
      assert.equal(await page.getByRole('button', { name: /Delete/ }).count(), 0, 'an IdP-managed group has no delete control');
      await checkAccessibility(page, 'a group');
      await members.getByRole('button', { name: 'Next page of members' }).click();
      await members.getByRole('row').nth(5).waitFor({ state: 'detached' });
      assert.equal(await members.getByRole('row').count(), 5, 'a header and the other 4 members');
      await members.getByRole('link').first().click();
      await page.getByRole('heading', { level: 1, name: /@dir\.example$/ }).waitFor();
      assert.match(page.url(), new RegExp(`/console/tenants/${slug}/users/[^/]+$`), 'a member links to its user');
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });

  test('a read-only key sees everything and is offered no control that changes anything', async () => {
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors);
    try {
      await signIn(page, server.readKey);
      assert.equal(await page.getByRole('button', { name: 'Create a tenant' }).count(), 0);
      await page.goto(`/console/tenants/${slug}/scim`);
      await page.getByRole('cell', { name: 'Live', exact: true }).waitFor();
      assert.equal(await page.getByRole('button', { name: /Create token|Revoke|Rotate|Turn SCIM/ }).count(), 0);
      await checkAccessibility(page, 'SCIM setup, read only');
      const local = await server.admin('POST', `/tenants/${slug}/users`, { body: { attributes: { userName: 'second.local@dir.example' } } });
      await page.goto(`/console/tenants/${slug}/users/${local.body.id}`);
      await page.getByRole('heading', { level: 1, name: 'second.local@dir.example' }).waitFor();
      assert.equal(await page.getByRole('button', { name: /Delete/ }).count(), 0);
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });

  test('tenants: searched and paged; the create form offers the presets and the welcome link only with the preset that takes it', async () => {
    for (let i = 0; i < 50; i++) assert.equal((await server.admin('POST', '/tenants', { body: { slug: `zz-many-${i}`, name: `Many ${i}` } })).status, 201);
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors, [badSlug]);
    try {
      await server.running.requestLog.flush();
      await signIn(page, server.adminKey);
      // Every tenant of the page gets its health (loaded a few at a time): 50 charts, none left loading.
      await page.getByRole('link', { name: slug, exact: true }).waitFor(); // the list is drawn, its health loading
      await page.getByText('Loading…').first().waitFor({ state: 'detached' });
      assert.equal(await page.getByRole('img', { name: /requests and \d+ errors? in the last 24 hours$/ }).count(), 50);
      assert.equal(await page.getByText('Health unavailable').count(), 0);
      await page.getByRole('img', { name: `${slug}: 55 requests and 0 errors in the last 24 hours` /* 54 users and a group pushed */ }).waitFor();
      await page.getByRole('button', { name: 'Next page of tenants' }).click();
      await page.getByRole('link', { name: 'Many 9', exact: true }).waitFor(); // slug order: zz-many-9 is the last
      await page.getByLabel('Search tenants').fill('Many 1');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByRole('link', { name: 'Many 10' }).waitFor();
      assert.equal(await page.getByRole('link', { name: /^Many / }).count(), 11, 'Many 1 and Many 10 … 19');
      await page.getByLabel('Search tenants').fill('no such tenant');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.getByText('No tenant\'s slug or name matches “no such tenant”.').waitFor();
      await checkAccessibility(page, 'tenants, nothing found');

      await page.getByRole('button', { name: 'Create a tenant' }).click();
      assert.equal(await page.getByLabel('Welcome email link').isVisible(), false);
      await page.getByLabel('Settings preset').selectOption('teams');
      await page.getByLabel('Welcome email link').fill('https://app.example/welcome');
      await page.getByLabel('Slug').fill('Not A Slug!');
      await page.getByRole('button', { name: 'Create tenant' }).click();
      await page.getByRole('form', { name: 'Create a tenant' }).getByRole('alert').waitFor();
      await checkAccessibility(page, 'create a tenant, refused');
      await page.getByLabel('Slug').fill(`teams-${process.pid}`);
      await page.getByRole('button', { name: 'Create tenant' }).click();
      await page.getByRole('heading', { level: 1, name: `SCIM setup: teams-${process.pid}` }).waitFor();
      const settings = await server.admin('GET', `/tenants/teams-${process.pid}/settings`);
      assert.equal(settings.status, 200);
      assert.match(JSON.stringify(settings.body), /https:\/\/app\.example\/welcome/, 'created with the preset and its welcome link');
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });

  test('SCIM mode turned off and on from SCIM setup: off, every user is local and editable; on, the new token is shown once', async () => {
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors, [{ status: 400, path: /^\/admin\/v1\/tenants\/[^/]+\/scim\/disable$/ }]);
    try {
      await signIn(page, server.adminKey);
      await page.goto(`/console/tenants/${slug}/scim`);
      await page.getByText('Turn SCIM off…').click();
      await page.getByLabel('Type DISABLE to confirm').fill('disable');
      await page.getByRole('button', { name: 'Turn SCIM off' }).click();
      await page.getByRole('form', { name: 'Turn SCIM off' }).getByRole('alert').waitFor();
      assert.equal((await server.admin('GET', `/tenants/${slug}`)).body.scimEnabled, true, 'a wrong word changes nothing');
      await checkAccessibility(page, 'turn SCIM off, refused');
      await page.getByLabel('Type DISABLE to confirm').fill('DISABLE');
      await page.getByRole('button', { name: 'Turn SCIM off' }).click();
      await page.getByText(/SCIM is off: \d+ users and 1 groups made local/).waitFor();
      await page.getByRole('cell', { name: 'Revoked', exact: true }).first().waitFor();
      assert.equal(await page.getByRole('cell', { name: 'Live', exact: true }).count(), 0, 'every token revoked');
      assert.equal(await page.getByRole('button', { name: 'Create token' }).count(), 0, 'no token can be created while SCIM is off');

      await page.goto(`/console/tenants/${slug}/users/${adaId}`);
      await page.getByRole('heading', { level: 1, name: 'ada@dir.example' }).waitFor();
      await page.getByRole('button', { name: 'Delete user ada@dir.example' }).waitFor();
      assert.equal(await page.getByText('Read-only:').count(), 0);
      await page.goto(`/console/tenants/${slug}/users`);
      await page.getByRole('row').nth(1).waitFor();
      assert.equal(await page.getByText('SCIM mode is on.').count(), 0);
      assert.equal(await page.getByRole('cell', { name: 'IdP-managed' }).count(), 0, 'every user is local now');

      await page.goto(`/console/tenants/${slug}/scim`);
      await page.getByRole('button', { name: 'Turn SCIM on' }).click();
      const token = await page.getByRole('textbox', { name: 'SCIM token' }).inputValue();
      assert.match(token, /^rcs_/);
      await page.getByRole('button', { name: 'Create token' }).waitFor();
      assert.equal((await scimCall(`${server.baseUrl}/scim/v2/${slug}/Users?count=1`, token)).status, 200, 'the new token works');
      await checkAccessibility(page, 'SCIM turned on again');
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });

  test('an address naming no tenant, user or request shows the admin API\'s words, not a blank page', async () => {
    const { page, context, consoleErrors } = await newPage(browser, { baseURL: server.baseUrl });
    recordErrorAnswers(page, consoleErrors, [{ status: 404, path: /^\/admin\/v1\/tenants\/(no-such-tenant|[^/]+\/(users|requests)\/[^/]+)$/ }]);
    try {
      await signIn(page, server.adminKey);
      for (const [path, words] of [
        ['/console/tenants/no-such-tenant/users', /no-such-tenant/],
        [`/console/tenants/${slug}/users/not-a-user`, /not-a-user|no user/i],
        [`/console/tenants/${slug}/requests/999999`, /no recorded request 999999/],
      ] as const) {
        await page.goto(path);
        const alert = page.getByRole('alert');
        await alert.getByText('This page could not be shown:').waitFor();
        assert.match(await alert.textContent() ?? '', words, path);
      }
      await checkAccessibility(page, 'a page that could not be shown');
      assert.deepEqual(consoleErrors, []);
    } finally {
      await context.close();
    }
  });
});
