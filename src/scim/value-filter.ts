// Evaluates the filter inside a PATCH value path ("emails[type eq \"work\"]") against the values
// of one multi-valued attribute of one resource. This is the only in-memory filter evaluation in
// Rollcall: list filters are compiled to SQL (store/sql/filter-sql.ts).
import { invalidFilter, invalidPath } from './errors.ts';
import type { Filter, FilterValue } from './filter.ts';
import { findAttribute, type AttributeDef } from './schemas/types.ts';

function subAttribute(parent: AttributeDef, name: string, subAttr?: string): AttributeDef {
  if (subAttr) throw invalidPath(`"${name}.${subAttr}" cannot be used inside the value filter of "${parent.name}".`);
  const def = parent.type === 'complex' ? findAttribute(parent.subAttributes, name) : name === 'value' ? parent : undefined;
  if (!def) throw invalidPath(`"${parent.name}" has no sub-attribute "${name}".`);
  return def;
}

function compare(def: AttributeDef, actual: unknown, op: string, expected: FilterValue): boolean {
  if (actual === undefined || actual === null) return op === 'ne' ? expected !== null : false;
  if (expected === null) return op === 'ne';
  if (def.type === 'boolean') {
    const e = typeof expected === 'string' ? expected.toLowerCase() === 'true' : expected;
    if (op === 'eq') return actual === e;
    if (op === 'ne') return actual !== e;
    throw invalidFilter(`Operator "${op}" cannot be used with the boolean attribute "${def.name}".`);
  }
  if (typeof actual === 'number') {
    const e = Number(expected);
    switch (op) {
      case 'eq': return actual === e; case 'ne': return actual !== e;
      case 'gt': return actual > e; case 'ge': return actual >= e;
      case 'lt': return actual < e; case 'le': return actual <= e;
    }
  }
  // A stored non-string (a number kept as text by a client, an object) compares as its JSON text.
  let a = typeof actual === 'string' ? actual : JSON.stringify(actual);
  let e = String(expected);
  if (def.type === 'dateTime' && !Number.isNaN(Date.parse(e))) e = new Date(e).toISOString();
  if (!def.caseExact) { a = a.toLowerCase(); e = e.toLowerCase(); }
  switch (op) {
    case 'eq': return a === e; case 'ne': return a !== e;
    case 'co': return a.includes(e); case 'sw': return a.startsWith(e); case 'ew': return a.endsWith(e);
    case 'gt': return a > e; case 'ge': return a >= e; case 'lt': return a < e; case 'le': return a <= e;
  }
  return false;
}

export function matchesValue(parent: AttributeDef, element: unknown, filter: Filter): boolean {
  const el = (parent.type === 'complex' ? element : { value: element }) as Record<string, unknown>;
  switch (filter.op) {
    case 'and': return matchesValue(parent, element, filter.left) && matchesValue(parent, element, filter.right);
    case 'or': return matchesValue(parent, element, filter.left) || matchesValue(parent, element, filter.right);
    case 'not': return !matchesValue(parent, element, filter.filter);
    case 'valuePath': throw invalidPath('Value filters cannot be nested.');
    case 'pr': {
      const def = subAttribute(parent, filter.path.attr, filter.path.subAttr);
      const v = el?.[def.name];
      return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
    }
    default: {
      const def = subAttribute(parent, filter.path.attr, filter.path.subAttr);
      return compare(def, el?.[def.name], filter.op, filter.value);
    }
  }
}

/**
 * The sub-attribute values a filter pins down with "eq" joined by "and" — used to create the
 * value a PATCH add/replace with a value filter targets when no value matches yet (Entra sends
 * replace `emails[type eq "work"].value` for a user that has no work email).
 */
export function equalityTemplate(parent: AttributeDef, filter: Filter): Record<string, unknown> | undefined {
  if (filter.op === 'and') {
    const l = equalityTemplate(parent, filter.left);
    const r = equalityTemplate(parent, filter.right);
    return l && r ? { ...l, ...r } : undefined;
  }
  if (filter.op === 'eq' && filter.value !== null && parent.type === 'complex') {
    const def = subAttribute(parent, filter.path.attr, filter.path.subAttr);
    return { [def.name]: filter.value };
  }
  return undefined;
}
