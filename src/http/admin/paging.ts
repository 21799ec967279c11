// Cursor pagination of the admin API: `?after=<cursor>&limit=<n>` in, `{ data, next }` out. A cursor
// is opaque to clients (base64url JSON of the keyset position), so its shape can change without
// breaking them; a cursor that does not decode is a 400 naming `after`.
import { stringValueProblem } from '../../scim/string-value.ts';
import { invalid } from './problem.ts';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export const encodeCursor = (position: string | number): string => Buffer.from(JSON.stringify({ p: position })).toString('base64url');

export function decodeCursor<T extends string | number>(cursor: string | undefined, kind: 'string' | 'number', name = 'after'): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const p = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { p?: unknown }).p;
    // A string position goes into SQL as a bound value: it must be one the database can compare.
    if (typeof p === kind && (kind === 'string' ? stringValueProblem(p as string) === undefined : Number.isSafeInteger(p))) return p as T;
  } catch { /* falls through to the 400 */ }
  throw invalid(name, `${name} is not a cursor this API gave out: pass the \`next\` value of the previous page unchanged.`);
}

/** Reads one row more than asked, to know whether a next page exists without counting. */
export async function page<R, O>(limit: number, read: (n: number) => Promise<R[]>, position: (row: R) => string | number, render: (row: R) => O): Promise<{ data: O[]; next: string | null }> {
  const rows = await read(limit + 1);
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return { data: shown.map(render), next: more ? encodeCursor(position(shown[shown.length - 1])) : null };
}

/** The query-string schema every list shares. */
export const pagingQuery = {
  after: { type: 'string', maxLength: 1000, description: 'The `next` cursor of the previous page' },
  limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
} as const;

export const pageOf = (item: object) => ({
  type: 'object',
  required: ['data', 'next'],
  properties: { data: { type: 'array', items: item }, next: { type: ['string', 'null'], description: 'Pass as `after` for the next page; null on the last page' } },
}) as const;
