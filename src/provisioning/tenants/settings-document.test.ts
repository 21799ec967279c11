// The settings document check: defaults, unknown keys at their own pointer, and agreement with the
// published JSON Schema on what is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSettings, DEFAULT_SETTINGS, readStoredSettings, tenantSettingsJsonSchema } from './settings-document.ts';

test('an empty document is every default; a partial one keeps the defaults it does not name', () => {
  assert.deepEqual(checkSettings({}).settings, DEFAULT_SETTINGS);
  assert.deepEqual(checkSettings({ scim: { patchResponse: { users: 204 } } }).settings?.scim.patchResponse, { users: 204, groups: 204 });
});

test('unknown keys are refused at their own JSON pointer, every problem at once', () => {
  const r = checkSettings({ scim: { patchResponse: { users: 201, group: 204 } }, webhooks: [] });
  assert.deepEqual(r.problems.map((p) => p.pointer).sort(), ['/scim/patchResponse/group', '/scim/patchResponse/users', '/webhooks']);
  assert.deepEqual(checkSettings([]).problems.map((p) => p.pointer), ['']);
});

test('a stored document this version cannot read falls back to the defaults and says why', () => {
  assert.deepEqual(readStoredSettings(null), { settings: DEFAULT_SETTINGS, problems: [] });
  const r = readStoredSettings({ future: true });
  assert.deepEqual(r.settings, DEFAULT_SETTINGS);
  assert.equal(r.problems[0].pointer, '/future');
});

test('the JSON Schema refuses unknown keys at every level it describes', () => {
  const walk = (node: unknown, at: string, seen: string[]) => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (n.type === 'object') {
      assert.equal(n.additionalProperties, false, `${at} refuses unknown keys`);
      seen.push(at);
    }
    for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`, seen);
  };
  const seen: string[] = [];
  walk(tenantSettingsJsonSchema, '', seen);
  assert.ok(seen.length >= 5, seen.join());
});

test('the welcome email is off by default; enabling it needs a link, and omitted templates keep their defaults', () => {
  assert.equal(checkSettings({}).settings?.welcomeEmail.enabled, false);
  const on = checkSettings({ welcomeEmail: { enabled: true, link: 'https://app.example.com/welcome?u={{user.userName}}' } });
  assert.deepEqual(on.problems, []);
  assert.equal(on.settings?.welcomeEmail.subject, DEFAULT_SETTINGS.welcomeEmail.subject);
  assert.deepEqual(checkSettings({ welcomeEmail: { enabled: true } }).problems.map((p) => p.pointer), ['/welcomeEmail/link']);
});

test('welcome email templates: unknown placeholders, unclosed braces, CR/LF in the subject and unknown keys are refused at their pointers', () => {
  const r = checkSettings({ welcomeEmail: {
    subject: 'Hi {{user.nickName}}\r\nBcc: all@example.com', text: 'Hello {{user.displayName}', html: '<p>{{ tenant.name }}</p>', colour: 'red',
  } });
  const by = (pointer: string) => r.problems.filter((p) => p.pointer === pointer).map((p) => p.message).join(' | ');
  assert.match(by('/welcomeEmail/subject'), /\{\{user\.nickName\}\} is not a placeholder/);
  assert.match(by('/welcomeEmail/subject'), /one line/);
  assert.match(by('/welcomeEmail/text'), /does not close/);
  assert.equal(by('/welcomeEmail/html'), '', 'spaces inside the braces are allowed');
  assert.match(by('/welcomeEmail/colour'), /is not a setting/);
});

test('the welcome link is https with a literal host; http only for localhost; {{link}} cannot be inside it', () => {
  const pointers = (link: string) => checkSettings({ welcomeEmail: { link } }).problems.map((p) => p.message);
  assert.deepEqual(pointers('https://app.example.com/welcome/{{user.userName}}'), []);
  assert.deepEqual(pointers('http://localhost:3000/welcome'), []);
  assert.match(pointers('http://app.example.com/welcome').join(), /https/);
  assert.match(pointers('https://{{tenant.slug}}.example.com/').join(), /host/);
  assert.match(pointers('javascript:alert(1)').join(), /absolute https URL/);
  assert.match(pointers('https://app.example.com/?next={{link}}').join(), /cannot be used here/);
});

test('from and replyTo are single mailboxes', () => {
  assert.deepEqual(checkSettings({ welcomeEmail: { from: 'Acme IT <it@acme.example>', replyTo: 'help@acme.example' } }).problems, []);
  const r = checkSettings({ welcomeEmail: { from: 'it@acme.example, ceo@acme.example', replyTo: 'Evil\r\nBcc: x <x@y.example>' } });
  assert.deepEqual(r.problems.map((p) => p.pointer), ['/welcomeEmail/from', '/welcomeEmail/replyTo']);
});
