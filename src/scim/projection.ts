// RFC 7644 §3.9: "attributes" and "excludedAttributes". Works on a fully rendered resource.
// Attributes whose definition says returned "always" (id) and "schemas" survive both lists;
// returned "never" attributes are never rendered in the first place.
import { badRequest } from './errors.ts';
import { parseAttrPath } from './filter.ts';
import { resolveAttribute, findSchema, type ResourceSchema } from './schemas/resource-schema.ts';
import { findAttribute } from './schemas/types.ts';

export interface Projection {
  mode: 'all' | 'include' | 'exclude';
  /** Resolved paths: key in the rendered resource (URN for extensions), attribute, sub-attribute. */
  paths: { container?: string; attr?: string; sub?: string }[];
}

export const ALL: Projection = { mode: 'all', paths: [] };

const MAX_PATHS = 100;

/** Parses the comma-separated lists. Unknown attribute names are ignored, as for input. */
export function parseProjection(rs: ResourceSchema, attributesParam?: string | readonly string[], excludedParam?: string | readonly string[]): Projection {
  // A repeated query parameter (?attributes=a&attributes=b) arrives as an array: one list, as
  // list.ts reads it. Taken as a string it was a 500 (found by test/http/fuzz.test.ts).
  const attributes = Array.isArray(attributesParam) ? attributesParam.join(',') : attributesParam as string | undefined;
  const excludedAttributes = Array.isArray(excludedParam) ? excludedParam.join(',') : excludedParam as string | undefined;
  if (attributes?.trim() && excludedAttributes?.trim()) {
    throw badRequest('Use either "attributes" or "excludedAttributes", not both (RFC 7644 §3.9).');
  }
  const list = (attributes?.trim() ? attributes : excludedAttributes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) return ALL;
  if (list.length > MAX_PATHS) throw badRequest(`At most ${MAX_PATHS} attribute names may be listed.`);
  const paths: Projection['paths'] = [];
  for (const text of list) {
    const whole = findSchema(rs, text);
    if (whole && whole !== rs.core) { paths.push({ container: whole.id }); continue; }
    // Microsoft's suite sends attributes=emails[type eq "work"]; the value filter is dropped and the
    // whole attribute returned, which is what a client asking for it can use.
    const p = parseAttrPath(text.replace(/\[[^\]]*\]/g, ''));
    if (!p) continue;
    const r = resolveAttribute(rs, p.attr, p.urn);
    if (!r) continue;
    const sub = p.subAttr ? findAttribute(r.def.subAttributes, p.subAttr)?.name : undefined;
    if (p.subAttr && !sub) continue;
    paths.push({ container: r.extension ? r.schema : undefined, attr: r.def.name, sub });
  }
  return { mode: attributes?.trim() ? 'include' : 'exclude', paths };
}

/** True when the projection asks for (or does not exclude) a top-level core attribute. */
export function wantsAttribute(p: Projection, attr: string): boolean {
  if (p.mode === 'all') return true;
  const named = p.paths.some((x) => !x.container && x.attr === attr);
  if (p.mode === 'include') return named;
  return !p.paths.some((x) => !x.container && x.attr === attr && !x.sub);
}

const ALWAYS = new Set(['schemas', 'id']);
type Obj = Record<string, unknown>;

/** Keeps one sub-attribute. Arrays keep their length (empty objects hold places) so that two
 *  sub-attributes of the same values merge index by index; empty objects are dropped at the end. */
function pick(value: unknown, sub: string): unknown {
  if (Array.isArray(value)) return value.map((v) => (v && typeof v === 'object' && sub in v ? { [sub]: (v as Obj)[sub] } : {}));
  if (value && typeof value === 'object' && sub in value) return { [sub]: (value as Obj)[sub] };
  return undefined;
}

function merge(target: Obj, key: string, value: unknown): void {
  if (value === undefined) return;
  const existing = target[key];
  if (existing === undefined) { target[key] = value; return; }
  if (Array.isArray(existing) && Array.isArray(value)) target[key] = existing.map((e, i) => ({ ...(e as Obj), ...(value[i] as Obj) }));
  else if (typeof existing === 'object' && typeof value === 'object') target[key] = { ...(existing as Obj), ...(value as Obj) };
}

export function applyProjection(resource: Obj, p: Projection): Obj {
  if (p.mode === 'all') return resource;
  if (p.mode === 'include') {
    const out: Obj = {};
    for (const k of Object.keys(resource)) if (ALWAYS.has(k)) out[k] = resource[k];
    for (const path of p.paths) {
      const source = path.container ? (resource[path.container] as Obj | undefined) : resource;
      if (!source) continue;
      const target = path.container ? ((out[path.container] as Obj | undefined) ?? (out[path.container] = {})) : out;
      if (!path.attr) { Object.assign(target, source); continue; }
      merge(target, path.attr, path.sub ? pick(source[path.attr], path.sub) : source[path.attr]);
    }
    prune(out);
    return out;
  }
  // Copy on write: only the objects an excluded path changes are copied (a deep clone of every
  // resource was 6% of a GET's CPU); the rest is shared with the rendered resource, read-only.
  const out: Obj = { ...resource };
  for (const path of p.paths) {
    if (!path.attr) { if (path.container) delete out[path.container]; continue; }
    if (!path.container && ALWAYS.has(path.attr)) continue;
    let target = out;
    if (path.container) {
      const container = out[path.container];
      if (!container || typeof container !== 'object') continue;
      target = out[path.container] = { ...(container as Obj) };
    }
    if (!path.sub) { delete target[path.attr]; continue; }
    const sub = path.sub;
    const v = target[path.attr];
    if (v === undefined) continue;
    if (Array.isArray(v)) target[path.attr] = v.map((item) => without(item, sub));
    else target[path.attr] = without(v, sub);
  }
  return out;
}

/** A copy of an object without one key; anything else is returned as it is. */
function without(value: unknown, key: string): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const rest = { ...(value as Obj) };
  delete rest[key];
  return rest;
}

/** Drops the empty objects and arrays that sub-attribute picking leaves behind. */
function prune(o: Obj): void {
  for (const [k, v] of Object.entries(o)) {
    if (Array.isArray(v)) {
      const kept = v.filter((x: unknown) => !(x && typeof x === 'object' && Object.keys(x).length === 0));
      if (kept.length) o[k] = kept; else delete o[k];
    } else if (v && typeof v === 'object') {
      prune(v as Obj);
      if (Object.keys(v).length === 0) delete o[k];
    }
  }
}
