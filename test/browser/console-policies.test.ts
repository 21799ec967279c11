// The console's policies and custom attributes pages in Chromium: the settings document in words,
// its JSON editor (a validation error shown in words with its field, invalid JSON, a version
// conflict, a save), a preset applied, and custom attributes with the exact Okta External name and
// namespace and the Entra target, added and removed (values held: asked again, then dropped).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULTS } from '../../src/config/config.ts';
import { browserSkipReason, checkAccessibility } from '../support/browser.ts';
import { acceptDialogs, assertNoConsoleErrors, startConsoleRig, type ConsoleRig } from '../support/console-rig.ts';

const skip = browserSkipReason();
let rig: ConsoleRig;
const ACME = 'urn:ietf:params:scim:schemas:extension:acme:2.0:User';

before(async () => {
  if (skip) return;
  // The SCIM limits on, at their defaults, for the limits section (test servers run with them off).
  rig = await startConsoleRig({ config: { rateLimit: { ...DEFAULTS.rateLimit, enabled: true } } });
  for (const slug of ['pol-edit', 'pol-stale', 'pol-preset', 'pol-read', 'pol-limits', 'attr-add', 'attr-held']) {
    assert.equal((await rig.server.admin('POST', '/tenants', { body: { slug, name: slug } })).status, 201);
  }
});
after(async () => { if (!skip) await rig.close(); });

const settingsOf = async (slug: string) => (await rig.server.admin('GET', `/tenants/${slug}/settings`)).body;

test('the settings editor shows a validation error in words with its field, then saves a valid change', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/pol-edit/policies');
  await page.getByRole('heading', { level: 1, name: 'Policies' }).waitFor();
  await page.getByText('the user is deactivated (active: false) and keeps its groups').waitFor();
  await checkAccessibility(page, 'Policies page');

  const editor = page.getByLabel('Settings document (JSON)');
  const doc = JSON.parse(await editor.inputValue());
  doc.policies.deprovisioning.mode = 'shred';
  await editor.fill(JSON.stringify(doc, null, 2));
  await page.getByRole('button', { name: 'Save settings' }).click();
  const alert = page.getByRole('form', { name: 'Edit the settings document' }).getByRole('alert');
  await alert.waitFor();
  const text = await alert.innerText();
  assert.match(text, /The settings were not saved/);
  assert.match(text, /deprovisioning\.mode must be equal to one of the allowed values/);
  assert.match(text, /field: policies\.deprovisioning\.mode/);
  assert.equal((await settingsOf('pol-edit')).version, 1, 'nothing was saved');

  await editor.fill('{ "policies": ');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await alert.filter({ hasText: 'not valid JSON' }).waitFor();

  doc.policies.deprovisioning.mode = 'remove-memberships';
  await editor.fill(JSON.stringify(doc, null, 2));
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('the user is deactivated and removed from every group').waitFor();
  await page.getByText('version 2', { exact: true }).waitFor();
  const saved = await settingsOf('pol-edit');
  assert.equal(saved.version, 2);
  assert.equal(saved.settings.policies.deprovisioning.mode, 'remove-memberships');
  assertNoConsoleErrors(consoleErrors, [400]);
});

test('a change made by someone else meanwhile is not overwritten: the conflict is said in words', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/pol-stale/policies');
  const editor = page.getByLabel('Settings document (JSON)');
  const doc = JSON.parse(await editor.inputValue());
  // Someone else saves first.
  const other = await settingsOf('pol-stale');
  other.settings.policies.linking.enabled = true;
  assert.equal((await rig.server.admin('PUT', '/tenants/pol-stale/settings', { body: other.settings, headers: { 'if-match': String(other.version) } })).status, 200);

  doc.policies.groups.oneGroupPerUser = true;
  await editor.fill(JSON.stringify(doc, null, 2));
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('alert').filter({ hasText: 'Someone changed these settings after you opened this page' }).waitFor();
  const now = await settingsOf('pol-stale');
  assert.equal(now.settings.policies.linking.enabled, true, 'their change stays');
  assert.equal(now.settings.policies.groups.oneGroupPerUser, false, 'ours was not written over it');
  assertNoConsoleErrors(consoleErrors, [412]);
});

test('applying a preset writes its policies and keeps the other sections', { skip }, async () => {
  const before = await settingsOf('pol-preset');
  const { page, consoleErrors } = await rig.open();
  acceptDialogs(page);
  await page.goto('/console/tenants/pol-preset/policies');
  await page.getByRole('article', { name: 'strict-groups' }).getByText('As Split does it.').waitFor();
  await page.getByRole('button', { name: 'Apply preset strict-groups' }).click();
  await page.getByText('the primary email').waitFor();
  const after = await settingsOf('pol-preset');
  assert.equal(after.settings.policies.attributes.uniqueIdentifier, 'email');
  assert.deepEqual(after.settings.policies.groups.reservedNames, ['Administrators']);
  assert.deepEqual(after.settings.sso, before.settings.sso);
  assert.deepEqual(after.settings.welcomeEmail, before.settings.welcomeEmail);
  await checkAccessibility(page, 'Policies page after a preset');
  assertNoConsoleErrors(consoleErrors);
});

test("the SCIM request limits in force, each marked as the tenant's own or the server default; changed in the editor", { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/pol-limits/policies');
  const limits = page.getByRole('definition').filter({ hasText: 'requests per second' });
  await limits.waitFor();
  const row = (name: string) => page.locator('dl[aria-label="SCIM request limits"] dt', { hasText: name }).locator('xpath=following-sibling::dd[1]');
  assert.equal(await row('Sustained rate').innerText(), '100 requests per second server default');
  assert.equal(await row('Requests in progress').innerText(), '20 at a time server default');

  const editor = page.getByLabel('Settings document (JSON)');
  const doc = JSON.parse(await editor.inputValue());
  doc.limits = { concurrentRequests: 40 };
  await editor.fill(JSON.stringify(doc, null, 2));
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('40 at a time').waitFor();
  assert.equal(await row('Requests in progress').innerText(), '40 at a time this tenant');
  assert.equal(await row('Burst').innerText(), '1000 requests at once above the rate server default');
  assert.deepEqual((await settingsOf('pol-limits')).settings.limits, { concurrentRequests: 40 });
  await checkAccessibility(page, 'Policies page, limits');
  assertNoConsoleErrors(consoleErrors);
});

test('a read key sees the policies and the document but no editor and no preset button', { skip }, async () => {
  const { page, consoleErrors } = await rig.open({ key: rig.server.readKey });
  await page.goto('/console/tenants/pol-read/policies');
  await page.getByRole('region', { name: 'Settings document', exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: /Save settings|Apply preset/ }).count(), 0);
  await checkAccessibility(page, 'Policies page, read key');
  await page.goto('/console/tenants/pol-read/attributes');
  await page.getByText('This tenant defines no custom attributes. Someone with an admin key can add them here.').waitFor();
  assert.equal(await page.getByRole('form', { name: 'Add an attribute' }).count(), 0);
  assertNoConsoleErrors(consoleErrors);
});

test('custom attributes show the Okta External name and namespace and the Entra target, each to copy', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/attr-add/attributes');
  await page.getByRole('heading', { level: 1, name: 'Custom attributes' }).waitFor();
  await page.getByText('This tenant defines no custom attributes.').waitFor();
  await checkAccessibility(page, 'Custom attributes, none');

  assert.equal(await page.getByLabel('Schema', { exact: true }).inputValue(), '(new)');
  await page.getByLabel('New schema URN').fill(ACME);
  await page.getByLabel('Attribute name').fill('badge');
  await page.getByLabel('Unique within the tenant').check();
  await page.getByRole('button', { name: 'Add attribute' }).click();
  const row = page.getByRole('row', { name: /badge/ });
  await row.waitFor();
  await row.getByRole('button', { name: 'Copy Okta External name of badge' }).waitFor();
  await row.getByRole('button', { name: 'Copy Okta External namespace of badge' }).waitFor();
  await row.getByRole('button', { name: 'Copy Entra ID target attribute of badge' }).waitFor();
  const cells = await row.getByRole('cell').allInnerTexts();
  assert.ok(cells.some((c) => c.startsWith('badge')), cells.join(' | '));
  assert.ok(cells.some((c) => c.startsWith(ACME) && !c.startsWith(`${ACME}:`)), 'the External namespace is the URN alone');
  assert.ok(cells.some((c) => c.startsWith(`${ACME}:badge`)), 'the Entra target is the URN and the name');

  // A second attribute goes into the same schema; an invalid name is refused in words.
  assert.equal(await page.getByLabel('Schema', { exact: true }).inputValue(), ACME);
  await page.getByLabel('Attribute name').fill('2fast');
  await page.getByRole('button', { name: 'Add attribute' }).click();
  await page.getByRole('form', { name: 'Add an attribute' }).getByRole('alert').filter({ hasText: /name/ }).waitFor();
  await page.getByLabel('Attribute name').fill('level');
  await page.getByLabel('Type').selectOption('integer');
  await page.getByRole('button', { name: 'Add attribute' }).click();
  await page.getByRole('row', { name: /level/ }).waitFor();
  const s = await settingsOf('attr-add');
  assert.deepEqual(s.settings.customSchemas.map((x: { id: string; attributes: { name: string; type: string; uniqueness: string }[] }) => [x.id, x.attributes.map((a) => [a.name, a.type, a.uniqueness])]),
    [[ACME, [['badge', 'string', 'server'], ['level', 'integer', 'none']]]]);
  await checkAccessibility(page, 'Custom attributes with two');
  assertNoConsoleErrors(consoleErrors, [400]);
});

test('removing an attribute that users hold values of asks again, then drops the values', { skip }, async () => {
  const read = await settingsOf('attr-held');
  read.settings.customSchemas = [{ id: ACME, attributes: [{ name: 'badge', type: 'string' }, { name: 'level', type: 'integer' }] }];
  assert.equal((await rig.server.admin('PUT', '/tenants/attr-held/settings', { body: read.settings, headers: { 'if-match': String(read.version) } })).status, 200);
  const issued = await rig.server.admin('POST', '/tenants/attr-held/tokens', { body: {} });
  assert.equal(issued.status, 201, issued.text);
  const scimUrl = `${rig.server.baseUrl}/scim/v2/attr-held`;
  const token = issued.body.token as string;
  const res = await fetch(`${scimUrl}/Users`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ACME], userName: 'ines@example.com', [ACME]: { badge: 'B-1' } }),
  });
  assert.equal(res.status, 201, await res.text());

  const { page, consoleErrors } = await rig.open();
  const questions: string[] = [];
  page.on('dialog', (d) => { questions.push(d.message()); void d.accept(); });
  await page.goto('/console/tenants/attr-held/attributes');
  await page.getByRole('button', { name: 'Remove attribute badge' }).click();
  await page.getByRole('row', { name: /level/ }).waitFor();
  await page.waitForFunction(() => !document.body.textContent?.includes('Remove attribute badge') && !document.querySelector('[aria-label="Remove attribute badge"]'));
  assert.equal(questions.length, 2, questions.join('\n---\n'));
  assert.match(questions[1], /badge \(1 user/);
  const s = await settingsOf('attr-held');
  assert.deepEqual(s.settings.customSchemas[0].attributes.map((a: { name: string }) => a.name), ['level']);
  assertNoConsoleErrors(consoleErrors, [409]);
});
