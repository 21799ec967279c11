// The console's webhooks, webhook, events and audit pages in Chromium: an endpoint created with its
// secret shown once, a SCIM change delivered to a real receiver and its delivery shown with status,
// the secret rotated with the overlap explained, disable, a dead letter replayed, the events feed
// with a payload opened, and the audit log filtered by tenant.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULTS } from '../../src/config/config.ts';
import { browserSkipReason, checkAccessibility } from '../support/browser.ts';
import { acceptDialogs, assertNoConsoleErrors, startConsoleRig, type ConsoleRig } from '../support/console-rig.ts';
import { startReceiver, until, type Receiver } from '../support/webhook-receiver.ts';

const skip = browserSkipReason();
let rig: ConsoleRig;
let receiver: Receiver;
/** Failing answers the receiver gives before it recovers (for the dead-letter test). */
let failFor = '';

before(async () => {
  if (skip) return;
  receiver = await startReceiver((r) => ({ status: failFor && r.tenant === failFor ? 500 : 204 }));
  // Loopback http receivers are allowed here as in test/events; retries are quick so a dead letter
  // comes in a moment (two retries, then given up).
  rig = await startConsoleRig({ config: { webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 5000 }, delivery: { ...DEFAULTS.delivery, pollMs: 50, retryScheduleMs: [50, 50], thread: 'main' } } });
  for (const slug of ['hooks', 'hooks-dead', 'hooks-read']) assert.equal((await rig.server.admin('POST', '/tenants', { body: { slug, name: slug } })).status, 201);
});
after(async () => {
  if (skip) return;
  await rig.close();
  await receiver.close();
});

async function scimToken(slug: string): Promise<string> {
  const issued = await rig.server.admin('POST', `/tenants/${slug}/tokens`, { body: {} });
  assert.equal(issued.status, 201, issued.text);
  return issued.body.token as string;
}

async function createUser(slug: string, token: string, userName: string): Promise<void> {
  const res = await fetch(`${rig.server.baseUrl}/scim/v2/${slug}/Users`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName }),
  });
  assert.equal(res.status, 201, await res.text());
}

test('an endpoint is created with its secret shown once, and a SCIM change shows up as a delivery with its status', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/hooks/webhooks');
  await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
  await page.getByText('No endpoint yet.').waitFor();
  await checkAccessibility(page, 'Webhooks page, none');

  await page.getByLabel('URL', { exact: true }).fill(receiver.url);
  await page.getByLabel('Event types').fill('user.*');
  await page.getByRole('button', { name: 'Add endpoint' }).click();
  const secret = page.getByRole('textbox', { name: 'Signing secret', exact: true });
  await secret.waitFor();
  const value = await secret.inputValue();
  assert.match(value, /^whsec_/);
  await page.getByText('Shown once.').waitFor();
  const row = page.getByRole('row', { name: new RegExp(receiver.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')) });
  await row.getByText('user.created').waitFor();
  await checkAccessibility(page, 'Webhooks page with the secret');

  // The secret is never shown again: not after a reload, not on the endpoint's page.
  await page.reload();
  await row.waitFor();
  assert.equal(await page.getByRole('textbox', { name: 'Signing secret', exact: true }).count(), 0);
  assert.equal(await page.getByText(value).count(), 0);

  const token = await scimToken('hooks');
  await createUser('hooks', token, 'ada@example.com');
  await until('the receiver got user.created', () => receiver.received.some((r) => r.tenant === 'hooks' && r.type === 'user.created'));

  await row.getByRole('link').click();
  await page.getByRole('heading', { level: 1, name: 'Webhook endpoint' }).waitFor();
  assert.ok(page.url().includes('?tenant=hooks'));
  const attempts = page.getByRole('table', { name: 'Delivery attempts, newest first' });
  // Reloaded until the attempt is recorded (it is written just after the receiver answers).
  await until('the delivery is listed', async () => {
    await page.reload();
    await page.locator('main:not([aria-busy])').waitFor();
    return (await attempts.count()) === 1 && (await attempts.getByRole('row').count()) >= 2;
  }, 10_000);
  const delivered = attempts.getByRole('row').nth(1);
  const cells = await delivered.getByRole('cell').allInnerTexts();
  assert.equal(cells[2], 'delivered', cells.join(' | '));
  assert.equal(cells[3], '204');
  assert.match(cells[4], /^\d+ ms$/);
  await page.getByText('No dead letter').waitFor();
  await checkAccessibility(page, 'Webhook endpoint page');

  // The event filter is changed on the endpoint's page; an unknown type is refused in words.
  const edit = page.getByRole('form', { name: 'Change the endpoint' });
  await edit.getByLabel('Event types').fill('group.*, user.nonsense');
  await edit.getByRole('button', { name: 'Save endpoint' }).click();
  await edit.getByRole('alert').filter({ hasText: 'user.nonsense' }).waitFor();
  await edit.getByLabel('Event types').fill('group.created, user.deleted');
  await edit.getByRole('button', { name: 'Save endpoint' }).click();
  await page.getByRole('definition').filter({ hasText: 'group.created' }).waitFor();
  const id = new URL(page.url()).pathname.split('/').pop() ?? '';
  assert.deepEqual((await rig.server.admin('GET', `/tenants/hooks/webhooks/${id}`)).body.types.sort(), ['group.created', 'user.deleted']);
  assertNoConsoleErrors(consoleErrors, [400]);
});

test('rotating the secret shows the new one once and says until when the old one signs; disable and delete', { skip }, async () => {
  const made = await rig.server.admin('POST', '/webhooks', { body: { url: `${receiver.url}?global=1` } });
  assert.equal(made.status, 201);
  const { page, consoleErrors } = await rig.open();
  acceptDialogs(page);
  await page.goto('/console/webhooks');
  await page.getByRole('heading', { level: 1, name: 'Global webhooks' }).waitFor();
  await page.getByRole('button', { name: `Rotate secret of ${made.body.url}` }).click();
  await page.getByLabel('Overlap (how long the old secret keeps signing)').selectOption('7d');
  await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
  const secret = page.getByRole('textbox', { name: 'New signing secret', exact: true });
  await secret.waitFor();
  const value = await secret.inputValue();
  assert.match(value, /^whsec_/);
  assert.notEqual(value, made.body.secret);
  await page.getByText(/The old secret keeps signing beside it until/).waitFor();
  await checkAccessibility(page, 'Global webhooks with a rotated secret');
  const got = await rig.server.admin('GET', `/webhooks/${made.body.id}`);
  const overlapDays = (Date.parse(got.body.previousSecretUntil) - Date.now()) / 86_400_000;
  assert.ok(overlapDays > 6.9 && overlapDays <= 7, String(overlapDays));

  await page.getByRole('button', { name: `Disable ${made.body.url}` }).click();
  await page.getByRole('button', { name: `Enable ${made.body.url}` }).waitFor();
  assert.equal((await rig.server.admin('GET', `/webhooks/${made.body.id}`)).body.enabled, false);
  await page.getByRole('button', { name: `Delete ${made.body.url}` }).click();
  await page.getByText('No endpoint yet.').waitFor();
  assert.equal((await rig.server.admin('GET', `/webhooks/${made.body.id}`)).status, 404);
  assertNoConsoleErrors(consoleErrors);
});

test('a dead letter is listed with its error and replayed from the console', { skip }, async () => {
  failFor = 'hooks-dead';
  const made = await rig.server.admin('POST', '/tenants/hooks-dead/webhooks', { body: { url: receiver.url, types: ['user.created'] } });
  assert.equal(made.status, 201);
  await createUser('hooks-dead', await scimToken('hooks-dead'), 'grace@example.com');
  await until('the event is dead-lettered', async () => (await rig.server.admin('GET', `/tenants/hooks-dead/webhooks/${made.body.id}/dead-letters`)).body.data.length === 1);
  const { page, consoleErrors } = await rig.open();
  await page.goto(`/console/webhooks/${made.body.id}?tenant=hooks-dead`);
  const dead = page.getByRole('table', { name: 'Dead letters, newest first' });
  await dead.waitFor();
  const cells = await dead.getByRole('row').nth(1).getByRole('cell').allInnerTexts();
  assert.equal(cells[2], '3', cells.join(' | '));
  assert.match(cells[3], /500/);
  await page.getByText('failing', { exact: true }).first().waitFor();
  await checkAccessibility(page, 'Webhook endpoint with a dead letter');

  failFor = '';
  const before = receiver.received.filter((r) => r.tenant === 'hooks-dead').length;
  const eventId = cells[1];
  await page.getByRole('button', { name: `Replay ${eventId}`, exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'the delivery is queued' }).waitFor();
  await until('the replay is delivered', () => receiver.received.filter((r) => r.tenant === 'hooks-dead').length > before);
  await until('the dead letter says so', async () => (await rig.server.admin('GET', `/tenants/hooks-dead/webhooks/${made.body.id}/dead-letters`)).body.data[0].replayedAt !== null);
  await page.reload();
  await dead.getByText('delivered by replay').waitFor();
  assertNoConsoleErrors(consoleErrors);
});

test('a read key sees endpoints and deliveries but no control that changes them', { skip }, async () => {
  const made = await rig.server.admin('POST', '/tenants/hooks-read/webhooks', { body: { url: receiver.url } });
  const { page, consoleErrors } = await rig.open({ key: rig.server.readKey });
  await page.goto('/console/tenants/hooks-read/webhooks');
  await page.getByRole('link', { name: receiver.url }).waitFor();
  assert.equal(await page.getByRole('form', { name: 'Add an endpoint' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /Rotate|Disable|Delete/ }).count(), 0);
  await page.goto(`/console/webhooks/${made.body.id}?tenant=hooks-read`);
  await page.getByText('No delivery yet.').waitFor();
  assert.equal(await page.getByRole('form', { name: 'Replay from an event' }).count(), 0);
  assert.equal(await page.getByRole('form', { name: 'Change the endpoint' }).count(), 0);
  assertNoConsoleErrors(consoleErrors);
});

test('the events feed lists a tenant\'s events, filtered by type, each opening to its payload', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/tenants/hooks/events');
  await page.getByRole('heading', { level: 1, name: 'Events of this tenant' }).waitFor();
  const list = page.getByRole('list', { name: 'Events, newest first' });
  await list.getByText('tenant.created', { exact: true }).waitFor();
  await list.getByText('user.created', { exact: true }).waitFor();
  await checkAccessibility(page, 'Events page');

  await page.getByLabel('Event types').fill('user.*');
  await page.getByRole('button', { name: 'Show events' }).click();
  await page.waitForURL(/types=user/);
  await list.getByText('user.created', { exact: true }).waitFor();
  assert.equal(await list.getByText('tenant.created', { exact: true }).count(), 0);
  await list.getByText('user.created', { exact: true }).click();
  const payload = page.getByRole('region', { name: /^Payload of event evt_/ });
  await payload.waitFor();
  const json = JSON.parse(await payload.innerText());
  assert.equal(json.type, 'user.created');
  assert.equal(json.tenant.slug, 'hooks');
  assert.equal(json.data.user.userName, 'ada@example.com');
  await checkAccessibility(page, 'Events page with a payload open');

  // An unknown type is refused in words.
  await page.getByLabel('Event types').fill('user.exploded');
  await page.getByRole('button', { name: 'Show events' }).click();
  await page.getByRole('alert').filter({ hasText: 'Unknown event type "user.exploded"' }).waitFor();
  // The global feed takes a tenant filter.
  await page.goto('/console/events?tenant=hooks&types=user.created');
  await page.getByRole('list', { name: 'Events, newest first' }).getByText('· hooks').first().waitFor();
  assertNoConsoleErrors(consoleErrors, [400]);
});

test('the audit log lists admin actions, filtered by tenant and action', { skip }, async () => {
  const { page, consoleErrors } = await rig.open();
  await page.goto('/console/audit');
  const table = page.getByRole('table', { name: 'Audit entries, newest first' });
  await table.getByText('tenant.create').first().waitFor();
  await checkAccessibility(page, 'Audit log');
  await page.getByLabel('Tenant').fill('hooks');
  await page.getByLabel('Action').fill('webhook.create');
  await page.getByRole('button', { name: 'Show entries' }).click();
  await page.waitForURL(/action=webhook\.create/);
  await page.locator('main:not([aria-busy])').waitFor();
  await table.getByText('webhook.create').first().waitFor();
  const actions = await table.locator('tbody tr td:nth-child(2)').allInnerTexts();
  assert.ok(actions.length >= 1 && actions.every((a) => a === 'webhook.create'), actions.join(', '));
  assert.equal(await table.getByText('test admin').count(), actions.length);
  // An unknown tenant is said in words.
  await page.goto('/console/audit?tenant=nobody-here');
  await page.getByRole('alert').waitFor();
  assertNoConsoleErrors(consoleErrors, [404]);
});
