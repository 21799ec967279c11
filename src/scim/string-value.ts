// Which strings a SCIM value may hold. RFC 7643 §2.3.1 defines a string as Unicode characters
// encoded in UTF-8: an unpaired UTF-16 surrogate (which JSON's "\ud800" escape can still spell) is
// no character at all and has no UTF-8 form. U+0000 is a character, but PostgreSQL's text and
// jsonb types cannot hold it ("invalid byte sequence for encoding UTF8: 0x00", "unsupported Unicode
// escape sequence"), while SQLite stores it: refusing it here, for every database, is what keeps
// the two drivers answering alike. No directory attribute an IdP sends legitimately contains either.
// The check is pure and runs where client text enters (resource values, filter and path strings);
// the store in turn never fails on such a string used as a lookup key (store/sql/lookup-key.ts).

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be a SCIM value, or undefined when it can. */
export function stringValueProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains the character U+0000 (NUL), which no SCIM string may hold';
  if (UNPAIRED_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate (a broken "\\uD800"-style escape), which is not a Unicode character';
  return undefined;
}
