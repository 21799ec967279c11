// A tenant's own extension schemas (RFC 7643 §3.3: "urn:ietf:params:scim:schemas:extension:…"),
// defined in its settings. Each definition is checked here and turned into an ordinary SchemaDef,
// so the core treats it exactly like the enterprise extension: no custom code path anywhere else.
import { commonAttributes, groupSchema, userSchema } from './core.ts';
import { ENTERPRISE_USER_SCHEMA, enterpriseUserSchema } from './enterprise-user.ts';
import { attr, type AttributeDef, type AttributeType, type SchemaDef } from './types.ts';

/** The types a custom attribute may have (complex and binary are left out: no IdP maps them). */
export const CUSTOM_ATTRIBUTE_TYPES = ['string', 'boolean', 'integer', 'decimal', 'dateTime', 'reference'] as const;
export type CustomAttributeType = typeof CUSTOM_ATTRIBUTE_TYPES[number];
/** readOnly would be unwritable by any client and writeOnly is never stored (resource.ts): neither is useful here. */
export const CUSTOM_MUTABILITIES = ['readWrite', 'immutable'] as const;
/** "global" (across tenants) is not offered: tenants never see each other's data. */
export const CUSTOM_UNIQUENESS = ['none', 'server'] as const;
export const REFERENCE_TYPES = ['external', 'uri', 'User', 'Group'] as const;

/** Bounds that keep one tenant's definitions (and the rows they index) reasonable. */
export const CUSTOM_LIMITS = { schemas: 10, attributesPerSchema: 100, nameLength: 64, descriptionLength: 1024, extensionNameLength: 64 } as const;

/** A custom attribute as the settings document spells it; omitted flags take RFC 7643 §2.2's defaults. */
export interface CustomAttribute {
  name: string;
  type: CustomAttributeType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: typeof CUSTOM_MUTABILITIES[number];
  uniqueness: typeof CUSTOM_UNIQUENESS[number];
  /** Only for type "reference". */
  referenceTypes?: string[];
}

export interface CustomSchema {
  id: string;
  name: string;
  description: string;
  attributes: CustomAttribute[];
}

/** One thing wrong with a definition, located by a JSON pointer (RFC 6901) into the checked value. */
export interface DefinitionProblem { pointer: string; message: string }

/** urn:ietf:params:scim:schemas:extension:<name>:2.0:User|Group, the shape RFC 7643 §8.7.1 uses for enterprise. */
export const CUSTOM_URN = /^urn:ietf:params:scim:schemas:extension:([A-Za-z0-9][A-Za-z0-9_.-]*):2\.0:(User|Group)$/;
/** RFC 7643 §2.1: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA. */
export const ATTRNAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** The resource type a custom schema extends, read from its URN. */
export function extendedResource(urn: string): 'User' | 'Group' | undefined {
  return CUSTOM_URN.exec(urn)?.[2] as 'User' | 'Group' | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Names a custom attribute may not take on each resource type: bare names must stay unambiguous. */
function reservedNames(resource: 'User' | 'Group'): Set<string> {
  const core = resource === 'User' ? [...userSchema.attributes, ...enterpriseUserSchema.attributes] : groupSchema.attributes;
  return new Set([...commonAttributes, ...core].map((a) => a.name.toLowerCase()).concat('schemas'));
}

/**
 * Checks a list of custom schema definitions (the settings document's "customSchemas") and returns
 * them normalised (defaults filled in), or the problems found, each at its JSON pointer under
 * `base`. Refused: a URN of another shape or used twice, the enterprise name, attribute names that
 * are not RFC 7643 ATTRNAMEs, that repeat, or that a core, common or enterprise attribute of the
 * same resource type (or another custom schema of it) already has — a bare name must resolve to
 * one attribute, as Entra sends custom attributes without their URN in path-less PATCH values.
 */
export function checkCustomSchemas(input: unknown, base: string): { schemas: CustomSchema[]; problems: DefinitionProblem[] } {
  const problems: DefinitionProblem[] = [];
  const problem = (pointer: string, message: string) => { problems.push({ pointer, message }); };
  if (!Array.isArray(input)) {
    problem(base, 'must be an array of schema definitions');
    return { schemas: [], problems };
  }
  if (input.length > CUSTOM_LIMITS.schemas) problem(base, `may hold at most ${CUSTOM_LIMITS.schemas} schemas, not ${input.length}`);
  const schemas: CustomSchema[] = [];
  const urns = new Set<string>();
  const taken = { User: reservedNames('User'), Group: reservedNames('Group') };
  input.slice(0, CUSTOM_LIMITS.schemas).forEach((raw, i) => {
    const at = `${base}/${i}`;
    if (!isObject(raw)) return problem(at, 'must be an object with "id" and "attributes"');
    for (const key of Object.keys(raw)) {
      if (!['id', 'name', 'description', 'attributes'].includes(key)) problem(`${at}/${escape(key)}`, 'is not a property of a schema definition (allowed: id, name, description, attributes)');
    }
    const id = typeof raw.id === 'string' ? raw.id : '';
    const m = CUSTOM_URN.exec(id);
    if (!m) {
      problem(`${at}/id`, `must be a URN "urn:ietf:params:scim:schemas:extension:<name>:2.0:User" (or ":Group"), got ${JSON.stringify(raw.id)}`);
      return;
    }
    const resource = m[2] as 'User' | 'Group';
    if (m[1].length > CUSTOM_LIMITS.extensionNameLength) problem(`${at}/id`, `the extension name may be at most ${CUSTOM_LIMITS.extensionNameLength} characters`);
    if (id.toLowerCase() === ENTERPRISE_USER_SCHEMA.toLowerCase() || m[1].toLowerCase() === 'enterprise') {
      problem(`${at}/id`, 'the "enterprise" extension is built in (RFC 7643 §4.3); name yours after your organisation');
    }
    if (urns.has(id.toLowerCase())) problem(`${at}/id`, `${JSON.stringify(id)} is defined twice`);
    urns.add(id.toLowerCase());
    const name = optionalText(raw.name, `${at}/name`, problem) ?? m[1];
    const description = optionalText(raw.description, `${at}/description`, problem) ?? '';
    if (!Array.isArray(raw.attributes)) return problem(`${at}/attributes`, 'must be an array of attribute definitions');
    if (raw.attributes.length === 0) problem(`${at}/attributes`, 'must define at least one attribute');
    if (raw.attributes.length > CUSTOM_LIMITS.attributesPerSchema) problem(`${at}/attributes`, `may hold at most ${CUSTOM_LIMITS.attributesPerSchema} attributes, not ${raw.attributes.length}`);
    const attributes: CustomAttribute[] = [];
    raw.attributes.slice(0, CUSTOM_LIMITS.attributesPerSchema).forEach((a: unknown, j: number) => {
      const checked = checkAttribute(a, `${at}/attributes/${j}`, problem);
      if (!checked) return;
      const lower = checked.name.toLowerCase();
      if (taken[resource].has(lower)) {
        problem(`${at}/attributes/${j}/name`, `"${checked.name}" is already an attribute of ${resource} (core, enterprise or another custom schema); choose another name`);
        return;
      }
      taken[resource].add(lower);
      attributes.push(checked);
    });
    schemas.push({ id, name, description, attributes });
  });
  return { schemas, problems };
}

function optionalText(v: unknown, pointer: string, problem: (p: string, m: string) => void): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') { problem(pointer, 'must be a string'); return undefined; }
  if (v.length > CUSTOM_LIMITS.descriptionLength) { problem(pointer, `may be at most ${CUSTOM_LIMITS.descriptionLength} characters`); return undefined; }
  return v;
}

const ATTRIBUTE_KEYS = ['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'uniqueness', 'referenceTypes'];

function checkAttribute(raw: unknown, at: string, problem: (p: string, m: string) => void): CustomAttribute | undefined {
  if (!isObject(raw)) { problem(at, 'must be an object with "name" and "type"'); return undefined; }
  let found = 0;
  const count = (p: string, m: string) => { found++; problem(p, m); };
  for (const key of Object.keys(raw)) {
    if (!ATTRIBUTE_KEYS.includes(key)) count(`${at}/${escape(key)}`, `is not a property of an attribute definition (allowed: ${ATTRIBUTE_KEYS.join(', ')})`);
  }
  const name = raw.name;
  if (typeof name !== 'string' || !ATTRNAME.test(name) || name.length > CUSTOM_LIMITS.nameLength) {
    count(`${at}/name`, `must be an attribute name of RFC 7643 §2.1 (a letter, then letters, digits, "-" or "_"; at most ${CUSTOM_LIMITS.nameLength} characters), got ${JSON.stringify(name)}`);
  }
  const type = raw.type;
  if (!(CUSTOM_ATTRIBUTE_TYPES as readonly unknown[]).includes(type)) count(`${at}/type`, `must be one of ${CUSTOM_ATTRIBUTE_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  const flag = (key: string): boolean => {
    const v = raw[key];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') { count(`${at}/${key}`, 'must be true or false'); return false; }
    return v;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (!(allowed as readonly unknown[]).includes(v)) { count(`${at}/${key}`, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`); return fallback; }
    return v as T;
  };
  const out: CustomAttribute = {
    name: name as string,
    type: type as CustomAttributeType,
    multiValued: flag('multiValued'),
    description: optionalText(raw.description, `${at}/description`, count) ?? '',
    required: flag('required'),
    caseExact: flag('caseExact'),
    mutability: oneOf('mutability', CUSTOM_MUTABILITIES, 'readWrite'),
    uniqueness: oneOf('uniqueness', CUSTOM_UNIQUENESS, 'none'),
  };
  if (raw.referenceTypes !== undefined) {
    if (type !== 'reference') count(`${at}/referenceTypes`, 'is only for attributes of type "reference"');
    else if (!Array.isArray(raw.referenceTypes) || raw.referenceTypes.length === 0 || !raw.referenceTypes.every((r) => (REFERENCE_TYPES as readonly unknown[]).includes(r))) {
      count(`${at}/referenceTypes`, `must be a non-empty list of ${REFERENCE_TYPES.join(', ')}`);
    } else {
      out.referenceTypes = [...new Set(raw.referenceTypes as string[])];
    }
  } else if (type === 'reference') {
    out.referenceTypes = ['external'];
  }
  if (out.type === 'boolean' && out.uniqueness === 'server') count(`${at}/uniqueness`, 'a boolean cannot be unique: only two resources could ever hold it');
  return found === 0 ? out : undefined;
}

/** The SchemaDef a checked custom schema stands for: what /Schemas publishes and the core obeys. */
export function toSchemaDef(s: CustomSchema): SchemaDef {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: s.attributes.map((a): AttributeDef => attr(a.name, a.type as AttributeType, {
      multiValued: a.multiValued,
      description: a.description,
      required: a.required,
      caseExact: a.caseExact,
      mutability: a.mutability,
      uniqueness: a.uniqueness,
      ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    })),
  };
}
