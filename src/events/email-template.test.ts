// The welcome email's rendering: each part escapes values for where they land, so nothing an
// identity provider sends can add a header, markup, or move the link elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMailbox, renderEmail, type TemplateValues } from './email-template.ts';

const values: TemplateValues = {
  'user.displayName': 'Ada <b>Lovelace</b>', 'user.name.givenName': 'Ada', 'user.name.familyName': 'Lovelace',
  'user.userName': 'ada@acme.example', 'user.email': 'ada@acme.example', 'tenant.name': 'Acme & Co', 'tenant.slug': 'acme',
};

test('placeholders render in subject, text, html and link, each escaped for its place', () => {
  const r = renderEmail({
    subject: 'Welcome to {{tenant.name}}, {{ user.name.givenName }}',
    text: 'Hi {{user.displayName}}: {{link}}',
    html: '<p>Hi {{user.displayName}}</p><a href="{{link}}">start</a>',
    link: 'https://app.example.com/{{tenant.slug}}/welcome?u={{user.userName}}&t={{tenant.name}}',
  }, values);
  assert.equal(r.subject, 'Welcome to Acme & Co, Ada');
  assert.equal(r.link, 'https://app.example.com/acme/welcome?u=ada%40acme.example&t=Acme%20%26%20Co');
  assert.equal(r.text, `Hi Ada <b>Lovelace</b>: ${r.link}`);
  assert.equal(r.html, '<p>Hi Ada &lt;b&gt;Lovelace&lt;/b&gt;</p><a href="https://app.example.com/acme/welcome?u=ada%40acme.example&amp;t=Acme%20%26%20Co">start</a>');
});

test('a value with CR/LF cannot add a header through the subject', () => {
  const r = renderEmail({ subject: 'Hello {{user.displayName}}', text: 'x', link: 'https://a.example/' }, { ...values, 'user.displayName': 'Eve\r\nBcc: everyone@example.com' });
  assert.equal(r.subject, 'Hello Eve Bcc: everyone@example.com');
  assert.doesNotMatch(r.subject, /[\r\n]/);
});

test('mailboxes: a bare address or a display name with one; anything that could split a header is not one', () => {
  assert.deepEqual(parseMailbox('Acme IT <it@acme.example>'), { name: 'Acme IT', address: 'it@acme.example' });
  assert.deepEqual(parseMailbox('it@acme.example'), { name: '', address: 'it@acme.example' });
  for (const bad of ['it@acme.example, x@y.example', 'no-at-sign', 'a b@acme.example', 'x\n@acme.example', '"Q" <q@acme.example>', 'a@b']) {
    assert.equal(parseMailbox(bad), undefined, bad);
  }
});
