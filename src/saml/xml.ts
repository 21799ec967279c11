// Parsing untrusted XML (IdP metadata, SAML responses) safely. The size is checked by the caller
// before anything is parsed. A document type declaration is refused outright: SAML and metadata
// never need one, and it is the door to entity expansion ("billion laughs") and external entities
// (XXE). xmldom does not fetch external entities, but refusing the DOCTYPE before parsing means no
// parser behaviour needs to be trusted. Parse warnings and errors (malformed markup) are failures,
// not repaired guesses.
import { DOMParser } from '@xmldom/xmldom';

export type XmlProblem = 'empty' | 'doctype' | 'malformed';

export class XmlRefused extends Error {
  constructor(readonly reason: XmlProblem, message: string) { super(message); }
}

/** Parses `text` as XML; throws XmlRefused (never anything else) when it is not acceptable. */
export function parseXml(text: string): Document {
  if (!/<[A-Za-z_]/.test(text)) throw new XmlRefused('empty', 'The document holds no XML element.');
  // Any declaration (<!DOCTYPE, <!ENTITY, <!ELEMENT, …) outside a comment or CDATA section would be
  // there for a DTD; comments and CDATA are left as they are.
  if (/<!/.test(text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g, ''))) throw new XmlRefused('doctype', 'The document has a DOCTYPE or entity declaration, which SAML does not allow (it is how entity-expansion attacks work).');
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
