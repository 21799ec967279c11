// Redaction of recorded bodies: the named attributes' values never survive, wherever they are and
// however the body was cut; everything else is kept as it was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactJson } from './redact.ts';

const names = new Set(['password', 'ssn']);
const redact = (value: unknown) => JSON.parse(redactJson(JSON.stringify(value), names)) as unknown;

test('a password is replaced at the top level, and the rest of the body is kept exactly as sent', () => {
  const text = '{ "userName": "ann@example.com",\n  "password": "hunter2", "active": true, "n": 1.5e3, "x": null }';
  assert.equal(redactJson(text, names), '{ "userName": "ann@example.com",\n  "password": "[redacted]", "active": true, "n": 1.5e3, "x": null }');
});

test('names match case-insensitively, with or without their schema URN, at any depth, whatever the value', () => {
  assert.deepEqual(redact({
    PassWord: 'a',
    'urn:ietf:params:scim:schemas:extension:acme:2.0:User': { ssn: { nested: ['123-45-6789'] } },
    'urn:ietf:params:scim:schemas:core:2.0:User:password': 'b',
    Resources: [{ password: 7 }, { userName: 'kept' }],
  }), {
    PassWord: '[redacted]',
    'urn:ietf:params:scim:schemas:extension:acme:2.0:User': { ssn: '[redacted]' },
    'urn:ietf:params:scim:schemas:core:2.0:User:password': '[redacted]',
    Resources: [{ password: '[redacted]' }, { userName: 'kept' }],
  });
});

test("a PATCH operation's value is redacted when its path names the attribute, whether path comes before or after value", () => {
  assert.deepEqual(redact({
    Operations: [
      { op: 'replace', path: 'password', value: 'first' },
      { value: 'second', op: 'Replace', Path: 'urn:ietf:params:scim:schemas:core:2.0:User:password' },
      { op: 'add', path: 'ssn', value: { deep: 'third' } },
      { op: 'replace', path: 'displayName', value: 'Kept Name' },
      { op: 'add', value: { password: 'fourth', nickName: 'kept' } },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'kept@example.com' },
    ],
  }), {
    Operations: [
      { op: 'replace', path: 'password', value: '[redacted]' },
      { value: '[redacted]', op: 'Replace', Path: 'urn:ietf:params:scim:schemas:core:2.0:User:password' },
      { op: 'add', path: 'ssn', value: '[redacted]' },
      { op: 'replace', path: 'displayName', value: 'Kept Name' },
      { op: 'add', value: { password: '[redacted]', nickName: 'kept' } },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'kept@example.com' },
    ],
  });
});

test('a body cut anywhere never shows a redacted value: not a string cut short, not a value whose path the cut hid', () => {
  const secret = 'zq9Wk7Xj2Mv4';
  const bodies = [
    JSON.stringify({ userName: 'a', password: secret, name: { givenName: 'A' } }),
    JSON.stringify({ Operations: [{ op: 'replace', value: secret, path: 'password' }] }),
    JSON.stringify({ Operations: [{ op: 'add', value: { password: secret } }] }),
  ];
  for (const body of bodies) {
    for (let cutAt = 0; cutAt <= body.length; cutAt++) {
      const out = redactJson(body.slice(0, cutAt), names);
      // Any visible part of the secret of 3 characters or more would be a leak.
      for (let k = 0; k + 3 <= secret.length; k++) assert.ok(!out.includes(secret.slice(k, k + 3)), `cut at ${cutAt}: ${out}`);
    }
  }
});

test('text that is not JSON is not recorded; invalid JSON is scanned all the same; hostile nesting ends the copy', () => {
  assert.equal(redactJson('userName=ann&password=hunter2', names), '"[not recorded: not JSON]"');
  assert.equal(redactJson('   ', names), '');
  assert.equal(redactJson('{"password": hunter2, "a": }}]]', names), '{"password": "[redacted]", "a": }}]]');
  const deep = '['.repeat(100_000) + '"password"';
  const out = redactJson(deep, names);
  assert.ok(out.length < 200 && out.endsWith('"[not recorded: nested too deep]"'), out.slice(0, 100));
  assert.equal(redactJson('{"password":"a\\"b\\\\","x":"y"}', names), '{"password":"[redacted]","x":"y"}', 'escapes inside a redacted string');
});

test('a body that names no redacted attribute is kept as it is; one that spells a name with escapes is still redacted', () => {
  const plain = '{"userName":"ann","emails":[{"value":"ann@example.com"}]}';
  assert.equal(redactJson(plain, names, true), plain);
  assert.equal(redactJson('{"pass\\u0077ord":"hunter2"}', names, true), '{"pass\\u0077ord":"[redacted]"}');
  assert.equal(redactJson('{"Operations":[{"op":"replace","path":"pass\\u0077ord","value":"hunter2"}]}', names, true),
    '{"Operations":[{"op":"replace","path":"pass\\u0077ord","value":"[redacted]"}]}');
});
