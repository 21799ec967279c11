// A resource type together with the schemas that describe it (RFC 7643 §6), and the one place
// that turns an attribute name (optionally URN-qualified) into its definition.
import { commonAttributes, groupSchema, GROUP_SCHEMA, userSchema, USER_SCHEMA } from './core.ts';
import { enterpriseUserSchema } from './enterprise-user.ts';
import { findAttribute, type AttributeDef, type ResourceTypeDef, type SchemaDef } from './types.ts';

export interface ResourceSchema {
  type: ResourceTypeDef;
  core: SchemaDef;
  extensions: SchemaDef[];
}

export interface ResolvedAttribute {
  /** The schema URN the attribute belongs to. */
  schema: string;
  /** True when the attribute lives in an extension (stored under its URN key). */
  extension: boolean;
  def: AttributeDef;
}

/**
 * The User and Group resource types with the built-in schemas plus `extra` extensions (a tenant's
 * custom schemas). An array extends Users only (kept for the unit tests that pass one).
 */
export function resourceSchemas(extra: SchemaDef[] | { User?: SchemaDef[]; Group?: SchemaDef[] } = {}): { User: ResourceSchema; Group: ResourceSchema } {
  const more = Array.isArray(extra) ? { User: extra } : extra;
  const userExtensions = [enterpriseUserSchema, ...(more.User ?? [])];
  const groupExtensions = more.Group ?? [];
  return {
    User: {
      type: {
        id: 'User',
        name: 'User',
        endpoint: '/Users',
        description: 'User Account',
        schema: USER_SCHEMA,
        schemaExtensions: userExtensions.map((s) => ({ schema: s.id, required: false })),
      },
      core: userSchema,
      extensions: userExtensions,
    },
    Group: {
      type: {
        id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Group', schema: GROUP_SCHEMA,
        schemaExtensions: groupExtensions.map((s) => ({ schema: s.id, required: false })),
      },
      core: groupSchema,
      extensions: groupExtensions,
    },
  };
}

/** Finds a known schema URN case-insensitively (RFC 7643 §2.1 allows any case in URNs). */
export function findSchema(rs: ResourceSchema, urn: string): SchemaDef | undefined {
  const lower = urn.toLowerCase();
  if (rs.core.id.toLowerCase() === lower) return rs.core;
  return rs.extensions.find((s) => s.id.toLowerCase() === lower);
}

/**
 * Resolves a top-level attribute name. With a URN, only that schema is searched. Without one the
 * core schema and the common attributes are searched first (RFC 7644 §3.10); an extension
 * attribute whose bare name is unambiguous is accepted too, because real clients send them so.
 */
export function resolveAttribute(rs: ResourceSchema, name: string, urn?: string): ResolvedAttribute | undefined {
  if (urn !== undefined) {
    const schema = findSchema(rs, urn);
    if (!schema) return undefined;
    const ext = schema !== rs.core;
    const def = findAttribute(schema.attributes, name) ?? (ext ? undefined : findAttribute(commonAttributes, name));
    return def ? { schema: schema.id, extension: ext, def } : undefined;
  }
  const common = findAttribute(commonAttributes, name);
  if (common) return { schema: rs.core.id, extension: false, def: common };
  const core = findAttribute(rs.core.attributes, name);
  if (core) return { schema: rs.core.id, extension: false, def: core };
  const matches = rs.extensions.flatMap((s) => {
    const def = findAttribute(s.attributes, name);
    return def ? [{ schema: s.id, extension: true, def }] : [];
  });
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * Splits "urn:…:User:manager.value" into its URN, attribute and sub-attribute. A name without a
 * known URN prefix is returned whole. The URN is recognised against the resource's schemas, so a
 * URN containing dots ("…:2.0:User") is never mistaken for a sub-attribute separator.
 */
export function splitUrn(rs: ResourceSchema, text: string): { urn?: string; rest: string } {
  const lower = text.toLowerCase();
  for (const schema of [rs.core, ...rs.extensions]) {
    const id = schema.id.toLowerCase();
    if (lower.startsWith(id + ':')) return { urn: schema.id, rest: text.slice(id.length + 1) };
    if (lower === id) return { urn: schema.id, rest: '' };
  }
  return { rest: text };
}
