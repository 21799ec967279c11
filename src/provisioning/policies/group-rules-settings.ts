// The group rules' settings (tenant settings document, policies.groups): their shape, defaults, the
// JSON Schema fragment the admin API publishes, and the check every replacement passes. The rules
// themselves are enforced by group-rules.ts. Drawn from the seed articles: Split reserves the group
// name "Administrators" and wants group names of fewer than 25 characters; on a Splashtop team a
// user is in one group at most (docs/policies.md).

export interface GroupRulesSettings {
  /** Display names the identity provider may not create a group under or rename one into (compared case-insensitively). */
  reservedNames: string[];
  /** The longest display name (in characters) the identity provider may give a group; null: no limit beyond the server's. */
  maxNameLength: number | null;
  /** A user may be a member of one group at most (the default group does not count). */
  oneGroupPerUser: boolean;
  /**
   * The displayName of the group every user in no other group is a member of (default-group.ts);
   * created as a local group when first needed. null: none.
   */
  defaultGroup: string | null;
}

/** Bounds on the settings themselves. */
export const GROUP_RULES_LIMITS = { reservedNames: 100, nameLength: 256 } as const;

/** Off: today's behaviour. */
export const DEFAULT_GROUP_RULES: Readonly<GroupRulesSettings> = Object.freeze({
  reservedNames: Object.freeze([]) as unknown as string[],
  maxNameLength: null,
  oneGroupPerUser: false,
  defaultGroup: null,
});

/** The JSON Schema (2020-12) of policies.groups, for the settings document's schema. */
export const groupRulesJsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Group rules applied to the groups the identity provider pushes (docs/policies.md). Omitted keys take their defaults (all off).',
  properties: {
    reservedNames: {
      type: 'array', maxItems: GROUP_RULES_LIMITS.reservedNames, default: [],
      description: 'Display names the identity provider may not create a group under or rename one into, compared case-insensitively (e.g. ["Administrators"]).',
      items: { type: 'string', minLength: 1, maxLength: GROUP_RULES_LIMITS.nameLength },
    },
    maxNameLength: {
      type: ['integer', 'null'], minimum: 1, maximum: GROUP_RULES_LIMITS.nameLength, default: null,
      description: 'The longest display name, in characters, the identity provider may give a group (Split: 24, "fewer than 25"); null for no limit.',
    },
    oneGroupPerUser: {
      type: 'boolean', default: false,
      description: 'A user may be a member of one group at most: a write that would put a user into a second group is refused. Enabling it is refused while users are in several groups. The default group does not count.',
    },
    defaultGroup: {
      type: ['string', 'null'], minLength: 1, maxLength: GROUP_RULES_LIMITS.nameLength, default: null,
      description: 'The displayName of the group users in no other group belong to (Splashtop\'s default group): a new user joins it, a user added to another group leaves it, a user who leaves their last group rejoins it. Created as a local group when first needed. null: none.',
    },
  },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a group name is the default group's (displayName is unique case-insensitively, RFC 7643 §4.2 leaves it to us). */
export const isDefaultGroupName = (rules: GroupRulesSettings, name: unknown): boolean =>
  rules.defaultGroup !== null && typeof name === 'string' && name.toLowerCase() === rules.defaultGroup.toLowerCase();

/** Characters as people count them (code points), not UTF-16 units. */
export const nameLength = (name: string): number => [...name].length;

/** Checks policies.groups (at `at`, a JSON pointer) and returns it complete, reporting each problem at its pointer. */
export function checkGroupRules(input: unknown, at: string, problem: (pointer: string, message: string) => void): GroupRulesSettings {
  const out: GroupRulesSettings = { reservedNames: [], maxNameLength: null, oneGroupPerUser: false, defaultGroup: null };
  if (input === undefined) return out;
  if (!isObject(input)) { problem(at, 'must be an object such as {"reservedNames": ["Administrators"], "maxNameLength": 24, "oneGroupPerUser": true}'); return out; }
  const keys = ['reservedNames', 'maxNameLength', 'oneGroupPerUser', 'defaultGroup'];
  for (const k of Object.keys(input)) if (!keys.includes(k)) problem(`${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, `is not a setting (allowed here: ${keys.join(', ')})`);

  const reserved = input.reservedNames;
  if (reserved !== undefined) {
    if (!Array.isArray(reserved)) problem(`${at}/reservedNames`, 'must be an array of group names such as ["Administrators"]');
    else if (reserved.length > GROUP_RULES_LIMITS.reservedNames) problem(`${at}/reservedNames`, `has more than ${GROUP_RULES_LIMITS.reservedNames} names`);
    else {
      const seen = new Set<string>();
      reserved.forEach((name, i) => {
        if (typeof name !== 'string' || name.trim() === '') { problem(`${at}/reservedNames/${i}`, 'must be a non-empty string'); return; }
        if (nameLength(name) > GROUP_RULES_LIMITS.nameLength) { problem(`${at}/reservedNames/${i}`, `is longer than ${GROUP_RULES_LIMITS.nameLength} characters`); return; }
        const folded = name.toLowerCase();
        if (seen.has(folded)) { problem(`${at}/reservedNames/${i}`, `repeats ${JSON.stringify(name)} (names compare case-insensitively)`); return; }
        seen.add(folded);
        out.reservedNames.push(name);
      });
    }
  }
  const max = input.maxNameLength;
  if (max !== undefined && max !== null) {
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > GROUP_RULES_LIMITS.nameLength) {
      problem(`${at}/maxNameLength`, `must be a whole number from 1 to ${GROUP_RULES_LIMITS.nameLength} (Split: 24), or null for no limit`);
    } else out.maxNameLength = max;
  }
  const one = input.oneGroupPerUser;
  if (one !== undefined) {
    if (typeof one !== 'boolean') problem(`${at}/oneGroupPerUser`, 'must be true or false');
    else out.oneGroupPerUser = one;
  }
  const dg = input.defaultGroup;
  if (dg !== undefined && dg !== null) {
    if (typeof dg !== 'string' || dg.trim() === '') problem(`${at}/defaultGroup`, 'must be a group name such as "Everyone", or null for none');
    else if (nameLength(dg) > GROUP_RULES_LIMITS.nameLength) problem(`${at}/defaultGroup`, `is longer than ${GROUP_RULES_LIMITS.nameLength} characters`);
    else out.defaultGroup = dg;
  }
  return out;
}
