// The welcome email, end to end but for the delivery engine: an identity provider creates a user
// over SCIM, the outbox writes user.created, and the email sink sends the tenant's template to a
// real SMTP server started here, which records what it received, or refuses it with the reply an
// actual server would give.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EmailSink } from '../../src/events/email.ts';
import type { ConsumerView } from '../../src/events/sink.ts';
import { createTenant } from '../../src/provisioning/tenants/tenants.ts';
import { issueToken } from '../../src/provisioning/tenants/tokens.ts';
import type { EventRecord, Store } from '../../src/store/store.ts';
import { freePort } from '../../harness/processes.ts';
import { expectProblem, scim, startAdminServer, type AdminTestServer } from '../support/admin.ts';
import { startSmtpReceiver, type SmtpReceiver } from '../support/smtp-receiver.ts';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const consumer: ConsumerView = { id: 'welcome-email', kind: 'email', tenantId: null, url: null };
const never = new AbortController().signal;
const welcome = {
  enabled: true,
  subject: 'Welcome to {{tenant.name}}, {{user.name.givenName}}',
  text: 'Hello {{user.displayName}},\n\nSign in at {{link}}\n',
  html: '<p>Hello {{user.displayName}}</p><p><a href="{{link}}">Sign in</a></p>',
  link: 'https://app.example.com/{{tenant.slug}}/welcome?login={{user.userName}}',
  from: 'Acme IT <it@acme.example>',
  replyTo: 'help@acme.example',
};

let server: AdminTestServer;
let smtp: SmtpReceiver;
let store: Store;
let sink: EmailSink;

before(async () => {
  smtp = await startSmtpReceiver();
  server = await startAdminServer();
  store = server.running.store;
  sink = new EmailSink({ store, smtpUrl: smtp.url, from: 'Rollcall <rollcall@example.com>' });
});
after(async () => {
  sink?.close();
  await server?.close();
  await smtp?.close();
});

/** A tenant with a name, its SCIM URL and token, and (optionally) welcome email settings. */
async function tenantWith(slug: string, name: string, welcomeEmail?: object) {
  const t = await createTenant(store, slug, name);
  const { token } = await issueToken(store, t, 86_400_000);
  if (welcomeEmail) {
    const put = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { welcomeEmail } });
    assert.equal(put.status, 200, put.text);
  }
  return { id: t.id, slug, token, scimUrl: `${server.baseUrl}/scim/v2/${slug}` };
}

/**
 * The committed events of a tenant of one type once `found` holds (sequenced first: PostgreSQL gives
 * positions after commit), within a deadline.
 */
async function eventsOf(tenantId: string, type: string, found: (e: EventRecord[]) => boolean = (e) => e.length > 0): Promise<EventRecord[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await store.sequenceEvents();
    const events = await store.readEvents({ tenantId, types: [type], limit: 1000 });
    if (found(events) || Date.now() > deadline) return events;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function provision(t: { scimUrl: string; token: string; id: string }, user: object): Promise<EventRecord> {
  const res = await scim(`${t.scimUrl}/Users`, t.token, 'POST', { schemas: [CORE], ...user });
  assert.equal(res.status, 201, res.text);
  const mine = (e: EventRecord) => (e.data.user as { id: string }).id === res.body.id;
  const event = (await eventsOf(t.id, 'user.created', (events) => events.some(mine))).find(mine);
  assert.ok(event, 'the SCIM create wrote its user.created event');
  return event;
}

test("a user the identity provider provisions gets the tenant's welcome email: sender, primary address, subject, text and html with their name and link", async () => {
  const t = await tenantWith('mail-welcome', 'Acme & Co', welcome);
  const event = await provision(t, {
    userName: 'ada@acme.example', name: { givenName: 'Ada', familyName: 'Lovelace' }, displayName: 'Ada <Countess> Lovelace',
    emails: [{ value: 'ada.work@acme.example', type: 'work' }, { value: 'ada@home.example', type: 'home', primary: true }],
  });
  const before = smtp.messages.length;
  const outcome = await sink.deliver(event, consumer, never);
  assert.deepEqual(outcome, { ok: true, status: 250 });
  assert.equal(smtp.messages.length, before + 1);
  const m = smtp.messages.at(-1)!;
  assert.deepEqual(m.rcptTo, ['ada@home.example'], 'the primary email, over a work one');
  assert.equal(m.mailFrom, 'it@acme.example');
  assert.equal(m.headers.get('from'), 'Acme IT <it@acme.example>');
  assert.equal(m.headers.get('to'), 'ada@home.example');
  assert.equal(m.headers.get('reply-to'), 'help@acme.example');
  assert.equal(m.headers.get('subject'), 'Welcome to Acme & Co, Ada');
  assert.equal(m.headers.get('auto-submitted'), 'auto-generated');
  assert.equal(m.headers.get('message-id'), `<${event.id}.welcome@acme.example>`);
  const link = 'https://app.example.com/mail-welcome/welcome?login=ada%40acme.example';
  assert.equal(m.text, `Hello Ada <Countess> Lovelace,\n\nSign in at ${link}\n`);
  assert.equal(m.html, `<p>Hello Ada &lt;Countess&gt; Lovelace</p><p><a href="${link}">Sign in</a></p>`);

  // A retry (the engine's, after a lost answer) is recognisably the same message.
  assert.equal((await sink.deliver(event, consumer, never)).ok, true);
  assert.equal(smtp.messages.at(-1)!.headers.get('message-id'), m.headers.get('message-id'));
});

test('without an email, the userName is the address when it is one, and the name falls back to it; no address at all is skipped, with the reason', async () => {
  const t = await tenantWith('mail-fallback', 'Fallback Ltd', { enabled: true, link: 'https://app.example.com/start' });
  const byName = await provision(t, { userName: 'grace@fallback.example' });
  assert.equal((await sink.deliver(byName, consumer, never)).ok, true);
  const m = smtp.messages.at(-1)!;
  assert.deepEqual(m.rcptTo, ['grace@fallback.example']);
  assert.equal(m.headers.get('from'), 'Rollcall <rollcall@example.com>', "the server's sender when the tenant names none");
  assert.equal(m.headers.get('subject'), 'Welcome to Fallback Ltd');
  assert.match(m.text, /^Hello grace@fallback\.example,/, 'the default template greets by displayName, falling back to the userName');

  const count = smtp.messages.length;
  const nobody = await provision(t, { userName: 'linus', emails: [{ value: 'not an address' }] });
  const outcome = await sink.deliver(nobody, consumer, never);
  assert.equal(outcome.ok, true);
  assert.equal(outcome.skipped, true);
  assert.match(outcome.error ?? '', /no email address/);
  assert.equal(smtp.messages.length, count, 'nothing was sent');
});

test("nothing is sent for a tenant with the welcome email off, for users the vendor's app creates, or for other events", async () => {
  const count = smtp.messages.length;
  const off = await tenantWith('mail-off', 'Off Inc');
  const r1 = await sink.deliver(await provision(off, { userName: 'ann@off.example' }), consumer, never);
  assert.deepEqual([r1.ok, r1.skipped], [true, true]);
  assert.match(r1.error ?? '', /off/);

  const on = await tenantWith('mail-local', 'Local Inc', { enabled: true, link: 'https://app.example.com/start' });
  const local = await server.admin('POST', '/tenants/mail-local/users', { body: { attributes: { userName: 'bob@local.example' } } });
  assert.equal(local.status, 201, local.text);
  const [byAdmin] = await eventsOf(on.id, 'user.created');
  assert.equal(byAdmin.actor.type, 'adminKey');
  const r2 = await sink.deliver(byAdmin, consumer, never);
  assert.deepEqual([r2.ok, r2.skipped], [true, true]);
  assert.match(r2.error ?? '', /not provisioned by the identity provider/);

  const created = await provision(on, { userName: 'cy@local.example' });
  const patched = await scim(`${on.scimUrl}/Users/${(created.data.user as { id: string }).id}`, on.token, 'PATCH',
    { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] });
  assert.equal(patched.status, 200, patched.text);
  const [deactivated] = await eventsOf(on.id, 'user.deactivated');
  const r3 = await sink.deliver(deactivated, consumer, never);
  assert.deepEqual([r3.ok, r3.skipped], [true, true]);
  assert.equal(smtp.messages.length, count, 'none of these sent anything');
});

test('a 4xx reply for the recipient fails the attempt (the engine retries it); a 5xx is permanent (dead-lettered at once)', async () => {
  const t = await tenantWith('mail-refused', 'Refused Inc', { enabled: true, link: 'https://app.example.com/start' });
  smtp.refuse('busy@refused.example', 450);
  smtp.refuse('gone@refused.example', 550);
  const busy = await sink.deliver(await provision(t, { userName: 'busy@refused.example' }), consumer, never);
  assert.equal(busy.ok, false);
  assert.equal(busy.status, 450);
  assert.equal(busy.permanent, undefined, 'a transient refusal is retried');
  assert.match(busy.error ?? '', /RCPT/);
  const gone = await sink.deliver(await provision(t, { userName: 'gone@refused.example' }), consumer, never);
  assert.equal(gone.ok, false);
  assert.equal(gone.status, 550);
  assert.equal(gone.permanent, true);
});

test('an SMTP server that refuses the password or is not there fails the attempt without showing the password; none configured says so', async () => {
  const t = await tenantWith('mail-broken', 'Broken Inc', { enabled: true, link: 'https://app.example.com/start' });
  const event = await provision(t, { userName: 'dee@broken.example' });

  const wrongPassword = 'wr0ng-Pa55word';
  const badAuth = new EmailSink({ store, smtpUrl: `smtp://mailer:${wrongPassword}@127.0.0.1:${smtp.port}`, from: 'r@example.com' });
  const denied = await badAuth.deliver(event, consumer, never);
  badAuth.close();
  assert.equal(denied.ok, false);
  assert.equal(denied.status, 535);
  assert.equal(denied.permanent, undefined, "the server's configuration is retried, not the message dead-lettered");
  assert.ok(!JSON.stringify(denied).includes(wrongPassword), JSON.stringify(denied));

  const nowhere = new EmailSink({ store, smtpUrl: `smtp://mailer:${wrongPassword}@127.0.0.1:${await freePort()}`, from: 'r@example.com' });
  const unreachable = await nowhere.deliver(event, consumer, never);
  nowhere.close();
  assert.equal(unreachable.ok, false);
  assert.equal(unreachable.permanent, undefined);
  assert.match(unreachable.error ?? '', /ECONNECTION|ECONNREFUSED|ESOCKET/);
  assert.ok(!JSON.stringify(unreachable).includes(wrongPassword));

  const unconfigured = await new EmailSink({ store }).deliver(event, consumer, never);
  assert.equal(unconfigured.ok, false);
  assert.match(unconfigured.error ?? '', /ROLLCALL_SMTP_URL/);
});

test('welcome email settings are checked when saved: an unknown placeholder, a subject with CR/LF, a plain-http link, or no link once enabled is a 400 naming the field', async () => {
  await tenantWith('mail-settings', 'Settings Inc');
  const put = (welcomeEmail: object) => server.admin('PUT', '/tenants/mail-settings/settings', { body: { welcomeEmail } });
  const unknown = expectProblem(await put({ subject: 'Hi {{user.nickName}}' }), 400, { type: 'invalid-value' });
  assert.match(unknown.detail, /\{\{user\.nickName\}\} is not a placeholder/);
  assert.match(JSON.stringify(unknown), /\/welcomeEmail\/subject/);
  expectProblem(await put({ subject: 'Hi\r\nBcc: all@example.com' }), 400, { detail: /one line/ });
  expectProblem(await put({ link: 'http://app.example.com/start' }), 400, { detail: /https/ });
  expectProblem(await put({ enabled: true }), 400, { detail: /link.*required/ });
  const read = await server.admin('GET', '/tenants/mail-settings/settings');
  assert.equal(read.body.settings.welcomeEmail.enabled, false, 'nothing refused was saved');
});
