// SCIM request bodies: JSON whatever the client calls its content type.
import { invalidSyntax, invalidValue } from '../../scim/errors.ts';
import { SEARCH_REQUEST_SCHEMA } from '../../scim/list.ts';

/** SCIM resources nest a few levels; anything deeper than this is refused before any recursion. */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON.parse with a clear detail (V8 names the position), then one iterative walk that refuses
 * nesting deeper than MAX_JSON_DEPTH and "__proto__" / "constructor.prototype" keys, which could
 * pollute prototypes further down the line.
 */
export function parseJsonBody(body: string): unknown {
  const text = body.replace(/^\uFEFF/, '');
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidSyntax(`The request body is not valid JSON: ${(err as Error).message}.`);
  }
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw invalidSyntax(`The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
    for (const key of Object.keys(v)) {
      const child = (v as Record<string, unknown>)[key];
      if (key === '__proto__' || (key === 'constructor' && child && typeof child === 'object' && 'prototype' in child)) {
        throw invalidSyntax(`The request body contains the key "${key}", which is refused.`);
      }
      stack.push([child, depth + 1]);
    }
  }
  return value;
}

/** A /.search body is the list parameters as JSON (RFC 7644 §3.4.3). */
export function searchBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidValue(`A /.search body must be a JSON object with "schemas": ["${SEARCH_REQUEST_SCHEMA}"].`);
  const b = { ...(body as Record<string, unknown>) };
  for (const key of ['attributes', 'excludedAttributes']) {
    const k = Object.keys(b).find((x) => x.toLowerCase() === key.toLowerCase());
    if (k && Array.isArray(b[k])) b[k] = (b[k] as unknown[]).join(',');
  }
  return b;
}
