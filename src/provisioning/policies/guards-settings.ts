// Settings "policies.guards" (issue 11 item 3): groups the identity provider must keep (at least one
// member; never deleted or renamed by it), and the on-call team rule (the only member of a group
// cannot be deprovisioned). The last-active-admin guard is switched on per role (policies.roles).
import { checkGroupRef, groupRefJsonSchema, type GroupRef } from './group-ref.ts';

export interface GuardsSettings {
  /** Groups that keep at least one member and that the IdP may not delete or rename. */
  requiredGroups: GroupRef[];
  /** Refuse to deactivate or delete a user who is the only member of some group (the on-call team rule). */
  protectOnlyMembers: boolean;
}

export const GUARDS_LIMITS = { requiredGroups: 100 } as const;

export const DEFAULT_GUARDS: Readonly<GuardsSettings> = Object.freeze({
  requiredGroups: Object.freeze([]) as unknown as GroupRef[],
  protectOnlyMembers: false,
});

export const guardsJsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Refusals that keep the app usable: required groups, and the only member of a group.',
  properties: {
    requiredGroups: { type: 'array', maxItems: GUARDS_LIMITS.requiredGroups, default: [], items: groupRefJsonSchema, description: 'Groups that keep at least one member and that the identity provider may not delete or rename' },
    protectOnlyMembers: { type: 'boolean', default: false, description: 'Refuse to deactivate or delete a user who is the only member of a group' },
  },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkGuards(input: unknown, at: string, problem: (pointer: string, message: string) => void): GuardsSettings {
  const out: GuardsSettings = { requiredGroups: [], protectOnlyMembers: false };
  if (input === undefined) return out;
  if (!isObject(input)) { problem(at, 'must be an object such as {"requiredGroups": [{"displayName": "Administrators"}], "protectOnlyMembers": true}'); return out; }
  for (const k of Object.keys(input)) if (k !== 'requiredGroups' && k !== 'protectOnlyMembers') problem(`${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, 'is not a setting (allowed here: requiredGroups, protectOnlyMembers)');
  if (input.protectOnlyMembers !== undefined) {
    if (typeof input.protectOnlyMembers !== 'boolean') problem(`${at}/protectOnlyMembers`, 'must be true or false');
    else out.protectOnlyMembers = input.protectOnlyMembers;
  }
  const groups = input.requiredGroups;
  if (groups !== undefined) {
    if (!Array.isArray(groups)) problem(`${at}/requiredGroups`, 'must be an array');
    else if (groups.length > GUARDS_LIMITS.requiredGroups) problem(`${at}/requiredGroups`, `has more than ${GUARDS_LIMITS.requiredGroups} entries`);
    else groups.forEach((g, i) => { const ref = checkGroupRef(g, `${at}/requiredGroups/${i}`, problem); if (ref) out.requiredGroups.push(ref); });
  }
  return out;
}
