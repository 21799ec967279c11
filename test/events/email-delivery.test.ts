// The welcome email through the running server's own delivery engine, on both databases: the identity
// provider creates a user over SCIM, and the tenant's template arrives at a real SMTP server started
// here, once, after the SCIM response; an SMTP server that refuses for a while gets it on a retry.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../src/config/config.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { scim, startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../support/smtp-receiver.ts';
import { until } from '../support/webhook-receiver.ts';

let server: AdminTestServer;
let smtp: SmtpReceiver;

before(async () => {
  smtp = await startSmtpReceiver();
  server = await startAdminServer({
    config: { smtpUrl: smtp.url, emailFrom: 'Rollcall <rollcall@example.com>', delivery: { ...DEFAULTS.delivery, pollMs: 50, retryScheduleMs: [100, 100, 100] } },
  });
});
after(async () => {
  await server?.close();
  await smtp?.close();
});

async function tenantWithWelcome(slug: string) {
  const t = await server.createTenant(slug);
  const put = await server.admin('PUT', `/tenants/${slug}/settings`, {
    body: { welcomeEmail: { enabled: true, subject: 'Welcome, {{user.name.givenName}}', text: 'Sign in at {{link}}', link: 'https://app.example.com/{{tenant.slug}}/start' } },
  });
  assert.equal(put.status, 200, put.text);
  return t;
}

test('users provisioned before the welcome email was turned on get none; those after do', async () => {
  const t = await server.createTenant('welcome-late');
  const early = await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER_SCHEMA], userName: 'early@example.com' });
  assert.equal(early.status, 201, early.text);
  const put = await server.admin('PUT', '/tenants/welcome-late/settings', {
    body: { welcomeEmail: { enabled: true, subject: 'Welcome', text: 'Sign in at {{link}}', link: 'https://app.example.com/start' } },
  });
  assert.equal(put.status, 200, put.text);
  await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER_SCHEMA], userName: 'late@example.com' });
  await until('the email to the later user', () => smtp.messages.some((m) => m.rcptTo.includes('late@example.com')));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(smtp.messages.filter((m) => m.rcptTo.includes('early@example.com')).length, 0);
});

test('a user the IdP provisions receives the welcome email once, sent by the engine after the SCIM response', async () => {
  const t = await tenantWithWelcome('welcome-e2e');
  const res = await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER_SCHEMA], userName: 'grace@example.com', name: { givenName: 'Grace' }, emails: [{ value: 'grace.h@example.com', primary: true }] });
  assert.equal(res.status, 201, res.text);
  await until('the email', () => smtp.messages.some((m) => m.rcptTo.includes('grace.h@example.com')));
  const [message] = smtp.messages.filter((m) => m.rcptTo.includes('grace.h@example.com'));
  assert.equal(message.headers.get('subject'), 'Welcome, Grace');
  assert.match(message.text, /Sign in at https:\/\/app\.example\.com\/welcome-e2e\/start/);
  assert.match(message.headers.get('message-id') ?? '', /^<evt_[\w-]+\.welcome@example\.com>$/);
  // A later change of the user sends nothing more.
  await scim(`${t.scimUrl}/Users/${res.body.id}`, t.token, 'PATCH', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Grace H' }] });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(smtp.messages.filter((m) => m.rcptTo.includes('grace.h@example.com')).length, 1);
});

test('an SMTP server that answers 4xx for a while gets the email on a retry', async () => {
  const t = await tenantWithWelcome('welcome-retry');
  smtp.refuse('later@example.com', 451);
  const res = await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [USER_SCHEMA], userName: 'later@example.com' });
  assert.equal(res.status, 201, res.text);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(smtp.messages.filter((m) => m.rcptTo.includes('later@example.com')).length, 0);
  smtp.refuse('later@example.com', 0);
  await until('the email on a retry', () => smtp.messages.some((m) => m.rcptTo.includes('later@example.com')));
});
