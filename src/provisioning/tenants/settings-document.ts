// The tenant settings document: its shape (as a JSON Schema the admin API publishes in its OpenAPI
// document), its defaults, and the check every replacement passes. One document per tenant, not a
// row per setting: it is read whole on a settings-version change and replaced whole (If-Match).
// Later issues add their sections (policies, webhooks, SAML) here, each refusing unknown keys.
import {
  checkCustomSchemas, CUSTOM_ATTRIBUTE_TYPES, CUSTOM_LIMITS, CUSTOM_MUTABILITIES, CUSTOM_UNIQUENESS, REFERENCE_TYPES,
  type CustomSchema, type DefinitionProblem,
} from '../../scim/schemas/custom-extension.ts';

export type PatchResponse = 200 | 204;

export interface TenantSettings {
  scim: {
    /**
     * How a PATCH without attributes/excludedAttributes is answered, per resource type: 200 with the
     * resource, or 204 with only the ETag (RFC 7644 §3.5.2 allows both). Groups default to 204: a
     * big group's body is every member, and Okta and Entra never read it.
     */
    patchResponse: { users: PatchResponse; groups: PatchResponse };
  };
  /** The tenant's own extension schemas (scim/schemas/custom-extension.ts). */
  customSchemas: CustomSchema[];
}

/** What a tenant that never set anything has: today's behaviour. */
export const DEFAULT_SETTINGS: Readonly<TenantSettings> = Object.freeze({
  scim: Object.freeze({ patchResponse: Object.freeze({ users: 200 as const, groups: 204 as const }) }),
  customSchemas: Object.freeze([]) as unknown as CustomSchema[],
});

/** The settings document as JSON Schema (2020-12), for the admin API's OpenAPI document. */
export const tenantSettingsJsonSchema = {
  $id: 'https://rollcall.dev/schemas/tenant-settings.json',
  title: 'TenantSettings',
  description: 'A tenant\'s settings, replaced whole. Omitted sections take their defaults; unknown keys are refused.',
  type: 'object',
  additionalProperties: false,
  properties: {
    scim: {
      type: 'object',
      additionalProperties: false,
      properties: {
        patchResponse: {
          type: 'object',
          additionalProperties: false,
          description: 'Status of a PATCH answered without attributes/excludedAttributes: 200 with the resource, or 204 without a body.',
          properties: {
            users: { enum: [200, 204], default: 200 },
            groups: { enum: [200, 204], default: 204 },
          },
        },
      },
    },
    customSchemas: {
      type: 'array',
      maxItems: CUSTOM_LIMITS.schemas,
      description: 'Custom SCIM extension schemas, advertised in this tenant\'s /Schemas and /ResourceTypes.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'attributes'],
        properties: {
          id: { type: 'string', pattern: '^urn:ietf:params:scim:schemas:extension:[A-Za-z0-9][A-Za-z0-9_.-]*:2\\.0:(User|Group)$' },
          name: { type: 'string', maxLength: CUSTOM_LIMITS.descriptionLength },
          description: { type: 'string', maxLength: CUSTOM_LIMITS.descriptionLength },
          attributes: {
            type: 'array',
            minItems: 1,
            maxItems: CUSTOM_LIMITS.attributesPerSchema,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'type'],
              properties: {
                name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]*$', maxLength: CUSTOM_LIMITS.nameLength },
                type: { enum: [...CUSTOM_ATTRIBUTE_TYPES] },
                multiValued: { type: 'boolean', default: false },
                description: { type: 'string', maxLength: CUSTOM_LIMITS.descriptionLength },
                required: { type: 'boolean', default: false },
                caseExact: { type: 'boolean', default: false },
                mutability: { enum: [...CUSTOM_MUTABILITIES], default: 'readWrite' },
                uniqueness: { enum: [...CUSTOM_UNIQUENESS], default: 'none' },
                referenceTypes: { type: 'array', minItems: 1, items: { enum: [...REFERENCE_TYPES] } },
              },
            },
          },
        },
      },
    },
  },
} as const;

export type SettingsProblem = DefinitionProblem;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Checks a settings document and returns it complete (defaults filled in), or every problem found,
 * each named by its JSON pointer: an unknown key is refused at its own pointer ("/scim/patchRespons").
 */
export function checkSettings(input: unknown): { settings: TenantSettings; problems: [] } | { settings?: undefined; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const problem = (pointer: string, message: string) => { problems.push({ pointer, message }); };
  if (!isObject(input)) return { problems: [{ pointer: '', message: 'the settings must be a JSON object' }] };
  const known = (obj: Record<string, unknown>, at: string, keys: string[]) => {
    for (const k of Object.keys(obj)) if (!keys.includes(k)) problem(`${at}/${escape(k)}`, `is not a setting (allowed here: ${keys.join(', ')})`);
  };
  known(input, '', ['scim', 'customSchemas']);
  const patchResponse = { ...DEFAULT_SETTINGS.scim.patchResponse };
  if (input.scim !== undefined) {
    if (!isObject(input.scim)) problem('/scim', 'must be an object');
    else {
      known(input.scim, '/scim', ['patchResponse']);
      const pr = input.scim.patchResponse;
      if (pr !== undefined) {
        if (!isObject(pr)) problem('/scim/patchResponse', 'must be an object such as {"users": 200, "groups": 204}');
        else {
          known(pr, '/scim/patchResponse', ['users', 'groups']);
          for (const key of ['users', 'groups'] as const) {
            const v = pr[key];
            if (v === undefined) continue;
            if (v !== 200 && v !== 204) problem(`/scim/patchResponse/${key}`, `must be 200 (answer with the resource) or 204 (no body), got ${JSON.stringify(v)}`);
            else patchResponse[key] = v;
          }
        }
      }
    }
  }
  const custom = input.customSchemas === undefined ? { schemas: [], problems: [] } : checkCustomSchemas(input.customSchemas, '/customSchemas');
  problems.push(...custom.problems);
  if (problems.length) return { problems };
  return { settings: { scim: { patchResponse }, customSchemas: custom.schemas }, problems: [] };
}

/**
 * A stored document read back. It was checked when written; a document this version cannot read
 * (written by a newer Rollcall, or edited by hand) falls back to the defaults rather than failing
 * every request of the tenant, and `problems` says why.
 */
export function readStoredSettings(stored: unknown): { settings: TenantSettings; problems: SettingsProblem[] } {
  if (stored === null || stored === undefined) return { settings: DEFAULT_SETTINGS, problems: [] };
  const r = checkSettings(stored);
  return r.settings ? { settings: r.settings, problems: [] } : { settings: DEFAULT_SETTINGS, problems: r.problems };
}
