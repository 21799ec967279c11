// The user policies of a tenant's settings document (docs/policies.md): account linking, what
// active=false does, and the attribute rules. Their shape, defaults, JSON Schema fragment and check
// live here; settings-document.ts only places them under "policies". Every default is today's
// behaviour, so a tenant that sets nothing pays nothing but a few property reads per write.

/** Account linking on POST /Users (the Splunk On-Call article). */
export interface LinkingPolicy {
  /** Off by default: linking hands an existing account (its id, memberships, app data) to the IdP. */
  enabled: boolean;
}

export const DEPROVISIONING_MODES = ['deactivate', 'remove-memberships', 'delete'] as const;
export type DeprovisioningMode = (typeof DEPROVISIONING_MODES)[number];

/** What the IdP's active=false does to an IdP-managed user (PATCH or PUT). */
export interface DeprovisioningPolicy { mode: DeprovisioningMode }

export const UNIQUE_IDENTIFIERS = ['userName', 'email'] as const;
export type UniqueIdentifier = (typeof UNIQUE_IDENTIFIERS)[number];

export const OTHER_CHANGES = ['refuse', 'ignore'] as const;

/** Attribute rules (the Split and Splashtop articles). */
export interface AttributePolicy {
  /** What identifies a user: userName (always unique), or the primary email (then unique and required too). */
  uniqueIdentifier: UniqueIdentifier;
  /** Refuse a change of userName once the user exists (case-only changes pass). */
  userNameImmutable: boolean;
  /**
   * The attributes the IdP may change after creation (paths as events name them: "name",
   * "name.givenName", "displayName", an extension URN or "<URN>:<attribute>"); null: all of them.
   * `active` is always accepted (deprovisioning governs it).
   */
  changeable: string[] | null;
  /** A change to an attribute not in `changeable`: refused (400 mutability) or ignored (dropped, logged). */
  otherChanges: (typeof OTHER_CHANGES)[number];
}

export interface UserPolicies {
  linking: LinkingPolicy;
  deprovisioning: DeprovisioningPolicy;
  attributes: AttributePolicy;
}

export const USER_POLICY_KEYS = ['linking', 'deprovisioning', 'attributes'] as const;

/** Most attribute paths one allow-list may name, and the longest path. */
export const CHANGEABLE_LIMITS = { paths: 100, pathLength: 300 } as const;

export const DEFAULT_USER_POLICIES: Readonly<UserPolicies> = Object.freeze({
  linking: Object.freeze({ enabled: false }),
  deprovisioning: Object.freeze({ mode: 'deactivate' as const }),
  attributes: Object.freeze({ uniqueIdentifier: 'userName' as const, userNameImmutable: false, changeable: null, otherChanges: 'refuse' as const }),
});

/** The properties of "policies" this file owns, as JSON Schema (2020-12) for the OpenAPI document. */
export const userPoliciesJsonSchema = {
  linking: {
    type: 'object',
    additionalProperties: false,
    description: 'Account linking on POST /Users: an IdP user whose unique identifier (policies.attributes.uniqueIdentifier) matches exactly one local user takes over that user (same id, memberships kept) instead of creating a second one. Off by default.',
    properties: { enabled: { type: 'boolean', default: false } },
  },
  deprovisioning: {
    type: 'object',
    additionalProperties: false,
    description: 'What active=false from the IdP does to an IdP-managed user: deactivate (keep everything), remove-memberships (deactivate and leave every group), or delete (as DELETE).',
    properties: { mode: { enum: [...DEPROVISIONING_MODES], default: 'deactivate' } },
  },
  attributes: {
    type: 'object',
    additionalProperties: false,
    description: 'Attribute rules for IdP writes to users.',
    properties: {
      uniqueIdentifier: { enum: [...UNIQUE_IDENTIFIERS], default: 'userName', description: 'What linking matches on; "email" also makes the primary email required and unique.' },
      userNameImmutable: { type: 'boolean', default: false, description: 'Refuse a change of userName after creation (400 mutability).' },
      changeable: {
        type: ['array', 'null'], default: null, maxItems: CHANGEABLE_LIMITS.paths,
        items: { type: 'string', minLength: 1, maxLength: CHANGEABLE_LIMITS.pathLength },
        description: 'Attributes the IdP may change after creation, e.g. ["name", "displayName"]; null for all. active is always accepted.',
      },
      otherChanges: { enum: [...OTHER_CHANGES], default: 'refuse', description: 'A change to any other attribute: refuse (400 mutability naming it) or ignore (dropped, logged).' },
    },
  },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
type Problem = (pointer: string, message: string) => void;
type Known = (obj: Record<string, unknown>, at: string, keys: string[]) => void;

/** Reads this file's keys of a "policies" object (unknown keys are the caller's to refuse). */
export function checkUserPolicies(policies: Record<string, unknown>, problem: Problem, known: Known): UserPolicies {
  const section = (key: (typeof USER_POLICY_KEYS)[number], keys: string[]): Record<string, unknown> | undefined => {
    const v = policies[key];
    if (v === undefined) return undefined;
    if (!isObject(v)) { problem(`/policies/${key}`, 'must be an object'); return undefined; }
    known(v, `/policies/${key}`, keys);
    return v;
  };
  const oneOf = <T extends string>(v: unknown, at: string, allowed: readonly T[], fallback: T): T => {
    if (v === undefined) return fallback;
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    problem(at, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`);
    return fallback;
  };
  const bool = (v: unknown, at: string, fallback: boolean): boolean => {
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    problem(at, 'must be true or false');
    return fallback;
  };

  const d = DEFAULT_USER_POLICIES;
  const l = section('linking', ['enabled']);
  const dp = section('deprovisioning', ['mode']);
  const a = section('attributes', ['uniqueIdentifier', 'userNameImmutable', 'changeable', 'otherChanges']);
  return {
    linking: { enabled: bool(l?.enabled, '/policies/linking/enabled', d.linking.enabled) },
    deprovisioning: { mode: oneOf(dp?.mode, '/policies/deprovisioning/mode', DEPROVISIONING_MODES, d.deprovisioning.mode) },
    attributes: {
      uniqueIdentifier: oneOf(a?.uniqueIdentifier, '/policies/attributes/uniqueIdentifier', UNIQUE_IDENTIFIERS, d.attributes.uniqueIdentifier),
      userNameImmutable: bool(a?.userNameImmutable, '/policies/attributes/userNameImmutable', d.attributes.userNameImmutable),
      changeable: checkChangeable(a?.changeable, problem),
      otherChanges: oneOf(a?.otherChanges, '/policies/attributes/otherChanges', OTHER_CHANGES, d.attributes.otherChanges),
    },
  };
}

function checkChangeable(v: unknown, problem: Problem): string[] | null {
  const at = '/policies/attributes/changeable';
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) { problem(at, 'must be a list of attribute paths such as ["name", "displayName"], or null for all'); return null; }
  if (v.length > CHANGEABLE_LIMITS.paths) problem(at, `names at most ${CHANGEABLE_LIMITS.paths} attributes`);
  const out: string[] = [];
  v.forEach((p, i) => {
    if (typeof p !== 'string' || p.trim() === '' || p.length > CHANGEABLE_LIMITS.pathLength || /[\s"[\]]/.test(p)) {
      problem(`${at}/${i}`, `must be an attribute path such as "name.givenName" or "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department" (no spaces, quotes or filters), got ${JSON.stringify(p)}`);
    } else {
      out.push(p);
    }
  });
  return out;
}
