// RFC 7644 §3.4.2: list parameters (filter, sortBy, sortOrder, startIndex, count, attributes,
// excludedAttributes), read from a query string or a POST /.search body alike.
import { badRequest, invalidValue } from './errors.ts';
import { parseAttrPath, parseFilter, type AttrPath, type Filter } from './filter.ts';
import { parseProjection, type Projection } from './projection.ts';
import type { ResourceSchema } from './schemas/resource-schema.ts';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

export interface ListQuery {
  filter?: Filter;
  sortBy?: AttrPath;
  sortOrder: 'ascending' | 'descending';
  /** 1-based, as in SCIM. */
  startIndex: number;
  count: number;
  projection: Projection;
}

export interface PagingLimits { defaultCount: number; maxCount: number }

type Params = Record<string, unknown>;

/**
 * A parameter as text: a query string gives strings, a POST /.search body (RFC 7644 §3.4.3) may
 * give numbers and booleans; anything else is kept as JSON, so that the error quoting it is legible.
 */
function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

/** Parameter names are matched case-insensitively: clients send "startindex" and "Count". */
function param(params: Params, name: string): string | undefined {
  const key = Object.keys(params).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : params[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? (name.endsWith('ttributes') ? v.map(text).join(',') : text(v[v.length - 1])) : undefined;
  return text(v);
}

function integer(params: Params, name: string): number | undefined {
  const raw = param(params, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\s*-?\d+\s*$/.test(raw)) throw invalidValue(`"${name}" must be an integer, got ${JSON.stringify(raw)}.`);
  return Number(raw);
}

export function parseListQuery(rs: ResourceSchema, params: Params, limits: PagingLimits): ListQuery {
  const filterText = param(params, 'filter');
  const filter = filterText !== undefined ? parseFilter(filterText) : undefined;
  const sortText = param(params, 'sortBy')?.trim();
  let sortBy: AttrPath | undefined;
  if (sortText) {
    sortBy = parseAttrPath(sortText);
    if (!sortBy) throw badRequest(`"sortBy" must name an attribute, got ${JSON.stringify(sortText)}.`);
  }
  const order = (param(params, 'sortOrder') ?? 'ascending').trim().toLowerCase();
  if (order !== 'ascending' && order !== 'descending') throw invalidValue(`"sortOrder" must be "ascending" or "descending", got ${JSON.stringify(order)}.`);
  // RFC 7644 §3.4.2.4: startIndex < 1 means 1; a negative count means 0; more than the maximum is capped.
  // Past any possible total the page is simply empty; the cap keeps the offset an exact integer.
  const startIndex = Math.min(Number.MAX_SAFE_INTEGER, Math.max(1, integer(params, 'startIndex') ?? 1));
  const count = Math.min(limits.maxCount, Math.max(0, integer(params, 'count') ?? limits.defaultCount));
  const projection = parseProjection(rs, param(params, 'attributes'), param(params, 'excludedAttributes'));
  return { filter, sortBy, sortOrder: order, startIndex, count, projection };
}

export function listResponse(resources: unknown[], totalResults: number, startIndex: number) {
  return { schemas: [LIST_RESPONSE_SCHEMA], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}
