// RFC 7644 §3.5.2 PATCH, applied to one resource's attribute document, all operations or none.
// Attributes stored outside the document (a Group's members: a table, possibly 100,000 rows) are
// not loaded: their operations come back as MemberOps for the store to apply in the same
// transaction. IdP quirks absorbed here are listed in docs/idp-quirks.md.
import { invalidPath, invalidSyntax, invalidValue, mutability, noTarget } from './errors.ts';
import { parsePatchPath, type Filter, type PatchPath } from './filter.ts';
import { coerceAttribute, coerceSingle, ignoredNames, type AttrDoc } from './resource.ts';
import { findSchema, resolveAttribute, type ResolvedAttribute, type ResourceSchema } from './schemas/resource-schema.ts';
import { findAttribute, type AttributeDef } from './schemas/types.ts';
import { equalityTemplate, matchesValue } from './value-filter.ts';

export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const MAX_OPERATIONS = 1000;

export interface MemberValue { value: string; type?: string; display?: string }
export type MemberOp =
  | { kind: 'add'; members: MemberValue[] }
  | { kind: 'remove'; values: string[] }
  | { kind: 'removeAll' }
  | { kind: 'replace'; members: MemberValue[] }
  | { kind: 'removeMatching'; filter: Filter };

export interface PatchResult { doc: AttrDoc; memberOps: MemberOp[]; changed: boolean }

/** Coerced values of "members" (POST, PUT or PATCH) → member ids with their optional type and display. */
export function toMemberValues(coerced: unknown): MemberValue[] {
  return ((coerced as Obj[] | undefined) ?? []).map((m) => {
    if (typeof m.value !== 'string' || m.value === '') throw invalidValue('Each member needs a "value" holding the id of a user or group.');
    return { value: m.value, type: m.type as string | undefined, display: m.display as string | undefined };
  });
}

type Op = 'add' | 'replace' | 'remove';
type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Target { resolved: ResolvedAttribute; subAttr?: AttributeDef; filter?: Filter; text: string }

class Patcher {
  readonly memberOps: MemberOp[] = [];
  constructor(readonly rs: ResourceSchema, readonly doc: AttrDoc, readonly external: ReadonlySet<string>, readonly ignored?: string[]) {}

  /**
   * Resolves a path; undefined means "an attribute we do not know": ignored, like unknown input.
   * An unknown sub-attribute is an error for an explicit path, and ignored inside a path-less value.
   */
  target(pp: PatchPath, text: string, pathless = false): Target | undefined {
    const resolved = resolveAttribute(this.rs, pp.path.attr, pp.path.urn);
    if (!resolved) return undefined;
    const subName = pp.subAttr ?? pp.path.subAttr;
    let subAttr: AttributeDef | undefined;
    if (subName) {
      subAttr = findAttribute(resolved.def.subAttributes, subName);
      if (!subAttr && pathless) return undefined;
      if (!subAttr) throw invalidPath(`"${resolved.def.name}" has no sub-attribute "${subName}" (path "${text}").`);
    }
    if (pp.filter && !resolved.def.multiValued) throw invalidPath(`A value filter needs a multi-valued attribute; "${resolved.def.name}" is single-valued (path "${text}").`);
    return { resolved, subAttr, filter: pp.filter, text };
  }

  bag(t: Target, create: boolean): Obj | undefined {
    if (!t.resolved.extension) return this.doc;
    let bag = this.doc[t.resolved.schema] as Obj | undefined;
    if (!bag && create) this.doc[t.resolved.schema] = bag = {};
    return bag;
  }

  cleanup(t: Target): void {
    const bag = this.bag(t, false);
    if (!bag) return;
    const v = bag[t.resolved.def.name];
    if (v === undefined || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0)) delete bag[t.resolved.def.name];
    if (t.resolved.extension && Object.keys(bag).length === 0) delete this.doc[t.resolved.schema];
  }

  apply(op: Op, t: Target, value: unknown, pathless: boolean): void {
    const def = t.resolved.def;
    if (def.mutability === 'readOnly') {
      if (pathless) return; // Okta and Entra echo "id" inside path-less values: ignore, as RFC 7643 §2.2 allows.
      throw mutability(`Attribute "${t.text}" is readOnly and cannot be modified.`);
    }
    if (def.mutability === 'writeOnly') return; // accepted, never stored (see resource.ts)
    if (t.subAttr?.mutability === 'readOnly') {
      if (pathless) return;
      throw mutability(`Sub-attribute "${t.text}" is readOnly and cannot be modified.`);
    }
    if (!t.resolved.extension && this.external.has(def.name)) return this.applyMembers(op, t, value);
    if (t.filter) return this.applyFiltered(op, t, value);
    if (t.subAttr) return this.applySub(op, t, value);
    this.applyWhole(op, t, value);
  }

  applyWhole(op: Op, t: Target, value: unknown): void {
    const def = t.resolved.def;
    const bag = this.bag(t, op !== 'remove');
    if (!bag) return;
    if (op === 'remove') {
      if (def.required && !t.resolved.extension) throw invalidValue(`Attribute "${def.name}" is required and cannot be removed.`);
      const current = bag[def.name];
      if (value !== undefined && value !== null && def.multiValued && Array.isArray(current)) {
        // Remove with a value list removes only the listed values (Entra does this for more than members).
        const gone = coerceAttribute(def, value) as unknown[] | undefined ?? [];
        bag[def.name] = current.filter((c) => !gone.some((g) => sameValue(def, c, g)));
      } else {
        delete bag[def.name];
      }
      return this.cleanup(t);
    }
    const coerced = coerceAttribute(def, value, t.text);
    if (coerced === undefined) {
      if (op === 'replace') { delete bag[def.name]; this.cleanup(t); }
      return;
    }
    if (def.required && typeof coerced === 'string' && coerced.trim() === '') throw invalidValue(`Attribute "${def.name}" is required and cannot be empty.`);
    const current = bag[def.name];
    if (def.multiValued) {
      const incoming = coerced as unknown[];
      if (op === 'replace' || !Array.isArray(current)) { bag[def.name] = incoming; this.fixPrimary(def, incoming, new Set(incoming)); return; }
      const next: unknown[] = [...(current as unknown[])];
      const touched = new Set<unknown>();
      for (const v of incoming) {
        const i = next.findIndex((c) => sameValue(def, c, v));
        if (i >= 0) { next[i] = isObject(next[i]) && isObject(v) ? { ...next[i], ...v } : v; touched.add(next[i]); }
        else { next.push(v); touched.add(v); }
      }
      bag[def.name] = next;
      this.fixPrimary(def, next, touched);
      return;
    }
    if (def.type === 'complex' && isObject(current) && isObject(coerced) && !('value' in coerced)) {
      bag[def.name] = { ...current, ...coerced }; // RFC 7644 §3.5.2.1/.3: given sub-attributes replace, others stay
    } else {
      bag[def.name] = coerced;
    }
  }

  applySub(op: Op, t: Target, value: unknown): void {
    const def = t.resolved.def;
    const sub = t.subAttr!;
    const bag = this.bag(t, op !== 'remove');
    if (!bag) return;
    const current = bag[def.name];
    if (op === 'remove') {
      for (const item of Array.isArray(current) ? current : [current]) if (isObject(item)) delete item[sub.name];
      if (Array.isArray(current)) bag[def.name] = current.filter((c) => isObject(c) && Object.keys(c).length > 0);
      return this.cleanup(t);
    }
    const v = coerceSingle(sub, value, t.text);
    if (def.multiValued) {
      // RFC 7644 §3.5.2.3: a sub-attribute path on a multi-valued attribute targets every value.
      const list = Array.isArray(current) ? current : [];
      if (list.length === 0) {
        if (v !== undefined) bag[def.name] = [{ [sub.name]: v }];
      } else {
        for (const item of list) if (isObject(item)) { if (v === undefined) delete item[sub.name]; else item[sub.name] = v; }
      }
      // No list when a null was set on an attribute without values (a TypeError, found by the fuzz test).
      if (sub.name === 'primary' && Array.isArray(bag[def.name])) this.fixPrimary(def, bag[def.name] as unknown[], new Set());
    } else {
      const obj = isObject(current) ? current : {};
      if (v === undefined) delete obj[sub.name]; else obj[sub.name] = v;
      bag[def.name] = obj;
    }
    this.cleanup(t);
  }

  applyFiltered(op: Op, t: Target, value: unknown): void {
    const def = t.resolved.def;
    const bag = this.bag(t, op !== 'remove');
    if (!bag) return;
    const list = Array.isArray(bag[def.name]) ? [...(bag[def.name] as unknown[])] : [];
    const matches = list.filter((el) => matchesValue(def, el, t.filter!));
    if (op === 'remove') {
      if (t.subAttr) { for (const m of matches) if (isObject(m)) delete m[t.subAttr.name]; }
      bag[def.name] = list.filter((el) => !matches.includes(el) || (t.subAttr && isObject(el) && Object.keys(el).length > 0));
      return this.cleanup(t);
    }
    const touched = new Set<unknown>();
    if (matches.length === 0) {
      // No value matches: create one from the filter's "eq" terms, as Entra and Okta expect for
      // `replace emails[type eq "work"].value`. Without such terms there is no target.
      const template = equalityTemplate(def, t.filter!);
      if (!template) throw noTarget(`No value of "${def.name}" matches the filter in path "${t.text}".`);
      const created = t.subAttr
        ? coerceSingle(def, { ...template, [t.subAttr.name]: value }, t.text)
        : coerceSingle(def, { ...template, ...(isObject(value) ? value : { value }) }, t.text);
      if (created !== undefined) { list.push(created); touched.add(created); }
    } else {
      for (const m of matches) {
        const i = list.indexOf(m);
        let next: unknown;
        if (t.subAttr) {
          const v = coerceSingle(t.subAttr, value, t.text);
          next = { ...(m as Obj) };
          if (v === undefined) delete (next as Obj)[t.subAttr.name]; else (next as Obj)[t.subAttr.name] = v;
        } else {
          const v = coerceSingle(def, value, t.text);
          next = op === 'add' && isObject(v) ? { ...(m as Obj), ...v } : v;
        }
        if (next === undefined) list.splice(i, 1);
        else { list[i] = next; touched.add(next); }
      }
    }
    bag[def.name] = list;
    this.fixPrimary(def, list, touched);
    this.cleanup(t);
  }

  applyMembers(op: Op, t: Target, value: unknown): void {
    const def = t.resolved.def;
    const members = () => toMemberValues(coerceAttribute(def, value, t.text));
    if (t.subAttr) throw invalidPath(`Sub-attributes of "${def.name}" are immutable; remove and add the member instead (path "${t.text}").`);
    if (op === 'add') {
      if (t.filter) throw invalidPath(`"add" cannot target a filtered "${def.name}" path; send the members as the value.`);
      this.memberOps.push({ kind: 'add', members: members() });
      return;
    }
    if (op === 'replace') {
      if (t.filter) {
        this.memberOps.push({ kind: 'removeMatching', filter: t.filter });
        this.memberOps.push({ kind: 'add', members: members() });
      } else {
        this.memberOps.push({ kind: 'replace', members: members() });
      }
      return;
    }
    if (t.filter) {
      const values = valueEqualities(t.filter);
      this.memberOps.push(values ? { kind: 'remove', values } : { kind: 'removeMatching', filter: t.filter });
    } else if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0)) {
      // Entra: {"op":"Remove","path":"members","value":[{"value":"id"}]} removes only those listed.
      this.memberOps.push({ kind: 'remove', values: members().map((m) => m.value) });
    } else {
      this.memberOps.push({ kind: 'removeAll' });
    }
  }

  /** RFC 7643 §2.4: at most one primary; a value just set primary wins over older ones. */
  fixPrimary(def: AttributeDef, list: unknown[], touched: Set<unknown>): void {
    if (def.type !== 'complex') return;
    const primaries = list.filter((v) => isObject(v) && v.primary === true);
    if (primaries.length <= 1) return;
    const winners = primaries.filter((p) => touched.has(p));
    if (winners.length !== 1) throw invalidValue(`Attribute "${def.name}" would have ${primaries.length} values marked primary; at most one may be.`);
    for (const p of primaries) if (p !== winners[0]) (p as Obj).primary = false;
  }
}

/** Two values of a multi-valued attribute are the same when their value (and type, if both have one) agree. */
function sameValue(def: AttributeDef, a: unknown, b: unknown): boolean {
  if (!isObject(a) || !isObject(b)) return a === b;
  if (a.value === undefined || b.value === undefined) return JSON.stringify(a) === JSON.stringify(b);
  const valueDef = findAttribute(def.subAttributes, 'value');
  // A string compares case-insensitively unless caseExact (RFC 7643 §2.2); any other value as its JSON.
  const fold = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : JSON.stringify(v));
  const eq = valueDef?.caseExact ? a.value === b.value : fold(a.value) === fold(b.value);
  return eq && (a.type === undefined || b.type === undefined || a.type === b.type);
}

/** `value eq "a" or value eq "b"` → ["a", "b"]; anything else → undefined. */
function valueEqualities(f: Filter): string[] | undefined {
  if (f.op === 'or') {
    const l = valueEqualities(f.left);
    const r = valueEqualities(f.right);
    return l && r ? [...l, ...r] : undefined;
  }
  if (f.op === 'eq' && f.path.attr.toLowerCase() === 'value' && !f.path.subAttr && typeof f.value === 'string') return [f.value];
  return undefined;
}

function readOperations(body: unknown): Obj[] {
  if (!isObject(body)) throw invalidSyntax('A PATCH body must be a JSON object with "schemas" and "Operations" (RFC 7644 §3.5.2).');
  const schemas = body.schemas;
  if (schemas !== undefined && !(Array.isArray(schemas) && schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_SCHEMA.toLowerCase()))) {
    throw invalidSyntax(`A PATCH body's "schemas" must contain "${PATCH_SCHEMA}".`);
  }
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const ops = key ? body[key] : undefined;
  if (!Array.isArray(ops) || ops.length === 0) throw invalidSyntax('A PATCH body needs a non-empty "Operations" array.');
  if (ops.length > MAX_OPERATIONS) throw invalidSyntax(`A PATCH request may carry at most ${MAX_OPERATIONS} operations; this one has ${ops.length}.`);
  return ops.map((op, i) => {
    if (!isObject(op)) throw invalidSyntax(`Operation ${i + 1} must be an object with "op", "path" and "value".`);
    return op;
  });
}

/**
 * Applies a PATCH request body. `external` names attributes stored outside the document (members);
 * their changes are returned as memberOps. Throws a ScimError on the first bad operation, leaving
 * the input untouched: the caller commits all or nothing. Paths and keys naming no attribute of the
 * resource type are ignored, their names added to `ignored` when given.
 */
export function applyPatch(rs: ResourceSchema, doc: AttrDoc, body: unknown, external: ReadonlySet<string> = new Set(), ignored?: string[]): PatchResult {
  const ops = readOperations(body);
  const p = new Patcher(rs, structuredClone(doc), external, ignored);
  ops.forEach((raw, i) => {
    const opKey = (k: string) => Object.keys(raw).find((x) => x.toLowerCase() === k);
    const rawOp = raw[opKey('op') ?? 'op'];
    const opName = typeof rawOp === 'string' ? rawOp.toLowerCase() : '';
    if (opName !== 'add' && opName !== 'replace' && opName !== 'remove') {
      throw invalidSyntax(`Operation ${i + 1}: "op" must be "add", "replace" or "remove", got ${JSON.stringify(rawOp)}.`);
    }
    const rawPath = raw[opKey('path') ?? 'path'];
    const value = raw[opKey('value') ?? 'value'];
    if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') throw invalidPath(`Operation ${i + 1}: "path" must be a string.`);
    const path = typeof rawPath === 'string' ? rawPath.trim() : '';
    const wholeExtension = path ? findSchema(rs, path) : undefined;
    if (wholeExtension && wholeExtension !== rs.core) {
      // path "urn:…:enterprise:2.0:User": the value holds that extension's attributes.
      if (opName === 'remove') { delete p.doc[wholeExtension.id]; return; }
      applyPathless(p, rs, opName, { [wholeExtension.id]: value }, i);
      return;
    }
    if (path) {
      if (opName !== 'remove' && value === undefined) throw invalidValue(`Operation ${i + 1} (${opName} "${path}") needs a "value".`);
      const t = p.target(parsePatchPath(path), path);
      if (t) p.apply(opName, t, value, false);
      else p.ignored?.push(path);
      return;
    }
    if (opName === 'remove') throw noTarget(`Operation ${i + 1}: "remove" needs a "path" naming what to remove (RFC 7644 §3.5.2.2).`);
    applyPathless(p, rs, opName, value, i);
  });
  const changed = canonicalJson(p.doc) !== canonicalJson(doc);
  return { doc: p.doc, memberOps: p.memberOps, changed };
}

/** A path-less add/replace: every key of the value is an attribute, a path, or an extension URN. */
function applyPathless(p: Patcher, rs: ResourceSchema, opName: Op, value: unknown, i: number): void {
  const obj: unknown = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (!isObject(obj)) throw invalidValue(`Operation ${i + 1}: without a "path", "value" must be an object of attributes to ${opName}.`);
  for (const [key, v] of Object.entries(obj)) {
    if (key.toLowerCase() === 'schemas') continue;
    const ext = findSchema(rs, key);
    if (ext && ext !== rs.core) {
      if (!isObject(v)) throw invalidValue(`Operation ${i + 1}: "${ext.id}" must be an object of extension attributes.`);
      for (const [k2, v2] of Object.entries(v)) {
        const t = pathlessTarget(p, `${ext.id}:${k2}`);
        if (t) p.apply(opName, t, v2, true);
        else p.ignored?.push(`${ext.id}:${k2}`);
      }
      continue;
    }
    // Keys may be paths themselves: "name.givenName", "emails[type eq \"work\"].value", or URN-qualified.
    const t = pathlessTarget(p, key);
    if (t) p.apply(opName, t, v, true);
    else if (p.ignored) ignoredNames(key, v, p.ignored);
  }
}

/** A key of a path-less value: unknown attributes (even ones that do not parse as paths) are ignored. */
function pathlessTarget(p: Patcher, key: string): Target | undefined {
  let pp: PatchPath;
  try {
    pp = parsePatchPath(key);
  } catch (err) {
    // A malformed key is an error only when it starts with an attribute we know ("name.x.y").
    const plain = key.split('[')[0];
    const bare = /^urn:/i.test(plain) ? plain.slice(plain.lastIndexOf(':') + 1) : plain;
    const head = /^[A-Za-z$][\w$-]*/.exec(bare)?.[0];
    if (!head || !resolveAttribute(p.rs, head)) return undefined;
    throw err;
  }
  return p.target(pp, key, true);
}

/** JSON with object keys sorted: reordered keys are not a change. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}
