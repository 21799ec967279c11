// Long lists page: the events feed and the audit log (both newest first, 50 to a page) in Chromium,
// and an event opened and a filter applied with the keyboard. Also, on this rig's server (SCIM limits
// off, as on every test server but console-policies'), the Policies page saying the limits are off.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { browserSkipReason, checkAccessibility } from '../support/browser.ts';
import { assertNoConsoleErrors, startConsoleRig, type ConsoleRig } from '../support/console-rig.ts';

const skip = browserSkipReason();
let rig: ConsoleRig;
const COUNT = 60;

before(async () => {
  if (skip) return;
  rig = await startConsoleRig();
  for (let i = 1; i <= COUNT; i++) {
    const slug = `page-${String(i).padStart(2, '0')}`;
    assert.equal((await rig.server.admin('POST', '/tenants', { body: { slug, name: slug } })).status, 201);
  }
});
after(async () => { if (!skip) await rig.close(); });

test('the events feed pages back in time 50 at a time, newest first, and forward again', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/events?types=tenant.created');
  const list = page.getByRole('list', { name: 'Events, newest first' });
  await list.waitFor();
  // page-60 … page-11 on the first page.
  assert.equal(await list.getByRole('listitem').count(), 50);
  await list.getByText(' · page-60', { exact: true }).waitFor();
  assert.equal(await list.getByText(' · page-10', { exact: true }).count(), 0);
  // The first page offers to look for newer events instead of a newer page.
  await page.getByRole('button', { name: 'Check for newer events' }).waitFor();
  await page.getByRole('button', { name: 'Older events' }).click();
  await list.getByText(' · page-10', { exact: true }).waitFor();
  // page-10 … page-01, then the test server's own first tenant.
  assert.equal(await list.getByRole('listitem').count(), COUNT + 1 - 50);
  await page.getByText(' · page-01', { exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Older events' }).isDisabled(), true);
  await page.getByRole('button', { name: 'Newer events' }).click();
  await list.getByText(' · page-60', { exact: true }).waitFor();
  await checkAccessibility(page, 'Events, first page');
  assertNoConsoleErrors(consoleErrors);
});

test('the audit log pages newest first', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/audit?action=tenant.create');
  const table = page.getByRole('table', { name: 'Audit entries, newest first' });
  await table.getByRole('link', { name: 'page-60' }).waitFor();
  assert.equal(await table.locator('tbody tr').count(), 50);
  assert.equal(await table.getByRole('link', { name: 'page-10' }).count(), 0);
  await page.getByRole('button', { name: 'Next page of audit entries' }).click();
  await table.getByRole('link', { name: 'page-10' }).waitFor();
  // The test server's own first tenant is there too (made by the library, audited as the server).
  assert.equal(await table.locator('tbody tr').count(), COUNT + 1 - 50);
  assert.equal(await page.getByRole('button', { name: 'Next page of audit entries' }).isDisabled(), true);
  await page.getByRole('button', { name: 'Previous page of audit entries' }).click();
  await table.getByRole('link', { name: 'page-60' }).waitFor();
  assertNoConsoleErrors(consoleErrors);
});

test('with the keyboard: a filter is applied with Enter and an event opens with Enter', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/page-07/events');
  const types = page.getByLabel('Event types');
  await types.focus();
  await page.keyboard.type('tenant.*');
  await page.keyboard.press('Enter');
  await page.waitForURL(/types=tenant/);
  const list = page.getByRole('list', { name: 'Events, newest first' });
  await list.getByText('tenant.created', { exact: true }).waitFor();
  // Tab from the filter to the first event, then open it.
  await page.getByRole('button', { name: 'Show events' }).focus();
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.tagName);
  assert.equal(focused, 'SUMMARY');
  await page.keyboard.press('Enter');
  const payload = page.getByRole('region', { name: /^Payload of event / });
  await payload.waitFor();
  assert.equal(JSON.parse(await payload.innerText()).tenant.slug, 'page-07');
  assertNoConsoleErrors(consoleErrors);
});

test('with the SCIM limits off on the server, the Policies page says so instead of listing limits', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/page-01/policies');
  await page.getByText('Off: this server runs with ROLLCALL_RATE_LIMIT=off, so no tenant\'s SCIM requests are limited.').waitFor();
  assert.equal(await page.locator('dl[aria-label="SCIM request limits"]').count(), 0);
  await checkAccessibility(page, 'Policies page, limits off');
  assertNoConsoleErrors(consoleErrors);
});
