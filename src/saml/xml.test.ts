import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml, XmlRefused, type XmlLimits } from './xml.ts';

const refused = (text: string, reason: string, limits?: XmlLimits) => assert.throws(() => parseXml(text, limits), (e: unknown) => e instanceof XmlRefused && e.reason === reason);

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

const limits: XmlLimits = { maxElements: 10, maxDepth: 3, maxAttributes: 5 };

test('an unclosed comment, CDATA section or processing instruction is refused, including after markup', () => {
  refused('<a>' + '<!--'.repeat(1000), 'malformed');
  refused('<a><![CDATA[ never ends', 'malformed');
  refused('<a><?pi never ends', 'malformed');
});

test('a declaration after a comment is still found', () => {
  refused('<!-- c --><!DOCTYPE r><r/>', 'doctype');
  refused('<a><![CDATA[x]]><!ENTITY x "y"></a>', 'doctype');
});

test('nesting deeper than the limit is refused before parsing, closed or not', () => {
  assert.equal(parseXml('<a><b><c/></b></a>', limits).documentElement.localName, 'a');
  refused('<a><b><c><d>', 'too_deep', limits);
  refused('<a><b><c><d></d></c></b></a>', 'too_deep', limits);
  refused(`<r>${'<a>'.repeat(200_000)}`, 'too_deep');
});

test('more elements or attributes than the limit are refused before parsing', () => {
  assert.equal(parseXml(`<r>${'<e/>'.repeat(9)}</r>`, limits).documentElement.localName, 'r');
  refused(`<r>${'<e/>'.repeat(10)}</r>`, 'too_many_elements', limits);
  refused('<r a="1" b="2" c=\'3\' d="4" e="5" f="6"/>', 'too_many_elements', limits);
});

test('markup inside comments, CDATA and attribute values is not counted; < in an attribute value is refused', () => {
  assert.equal(parseXml('<r a="x>y"><!--<a><a><a><a>--><![CDATA[<a><a><a><a>]]></r>', limits).documentElement.getAttribute('a'), 'x>y');
  refused('<r a="<b>"/>', 'malformed');
  refused('<r a="never closed/>', 'malformed');
});
