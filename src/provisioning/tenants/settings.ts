// Tenant settings use cases: read the document, replace it whole with If-Match semantics. The admin
// API (GET/PUT /admin/v1/tenants/{tenant}/settings) and the CLI call these; nothing here knows HTTP.
// A replacement that removes a custom attribute (or a whole custom schema, or changes an attribute's
// type) never deletes stored values silently: it is refused while resources hold values, naming the
// attribute and the count, unless the caller says dropValues, which removes them in the same
// transaction as the new document.
import { extendedResource, type CustomAttribute, type CustomSchema } from '../../scim/schemas/custom-extension.ts';
import { UniquenessViolation, type CustomAttributeKey, type EventActor, type Store, type Tenant } from '../../store/store.ts';
import { LIBRARY_ACTOR } from '../context.ts';
import { roleEvents } from '../policies/roles-and-guards.ts';
import { mappingDeltas } from '../policies/roles.ts';
import { isoNow, systemClock, type Clock } from '../clock.ts';
import { checkSettings, readStoredSettings, type SettingsProblem, type TenantSettings } from './settings-document.ts';
import type { StoreTx } from '../../store/store.ts';
import { keepSecrets, withoutSecrets } from '../policies/approval.ts';

/** The document as read back: write-only secrets (the approval webhook's) left out. */
const readable = (settings: TenantSettings): TenantSettings => ({ ...settings, policies: withoutSecrets(settings.policies) });

export { tenantSettingsJsonSchema, DEFAULT_SETTINGS, type TenantSettings } from './settings-document.ts';

/** An attribute whose values a replacement would remove, and how many resources hold one. */
export interface HeldValues { resourceType: 'User' | 'Group'; schema: string; attribute: string; resources: number }

/** Why a settings operation was refused (the admin API maps each code to its problem type). */
export type SettingsErrorReason =
  | { code: 'unknownTenant' }
  /** The document is not valid: every problem, each at its JSON pointer (an unknown key at its own). */
  | { code: 'invalidSettings'; problems: SettingsProblem[] }
  /** If-Match failed: the settings changed since `expected` was read (HTTP 412). */
  | { code: 'staleVersion'; expected: number; current: number }
  /** Removing or retyping these attributes would delete stored values: repeat with dropValues. */
  | { code: 'valuesHeld'; held: HeldValues[] }
  /** An attribute made unique already has equal values in two resources. */
  | { code: 'notUnique'; resourceType: 'User' | 'Group'; schema: string; attribute: string }
  /** A policy the document turns on does not hold for the data (policies/): `examples` are a few of the offending resources. */
  | { code: 'policyConflict'; pointer: string; examples: { id: string; name: string; groups?: string[]; email?: string; sameEmailAs?: string }[] };

export class SettingsError extends Error {
  constructor(readonly reason: SettingsErrorReason, message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export interface SettingsRead { settings: TenantSettings; version: number }
export interface SettingsReplaced extends SettingsRead {
  /** Values removed because dropValues was given: per attribute, the resources that lost a value. */
  dropped: HeldValues[];
  /** The approval webhook's secret changed (set, rotated or removed): the document read back does not show it. */
  secretChanged?: boolean;
}

export async function readSettings(store: Store, tenant: Pick<Tenant, 'id' | 'slug'>): Promise<SettingsRead> {
  const stored = await store.readTenantSettings(tenant.id);
  if (!stored) throw new SettingsError({ code: 'unknownTenant' }, `No tenant has the slug "${tenant.slug}".`);
  return { settings: readable(readStoredSettings(stored.document).settings), version: stored.version };
}

export interface ReplaceOptions {
  /** If-Match: the version the caller read. Omitted, the replacement applies to whatever is current. */
  expectedVersion?: number;
  /** Remove the stored values of attributes the new document no longer defines (or retypes). */
  dropValues?: boolean;
  clock?: Clock;
  /** Who replaces them and in which request: the role events a new role mapping writes name them (default: the library). */
  actor?: EventActor;
  requestId?: string | null;
}

const describe = (h: HeldValues) => `${h.schema}:${h.attribute} (${h.resources} ${h.resourceType === 'User' ? 'user' : 'group'}${h.resources === 1 ? '' : 's'})`;

export async function replaceSettings(store: Store, tenant: Pick<Tenant, 'id' | 'slug'>, document: unknown, options: ReplaceOptions = {}): Promise<SettingsReplaced> {
  const checked = checkSettings(document);
  if (!checked.settings) {
    throw new SettingsError({ code: 'invalidSettings', problems: checked.problems },
      `The settings are not valid: ${checked.problems.map((p) => `${p.pointer || '(document)'} ${p.message}`).join('; ')}.`);
  }
  let next = checked.settings;
  const at = isoNow(options.clock ?? systemClock);
  const replaced = await store.transaction(async (tx) => {
    const current = await tx.lockTenantSettings(tenant.id);
    if (!current) throw new SettingsError({ code: 'unknownTenant' }, `No tenant has the slug "${tenant.slug}".`);
    if (options.expectedVersion !== undefined && options.expectedVersion !== current.version) {
      throw new SettingsError({ code: 'staleVersion', expected: options.expectedVersion, current: current.version },
        `The settings have changed since version ${options.expectedVersion} was read; they are at version ${current.version}. Read them again and retry.`);
    }
    const before = readStoredSettings(current.document).settings;
    // A secret not sent is kept (it is never read back to be sent again).
    const kept = keepSecrets(next.policies, before.policies);
    if (kept.problem) {
      throw new SettingsError({ code: 'invalidSettings', problems: [kept.problem] }, `The settings are not valid: ${kept.problem.pointer} ${kept.problem.message}.`);
    }
    next = { ...next, policies: kept.policies };
    const { gone, uniqueness } = compare(before.customSchemas, next.customSchemas);
    const held: HeldValues[] = [];
    for (const key of gone) {
      const resources = await tx.countCustomValues(tenant.id, key);
      if (resources > 0) held.push({ resourceType: key.resourceType, schema: key.schema, attribute: key.name, resources });
    }
    if (held.length && !options.dropValues) {
      throw new SettingsError({ code: 'valuesHeld', held },
        `Stored values would be lost: ${held.map(describe).join(', ')} hold values of attributes these settings remove or retype. Remove the values first, or replace the settings with dropValues to delete them.`);
    }
    const dropped: HeldValues[] = [];
    for (const h of held) {
      const resources = await tx.dropCustomValues(tenant.id, { resourceType: h.resourceType, schema: h.schema, name: h.attribute }, at);
      dropped.push({ ...h, resources });
    }
    for (const u of uniqueness) {
      try {
        await tx.setCustomUniqueness(tenant.id, u.key, u.mode);
      } catch (err) {
        if (!(err instanceof UniquenessViolation)) throw err;
        throw new SettingsError({ code: 'notUnique', resourceType: u.key.resourceType, schema: u.key.schema, attribute: u.key.name },
          `${u.key.schema}:${u.key.name} cannot be made unique: two ${u.key.resourceType === 'User' ? 'users' : 'groups'} already hold the same value.`);
      }
    }
    await checkPoliciesHold(tx, tenant.id, before, next);
    // Roles are derived from memberships and the mapping: a new mapping changes users' roles now,
    // and says so with their events, in this transaction (policies/roles.ts mappingDeltas).
    const roleChanges = await mappingDeltas(tx, tenant.id, before.policies.roles, next.policies.roles);
    if (roleChanges.length) await tx.appendEvents(roleEvents(tenant, roleChanges, [next.policies.roles, before.policies.roles], at, options.actor ?? LIBRARY_ACTOR, options.requestId ?? null));
    const version = current.version + 1;
    if (!(await tx.writeTenantSettings(tenant.id, next, version, current.version))) {
      // The row is locked: only a writer outside this store's transactions could get here.
      throw new SettingsError({ code: 'staleVersion', expected: current.version, current: current.version + 1 }, 'The settings changed during the replacement; read them again and retry.');
    }
    const secretChanged = (before.policies.approval?.webhook?.secret ?? null) !== (next.policies.approval?.webhook?.secret ?? null);
    return { settings: readable(next), version, dropped, ...(secretChanged ? { secretChanged } : {}) };
  });
  // The welcome email's consumer sleeps until a tenant first wants it (migration 007), then starts
  // from the head: users provisioned before that get no email. Every event committed so far is
  // numbered first, so the head is where this tenant's users now stand.
  if (next.welcomeEmail.enabled) {
    await store.sequenceEvents({ wait: true });
    await store.startConsumer('email', at);
  }
  return replaced;
}

/**
 * A policy turned on must hold for the data already there, or the replacement is refused (nothing
 * written), naming a few of the resources in the way. Checked only when the policy is turned on (or
 * what it exempts changes): while it is on, every change keeps it (policies/group-rules.ts).
 */
async function checkPoliciesHold(tx: StoreTx, tenantId: string, before: TenantSettings, next: TenantSettings): Promise<void> {
  if (next.policies.attributes.uniqueIdentifier === 'email' && before.policies.attributes.uniqueIdentifier !== 'email') await checkEmailsUnique(tx, tenantId);
  const [was, now] = [before.policies.groups, next.policies.groups];
  // Checked when turned on, and when the group it ignores (the default group) changes.
  if (now.oneGroupPerUser && (!was.oneGroupPerUser || was.defaultGroup?.toLowerCase() !== now.defaultGroup?.toLowerCase())) {
    const shown = 5;
    const users = await tx.usersInSeveralGroups(tenantId, shown + 1, now.defaultGroup);
    if (users.length) {
      const list = users.slice(0, shown).map((u) => `${JSON.stringify(u.userName)} (${u.groups.map((g) => JSON.stringify(g)).join(', ')})`).join(', ');
      throw new SettingsError({ code: 'policyConflict', pointer: '/policies/groups/oneGroupPerUser', examples: users.slice(0, shown).map((u) => ({ id: u.id, name: u.userName, groups: u.groups })) },
        `One group per user cannot be turned on while users are in several groups: ${list}${users.length > shown ? ' and more' : ''}; remove them from all but one group first.`);
    }
  }
}

/**
 * The primary email becomes the unique identifier: two users sharing one would both be "the" user
 * for it (linking, lookups), so it is refused while any do, naming a few (each later holder, with the
 * first). The store groups the emails in SQL (usersSharingPrimaryEmail). Users without an email are
 * let be: the rule asks for one at their next write (docs/policies.md).
 */
async function checkEmailsUnique(tx: StoreTx, tenantId: string): Promise<void> {
  const shown = 5;
  const clashes: { id: string; name: string; email: string; sameEmailAs: string }[] = [];
  for (const { email, users: [first, ...others] } of await tx.usersSharingPrimaryEmail(tenantId, shown)) {
    for (const u of others) if (clashes.length < shown) clashes.push({ id: u.id, name: u.userName, email, sameEmailAs: first.userName });
  }
  if (!clashes.length) return;
  const list = clashes.map((c) => `${JSON.stringify(c.email)} (${JSON.stringify(c.sameEmailAs)} and ${JSON.stringify(c.name)})`).join(', ');
  throw new SettingsError({ code: 'policyConflict', pointer: '/policies/attributes/uniqueIdentifier', examples: clashes },
    `The primary email cannot become the unique identifier while users share one: ${list}; give each user an email of its own first.`);
}

type UniqueMode = 'none' | 'exact' | 'folded';
const uniqueMode = (a: CustomAttribute): UniqueMode => a.uniqueness !== 'server' ? 'none'
  : a.caseExact || (a.type !== 'string' && a.type !== 'reference') ? 'exact' : 'folded';

/**
 * What a replacement does to stored values: attributes that disappear or change what their values
 * mean (type, multiValued) lose them; attributes whose uniqueness mode changes need their keys redone.
 * Schema URNs and attribute names compare case-insensitively (RFC 7643 §2.1).
 */
function compare(before: CustomSchema[], after: CustomSchema[]): { gone: CustomAttributeKey[]; uniqueness: { key: CustomAttributeKey; mode: UniqueMode }[] } {
  const index = (list: CustomSchema[]) => new Map(list.flatMap((s) => s.attributes.map((a) => [`${s.id}:${a.name}`.toLowerCase(), { s, a }] as const)));
  const next = index(after);
  const gone: CustomAttributeKey[] = [];
  const uniqueness: { key: CustomAttributeKey; mode: UniqueMode }[] = [];
  for (const [k, { s, a }] of index(before)) {
    const key: CustomAttributeKey = { resourceType: extendedResource(s.id)!, schema: s.id, name: a.name };
    const n = next.get(k);
    // Renamed in case only, or a schema URN re-cased: the stored keys are the old spelling, so treat as gone.
    if (!n || n.s.id !== s.id || n.a.name !== a.name || n.a.type !== a.type || n.a.multiValued !== a.multiValued) { gone.push(key); continue; }
    if (uniqueMode(n.a) !== uniqueMode(a)) uniqueness.push({ key, mode: uniqueMode(n.a) });
  }
  // A new attribute has no values yet: nothing to do for it.
  return { gone, uniqueness };
}
