// Which attributes a write changed: the paths the events of a change name (user.updated carries
// them) and the test of whether a write changed anything at all. Pure: two attribute documents in.
import type { AttrDoc } from './resource.ts';

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep equality of JSON values; object key order does not matter, array order does. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a).filter((k) => a[k] !== undefined);
  if (keys.length !== Object.keys(b).filter((k) => b[k] !== undefined).length) return false;
  return keys.every((k) => sameValue(a[k], b[k]));
}

/**
 * The attribute paths whose values differ, sorted: a top-level attribute by name ("active",
 * "emails": a multi-valued attribute changes as a whole), a sub-attribute of a single-valued complex
 * attribute by dotted path ("name.givenName"), and an extension's attributes under their schema URN
 * ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "…:manager.value"),
 * the form RFC 7644 §3.10 gives fully qualified attribute paths.
 */
export function changedPaths(before: AttrDoc, after: AttrDoc): string[] {
  const out: string[] = [];
  const attribute = (path: string, x: unknown, y: unknown) => {
    if (!isObject(x) && !isObject(y)) { out.push(path); return; }
    for (const sub of keysOf(x, y)) if (!sameValue(field(x, sub), field(y, sub))) out.push(`${path}.${sub}`);
  };
  for (const key of keysOf(before, after)) {
    const x = before[key];
    const y = after[key];
    if (sameValue(x, y)) continue;
    if (key.startsWith('urn:') && (isObject(x) || isObject(y))) {
      for (const attr of keysOf(x, y)) if (!sameValue(field(x, attr), field(y, attr))) attribute(`${key}:${attr}`, field(x, attr), field(y, attr));
    } else {
      attribute(key, x, y);
    }
  }
  return out.sort();
}

const field = (v: unknown, key: string): unknown => (isObject(v) ? v[key] : undefined);
const keysOf = (a: unknown, b: unknown): Set<string> => new Set([...(isObject(a) ? Object.keys(a) : []), ...(isObject(b) ? Object.keys(b) : [])]);
