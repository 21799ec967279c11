// Parsing untrusted XML (IdP metadata, SAML responses) safely. The size is checked by the caller
// before anything is parsed. A document type declaration is refused outright: SAML and metadata
// never need one, and it is the door to entity expansion ("billion laughs") and external entities
// (XXE). xmldom does not fetch external entities, but refusing the DOCTYPE before parsing means no
// parser behaviour needs to be trusted. Parse warnings and errors (malformed markup) are failures,
// not repaired guesses.
//
// Before xmldom sees the text, one linear pass (scan below) refuses what would make a parser or a
// later step slow on a small input: an unclosed comment, CDATA section or processing instruction
// (a regular expression or a parser searching for its end from every opening is quadratic), any
// declaration, nesting deeper than `maxDepth` (xmldom's time grows with the square of the number of
// unclosed elements), and more than `maxElements` elements or `maxAttributes` attributes (node-saml's
// XPath look-up of the signed element sorts every node in the document, superlinear in their number).
import { DOMParser } from '@xmldom/xmldom';

export type XmlProblem = 'empty' | 'doctype' | 'malformed' | 'too_deep' | 'too_many_elements'; // too_many_elements: elements or attributes

export class XmlRefused extends Error {
  constructor(readonly reason: XmlProblem, message: string) { super(message); }
}

export interface XmlLimits {
  /** Most elements in the whole document. */
  maxElements: number;
  /** Most elements open at once (the root is depth 1). */
  maxDepth: number;
  /** Most attributes (namespace declarations included) in the whole document. */
  maxAttributes: number;
}

// A SAML message or one IdP's metadata is about ten elements deep; a hundred is generous and keeps
// hostile nesting away from the recursive canonicaliser in xml-crypto.
export const MAX_XML_DEPTH = 100;
// The default suits metadata: one IdP's document holds a few dozen elements, and a 1 MB aggregate
// with the IdP chosen by entity id a few thousand per entity. Responses pass a lower cap
// (validate.ts), because node-saml's work there grows faster than the element count.
const DEFAULT_XML_LIMITS: XmlLimits = { maxElements: 50_000, maxDepth: MAX_XML_DEPTH, maxAttributes: 100_000 };

// The limits of a SAML response (validate.ts, issuer-peek.ts). node-saml finds the signed element
// with a document-wide XPath whose node sorting grows faster than the number of elements (20,000
// took seconds, 92,000 minutes, before any signature is checked), so the count is capped before
// anything is parsed. A response with 1,000 group values is about 1,100 elements; 5,000 leaves room
// for any IdP's response and costs node-saml well under a second. Attributes are nodes to it too
// (40,000 on the root took seconds): a response element carries two at most on average.
const MAX_RESPONSE_ELEMENTS = 5_000;
export const RESPONSE_LIMITS: XmlLimits = { maxElements: MAX_RESPONSE_ELEMENTS, maxDepth: MAX_XML_DEPTH, maxAttributes: 2 * MAX_RESPONSE_ELEMENTS };

/** Parses `text` as XML; throws XmlRefused (never anything else) when it is not acceptable. */
export function parseXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): Document {
  if (!/<[A-Za-z_]/.test(text)) throw new XmlRefused('empty', 'The document holds no XML element.');
  scan(text, limits);
  const problems: string[] = [];
  const record = (msg: unknown) => { problems.push(String(msg).split('\n')[0].slice(0, 200)); };
  let doc: Document | undefined;
  try {
    doc = new DOMParser({ errorHandler: { warning: record, error: record, fatalError: record } }).parseFromString(text, 'text/xml');
  } catch (err) {
    record(err instanceof Error ? err.message : err);
  }
  if (problems.length || !doc?.documentElement) throw new XmlRefused('malformed', `The document is not well-formed XML: ${problems[0] ?? 'no root element'}.`);
  return doc;
}

const malformed = (what: string): never => { throw new XmlRefused('malformed', `The document is not well-formed XML: ${what}.`); };

// One pass over the markup, each character looked at a bounded number of times. It does not check
// well-formedness (xmldom does, afterwards); it only counts, so that a document refused here is
// refused before any super-linear work, and one let through is within the limits whatever xmldom
// makes of it (a mismatched end tag still closes one level here and at most one there).
function scan(text: string, { maxElements, maxDepth, maxAttributes }: XmlLimits): void {
  let depth = 0;
  let elements = 0;
  const attributes = { count: 0, max: maxAttributes };
  let i = text.indexOf('<');
  while (i !== -1) {
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) malformed('a comment is never closed');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (end === -1) malformed('a CDATA section is never closed');
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      // Outside a comment or CDATA section, any declaration (<!DOCTYPE, <!ENTITY, <!ELEMENT, …) is
      // there for a DTD.
      throw new XmlRefused('doctype', 'The document has a DOCTYPE or entity declaration, which SAML does not allow (it is how entity-expansion attacks work).');
    } else if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end === -1) malformed('a processing instruction is never closed');
      i = end + 2;
    } else {
      const end = tagEnd(text, i + 1, attributes);
      if (text[i + 1] === '/') {
        depth--;
      } else {
        if (++elements > maxElements) throw new XmlRefused('too_many_elements', `The document has more than ${maxElements} elements.`);
        // <a/> opens nothing.
        if (text[end - 1] !== '/' && ++depth > maxDepth) throw new XmlRefused('too_deep', `The document is nested deeper than ${maxDepth} levels.`);
      }
      i = end + 1;
    }
    i = text.indexOf('<', i);
  }
}

/**
 * The index of the '>' that ends the tag starting before `from`; quoted attribute values skipped and
 * counted (every attribute has exactly one).
 */
function tagEnd(text: string, from: number, attributes: { count: number; max: number }): number {
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x3e /* > */) return j;
    if (c === 0x3c /* < */) malformed('a tag is not closed before the next one starts');
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      const close = text.indexOf(c === 0x22 ? '"' : "'", j + 1);
      if (close === -1) malformed('an attribute value is never closed');
      if (++attributes.count > attributes.max) throw new XmlRefused('too_many_elements', `The document has more than ${attributes.max} attributes.`);
      // '<' is not allowed in an attribute value (XML 1.0 §3.1); refusing it here also means no
      // markup hides in one.
      if (text.slice(j + 1, close).includes('<')) malformed('an attribute value contains <');
      j = close;
    }
  }
  return malformed('a tag is never closed');
}
