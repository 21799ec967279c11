// Turns a client's resource body into the canonical attribute document we store, driven only by
// the schema definitions: canonical attribute names, typed values, readOnly input dropped
// (RFC 7643 §2.2), unknown attributes ignored, and the value quirks real IdPs send absorbed.
import { invalidValue, ScimError } from './errors.ts';
import { findSchema, resolveAttribute, type ResourceSchema } from './schemas/resource-schema.ts';
import { findAttribute, type AttributeDef } from './schemas/types.ts';
import { stringValueProblem } from './string-value.ts';

/** Attributes of one resource, canonical names; extension attributes under their schema URN. */
export type AttrDoc = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7643 §2.3.2: "True"/"False" as strings are sent by Entra ID; accept them as booleans. */
function toBoolean(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  throw invalidValue(`Attribute "${where}" must be a boolean (true or false), got ${JSON.stringify(value)}.`, { code: 'invalidType', attribute: where });
}

function toDateTime(value: unknown, where: string): string {
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  throw invalidValue(`Attribute "${where}" must be an xsd:dateTime such as "2026-01-31T12:00:00Z", got ${JSON.stringify(value)}.`, { code: 'invalidType', attribute: where });
}

function toNumber(value: unknown, integer: boolean, where: string): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n === 'number' && Number.isFinite(n) && (!integer || Number.isInteger(n))) return n;
  throw invalidValue(`Attribute "${where}" must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(value)}.`, { code: 'invalidType', attribute: where });
}

function toText(value: unknown, where: string): string {
  if (typeof value === 'string') {
    const problem = stringValueProblem(value);
    if (problem) throw invalidValue(`Attribute "${where}" ${problem}.`, { code: 'unstorableString', attribute: where });
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalidValue(`Attribute "${where}" must be a string, got ${Array.isArray(value) ? 'an array' : typeof value}.`, { code: 'invalidType', attribute: where });
}

/** Coerces one value (not an array) of an attribute. Returns undefined for "unassigned". */
export function coerceSingle(def: AttributeDef, value: unknown, where: string): unknown {
  if (value === null || value === undefined) return undefined;
  // A one-element array for a single value: Entra and OneLogin send manager and others so.
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    if (value.length === 1) return coerceSingle(def, value[0], where);
    throw invalidValue(`Attribute "${where}" is single-valued but an array of ${value.length} values was sent.`);
  }
  switch (def.type) {
    case 'boolean': return toBoolean(value, where);
    case 'dateTime': return toDateTime(value, where);
    case 'integer': return toNumber(value, true, where);
    case 'decimal': return toNumber(value, false, where);
    case 'string': case 'reference': case 'binary': return toText(value, where);
    case 'complex': {
      // A bare string for a complex attribute that has a "value" sub-attribute is that value:
      // Entra sends manager as "<id>". An empty string means "no value".
      const valueDef = typeof value === 'string' ? findAttribute(def.subAttributes, 'value') : undefined;
      if (valueDef) {
        // Coerced like any "value": a bare "a\u0000b" bypassed the string check (a 500 on
        // PostgreSQL, found by test/http/fuzz.test.ts).
        return value === '' ? undefined : { value: coerceSingle(valueDef, value, `${where}.value`) };
      }
      if (!isObject(value)) throw invalidValue(`Attribute "${where}" must be an object with sub-attributes, got ${JSON.stringify(value)}.`);
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        // "displayName" where the schema says "display" (Microsoft's suite sends it for members).
        const sub = findAttribute(def.subAttributes, key) ??
          (key.toLowerCase() === 'displayname' && !('display' in value) ? findAttribute(def.subAttributes, 'display') : undefined);
        if (!sub || sub.mutability === 'readOnly' && def.mutability !== 'readOnly') continue;
        const c = coerceSingle(sub, v, `${where}.${sub.name}`);
        if (c !== undefined) out[sub.name] = c;
      }
      return Object.keys(out).length ? out : undefined;
    }
  }
}

/**
 * An empty element (null, "", {"value": null}) of a multi-valued attribute is dropped as
 * unassigned (RFC 7643 §2.5; `phoneNumbers: [null]` is accepted), except in a group's members:
 * there a PUT of `members: [null]` would empty the group while the IdP meant to name someone.
 */
const EVERY_ELEMENT_COUNTS = new Set(['members']);

/** Coerces a whole attribute value, single- or multi-valued. Returns undefined for unassigned. */
export function coerceAttribute(def: AttributeDef, value: unknown, where = def.name): unknown {
  if (!def.multiValued) return coerceSingle(def, value, where);
  if (value === null || value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const coerced = list.map((v) => coerceSingle(def, v, where));
  if (EVERY_ELEMENT_COUNTS.has(def.name)) {
    const empty = coerced.findIndex((v) => v === undefined);
    if (empty >= 0) throw invalidValue(`Attribute "${where}" holds ${JSON.stringify(list[empty]) ?? 'nothing'} at position ${empty + 1}; each value must be an object with a "value" (the id of a user or group).`, { code: 'emptyValue', attribute: where });
  }
  const out = coerced.filter((v) => v !== undefined);
  if (def.type === 'complex') {
    const primaries = out.filter((v) => isObject(v) && v.primary === true).length;
    if (primaries > 1) throw invalidValue(`Attribute "${where}" has ${primaries} values marked primary; at most one may be (RFC 7643 §2.4).`);
  }
  return out.length ? out : undefined;
}

/**
 * Canonicalises a POST/PUT body into an attribute document. id, meta, schemas and readOnly
 * attributes are ignored as RFC 7643 §2.2 and §3.1 require; unknown attributes are ignored, and
 * their names (never their values) are added to `ignored` when given, so the edge can log them.
 */
export function normalizeResource(rs: ResourceSchema, body: unknown, ignored?: string[]): AttrDoc {
  if (!isObject(body)) throw invalidValue(`The request body must be a JSON object describing a ${rs.type.name}.`);
  const doc: AttrDoc = {};
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') continue;
    const ext = findSchema(rs, key);
    if (ext && ext !== rs.core) {
      if (value === null) continue;
      if (!isObject(value)) throw invalidValue(`"${ext.id}" must be an object of extension attributes.`);
      for (const [k, v] of Object.entries(value)) if (!setAttribute(rs, doc, k, v, ext.id)) ignored?.push(`${ext.id}:${k}`);
      continue;
    }
    const colon = key.lastIndexOf(':');
    const known = /^urn:/i.test(key) && colon > 0 ? setAttribute(rs, doc, key.slice(colon + 1), value, key.slice(0, colon)) : setAttribute(rs, doc, key, value);
    if (!known && ignored) ignoredNames(key, value, ignored);
  }
  return doc;
}

/** The names an unknown key stands for: each attribute of an object under an unknown schema URN, else the key. */
export function ignoredNames(key: string, value: unknown, into: string[]): void {
  if (/^urn:/i.test(key) && isObject(value) && Object.keys(value).length) for (const k of Object.keys(value)) into.push(`${key}:${k}`);
  else into.push(key);
}

/** Sets one attribute; false when no schema of the resource type defines it (it is then ignored). */
function setAttribute(rs: ResourceSchema, doc: AttrDoc, name: string, value: unknown, urn?: string): boolean {
  const resolved = resolveAttribute(rs, name, urn);
  if (!resolved) return false;
  // readOnly input is ignored (RFC 7643 §2.2). writeOnly (password) is accepted but never kept:
  // Rollcall users sign in through SAML, so a password has nothing to protect here.
  if (resolved.def.mutability === 'readOnly' || resolved.def.mutability === 'writeOnly') return true;
  const where = resolved.extension ? `${resolved.schema}:${resolved.def.name}` : resolved.def.name;
  const coerced = coerceAttribute(resolved.def, value, where);
  if (coerced === undefined) return true;
  if (resolved.extension) {
    const bag = (doc[resolved.schema] as Record<string, unknown> | undefined) ?? {};
    bag[resolved.def.name] = coerced;
    doc[resolved.schema] = bag;
  } else {
    doc[resolved.def.name] = coerced;
  }
  return true;
}

/**
 * RFC 7643 §2.2 "required": checks the required attributes of the core schema and of the extensions
 * (a tenant's custom attribute may be required; the enterprise extension has none).
 *
 * `before`, for a replace or a PATCH: the resource as stored. An extension attribute it lacked too
 * is not demanded, because a tenant may make a custom attribute required after resources without it
 * were stored. Demanding it then would refuse every later update of those resources, their
 * deactivation by the IdP included, and a deprovisioning must never be refused over an attribute
 * the IdP never sent. So a required custom attribute is demanded on create, and once a resource
 * has it, it cannot lose it.
 */
const isMissing = (v: unknown) => v === undefined || (typeof v === 'string' && v.trim() === '');

export function checkRequired(rs: ResourceSchema, doc: AttrDoc, before?: AttrDoc): void {
  for (const def of rs.core.attributes) {
    if (!def.required) continue;
    const v = doc[def.name];
    if (v === undefined || (typeof v === 'string' && v.trim() === '')) {
      throw invalidValue(`Attribute "${def.name}" is required for a ${rs.type.name}.`, { code: 'required', attribute: def.name, resourceType: rs.type.name });
    }
  }
  for (const s of rs.extensions) {
    for (const def of s.attributes) {
      if (!def.required) continue;
      const v = (doc[s.id] as Record<string, unknown> | undefined)?.[def.name];
      if (v === undefined || (typeof v === 'string' && v.trim() === '')) {
        if (before && isMissing((before[s.id] as Record<string, unknown> | undefined)?.[def.name])) continue;
        const name = `${s.id}:${def.name}`;
        throw invalidValue(`Attribute "${name}" is required for a ${rs.type.name}.`, { code: 'required', attribute: name, resourceType: rs.type.name });
      }
    }
  }
}

/**
 * RFC 7643 §2.2 "immutable": once an extension attribute has a value, a write may re-send it but not
 * change it (RFC 7644 §3.5.1: "the input value(s) MUST match"). A PUT that leaves it out keeps it
 * (`keepOmitted`, written into `after`); a PATCH that removes it is refused. The core schemas have
 * no immutable top-level attribute.
 */
export function checkImmutable(rs: ResourceSchema, before: AttrDoc, after: AttrDoc, keepOmitted: boolean): void {
  for (const s of rs.extensions) {
    for (const def of s.attributes) {
      if (def.mutability !== 'immutable') continue;
      const was = (before[s.id] as Record<string, unknown> | undefined)?.[def.name];
      if (was === undefined) continue;
      const bag = after[s.id] as Record<string, unknown> | undefined;
      if (bag?.[def.name] === undefined && keepOmitted) {
        after[s.id] = { ...bag, [def.name]: was };
        continue;
      }
      if (JSON.stringify(bag?.[def.name]) !== JSON.stringify(was)) {
        throw new ScimError(400, `Attribute "${s.id}:${def.name}" is immutable: it keeps the value it was first given.`, 'mutability', {}, { code: 'immutable', attribute: `${s.id}:${def.name}`, resourceType: rs.type.name });
      }
    }
  }
}
