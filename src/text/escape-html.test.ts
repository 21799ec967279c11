// escapeHtml (escape-html.ts): what the emails and the SAML pages interpolate cannot open a tag,
// an entity or leave a quoted attribute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml } from './escape-html.ts';

test('the five characters that end text or an attribute value are escaped; everything else is kept', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  assert.equal(escapeHtml('Zoë — 日本 ✓'), 'Zoë — 日本 ✓');
});
