// Size bounds on a resource's attribute values. SCIM itself sets none (RFC 7643 §2.3.1 strings
// have no maximum), so without them one request within the body limit could store a 10 MB title or
// a user with 100,000 emails (each an indexed row). Checked on the document a POST, PUT or PATCH
// would store, so every write path is bounded alike. A group's members are not counted: groups of
// 100,000 members are normal, and members live in their own table (provisioning/groups.ts).
import { invalidValue } from './errors.ts';

export interface AttributeLimits {
  /** Most characters (UTF-16 code units, as JavaScript and JSON count them) in one string value. */
  maxStringLength: number;
  /** Most values in one multi-valued attribute (emails, phoneNumbers, roles, entitlements, …). */
  maxValues: number;
}

/** Attributes whose number of values is not bounded here. */
const UNCOUNTED = new Set(['members']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Throws 400 invalidValue naming the first attribute over a limit. `doc` is a canonical attribute
 * document (scim/resource.ts): extension attributes sit under their schema URN.
 */
export function checkAttributeLimits(doc: Record<string, unknown>, limits: AttributeLimits): void {
  for (const [name, value] of Object.entries(doc)) {
    if (/^urn:/i.test(name) && isObject(value)) {
      for (const [sub, v] of Object.entries(value)) checkValue(v, `${name}:${sub}`, sub, limits);
    } else {
      checkValue(value, name, name, limits);
    }
  }
}

function checkValue(value: unknown, where: string, attribute: string, limits: AttributeLimits): void {
  if (typeof value === 'string') {
    if (value.length > limits.maxStringLength) {
      throw invalidValue(`Attribute "${where}" is ${value.length} characters long; this server accepts at most ${limits.maxStringLength} characters in one value.`, { code: 'valueTooLong', attribute: where });
    }
    return;
  }
  if (Array.isArray(value)) {
    if (value.length > limits.maxValues && !UNCOUNTED.has(attribute)) {
      throw invalidValue(`Attribute "${where}" has ${value.length} values; this server accepts at most ${limits.maxValues} values in one multi-valued attribute.`, { code: 'tooManyValues', attribute: where });
    }
    for (const v of value) checkValue(v, where, attribute, limits);
    return;
  }
  if (isObject(value)) {
    for (const [sub, v] of Object.entries(value)) checkValue(v, `${where}.${sub}`, attribute, limits);
  }
}
