import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml, XmlRefused } from './xml.ts';

const refused = (text: string, reason: string) => assert.throws(() => parseXml(text), (e: unknown) => e instanceof XmlRefused && e.reason === reason);

test('a well-formed document parses to its root element', () => {
  assert.equal(parseXml('<a xmlns="urn:x"><b>1</b></a>').documentElement.localName, 'a');
});

test('a billion-laughs document is refused before any entity is expanded', () => {
  const lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>';
  refused(lol, 'doctype');
});

test('an external entity is refused', () => {
  refused('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 'doctype');
});

test('comments and CDATA are not mistaken for declarations', () => {
  assert.equal(parseXml('<a><!-- c --><![CDATA[<!DOCTYPE>]]></a>').documentElement.localName, 'a');
});

test('malformed markup and non-XML text are refused, not repaired', () => {
  refused('<a><b></a>', 'malformed');
  refused('{"json": true}', 'empty');
  refused('', 'empty');
});
