// The user policies as the write path applies them (provisioning/mutate.ts), to the IdP's writes
// only (the SCIM use cases, and the vendor's code calling them): account linking on create and on
// the first write to a local user, the unique identifier, the attribute rules, and what active=false
// does. Each runs inside the write's transaction, before anything is written, so a refusal leaves
// nothing behind. With every policy at its default none of them reads the database.
import { invalidValue, ScimError, uniqueness } from '../../scim/errors.ts';
import type { StoredResource } from '../../scim/render.ts';
import type { AttrDoc } from '../../scim/resource.ts';
import type { Origin, StoreTx, UserRecord } from '../../store/store.ts';
import type { ScimContext } from '../context.ts';
import { applyAttributeRules } from './attribute-rules.ts';
import { identifierName, identifierOf, usersWithIdentifier } from './identifier.ts';
import type { DeprovisioningMode } from './user-policies.ts';

const quoted = (v: unknown) => JSON.stringify(String(v));

/**
 * Before the IdP creates a user: the local user it takes over (account linking, locked by the
 * caller), or undefined to create one. Refuses when several local users match, when the match is
 * already IdP-managed, and (identifier "email") when the new user has no email or a taken one.
 */
export async function linkTargetFor(ctx: ScimContext, tx: StoreTx, doc: AttrDoc): Promise<UserRecord | undefined> {
  const { linking, attributes } = ctx.settings.policies;
  const kind = attributes.uniqueIdentifier;
  if (!linking.enabled && kind === 'userName') return undefined; // the userName index refuses duplicates itself
  const value = identifierOf(kind, doc);
  if (value === undefined) { if (kind === 'email') throw missingEmail(doc); return undefined; }
  if (kind === 'email') await serialiseEmails(ctx, tx);
  const holders = await usersWithIdentifier(tx, ctx, kind, value);
  if (!holders.length) return undefined;
  const name = identifierName(kind);
  const linked = holders.find((u) => (u.origin ?? 'scim') !== 'local');
  const attribute = kind === 'email' ? 'emails' : 'userName';
  if (!linking.enabled) {
    throw uniqueness(`The user ${quoted(holders[0].doc.userName)} already has the ${name} ${quoted(value)}, which identifies users in this app, so ${quoted(doc.userName)} cannot be created; give only one user this ${name}, or ask the app's admin to turn on account linking.`,
      { code: 'uniqueness', resourceType: 'User', attribute });
  }
  if (linked) {
    throw uniqueness(`The user ${quoted(linked.doc.userName)} already has the ${name} ${quoted(value)} and is linked to another identity-provider user, so ${quoted(doc.userName)} cannot be linked to it; give only one user this ${name} in the identity provider, then retry.`,
      { code: 'alreadyLinked', resourceType: 'User', attribute });
  }
  if (holders.length > 1) {
    throw uniqueness(`${holders.length} users of this app have the ${name} ${quoted(value)}, so ${quoted(doc.userName)} cannot be linked to one of them; keep that ${name} on one user only in the app, then retry.`,
      { code: 'linkAmbiguous', resourceType: 'User', attribute });
  }
  return holders[0];
}

/** What the policies make of the IdP's change to an existing user. */
export interface UserWrite {
  /** The document to write (the attribute rules may have put ignored changes back). */
  doc: AttrDoc;
  /** A local user the IdP writes to with linking on: it becomes IdP-managed. */
  link: boolean;
  /** active=false on an IdP-managed user, under a mode that does more than deactivate. */
  deprovision?: Exclude<DeprovisioningMode, 'deactivate'>;
}

/**
 * Before the IdP's PUT or PATCH of a user is written. A local user that Okta or Entra found by its
 * own lookup (GET /Users?filter=userName eq …) and now writes to is linked when linking is on; the
 * IdP's document then becomes the user's whole, so the attribute rules (which govern later changes)
 * do not apply to that write.
 */
export async function userWrite(ctx: ScimContext, tx: StoreTx, current: StoredResource & { origin?: Origin }, next: AttrDoc): Promise<UserWrite> {
  const { linking, attributes, deprovisioning } = ctx.settings.policies;
  const origin = current.origin ?? 'scim';
  if (origin === 'local' && !linking.enabled) throw localUserRefused(current.doc);
  const link = origin === 'local' && linking.enabled;
  const doc = link ? next : applyAttributeRules(ctx, current.doc, next);
  if (attributes.uniqueIdentifier === 'email') await checkEmailIdentifier(ctx, tx, current, doc);
  const mode = deprovisioning.mode;
  if (mode === 'deactivate' || (origin !== 'scim' && !link)) return { doc, link };
  const deactivating = current.doc.active !== false && doc.active === false;
  return deactivating ? { doc, link, deprovision: mode } : { doc, link };
}

/** Identifier "email": a user keeps a primary email, and no other user has it (`current`: the user as it was; on a create, its id and an empty document). */
export async function checkEmailIdentifier(ctx: ScimContext, tx: StoreTx, current: StoredResource, doc: AttrDoc): Promise<void> {
  const value = identifierOf('email', doc);
  if (value === undefined) throw missingEmail(doc);
  if (identifierOf('email', current.doc) === value) return;
  await serialiseEmails(ctx, tx);
  const other = (await usersWithIdentifier(tx, ctx, 'email', value)).find((u) => u.id !== current.id);
  if (other) {
    throw uniqueness(`The user ${quoted(other.doc.userName)} already has the primary email ${quoted(value)}, which identifies users in this app, so ${quoted(doc.userName)} cannot have it too; give one of them another email in the identity provider.`,
      { code: 'uniqueness', resourceType: 'User', attribute: 'emails' });
  }
}

/**
 * No index makes primary emails unique (they are rows of user_values, any of which may be primary),
 * so two writers giving two users one email are made to queue: each holds the tenant's settings row
 * while it looks and writes. On SQLite writers queue anyway (BEGIN IMMEDIATE); on PostgreSQL the
 * second one's look then sees the first one's committed user. Only writes that set a new email under
 * the "email" identifier take it.
 */
async function serialiseEmails(ctx: ScimContext, tx: StoreTx): Promise<void> {
  await tx.lockTenantSettings(ctx.tenant.id);
}

/**
 * The IdP's write to a local user while account linking is off: refused, whatever the write. A
 * local user is the app's (created through the admin API, or made local when SCIM was disabled);
 * applied without a link, the IdP's changes would land on an account none of its policies govern
 * (a deactivation in the IdP would leave the user's status active in the app, no deprovisioning
 * mode would apply). Linking is how the IdP takes a local user over (docs/policies.md).
 */
export function localUserRefused(doc: AttrDoc): ScimError {
  return new ScimError(409, `The user ${quoted(doc.userName)} is a local user of this app (created in the app, or made local when SCIM was disabled) and account linking is off, so the identity provider cannot change or delete it; ask the app's admin to turn on account linking, then retry, and the identity provider takes the user over.`,
    undefined, {}, { code: 'localUser', resourceType: 'User' });
}

const missingEmail = (doc: AttrDoc): ScimError =>
  invalidValue(`User ${quoted(doc.userName)} has no email, and this app identifies users by their primary email; map the user's email to "emails" in the identity provider's attribute mappings.`,
    { code: 'missingIdentifier', resourceType: 'User', attribute: 'emails' });
