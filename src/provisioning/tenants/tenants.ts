// Tenants: one per customer organisation, named by a slug that becomes part of its SCIM URL.
import { randomUUID } from 'node:crypto';
import { UniquenessViolation, type Store, type Tenant } from '../../store/store.ts';
import { LIBRARY_ADMIN_ACTOR, type Actor } from '../admin/audit.ts';
import { isoNow, systemClock, type Clock } from '../clock.ts';
import { actionRecord, tenantData } from './tenant-records.ts';
import { PresetError, presetSettings } from '../policies/presets.ts';
import type { TenantSettings } from './settings-document.ts';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A tenant, token or key operation the caller asked for cannot be done; the message says why. The
 * status says what kind of refusal it is (400 bad input, 404 no such thing, 409 not in this state),
 * for the admin API; the CLI prints the message.
 */
export class TenantError extends Error {
  /** `field`: the input at fault (slug, name, expiresIn, …), for the admin API's problem. */
  constructor(message: string, readonly status: 400 | 404 | 409 = 400, readonly field?: string) { super(message); }
}

// Each action below writes its change, its audit entry and its events (tenant.created, …) in one
// transaction (store.ts ActionRecord), naming `by`: the admin key, the CLI, or the vendor's code.

/** A preset to create a tenant with (policies/presets.ts): its name, and the options it takes. */
export interface TenantPreset { name: string; welcomeLink?: string }

export async function createTenant(store: Store, slug: string, name?: string, clock: Clock = systemClock, by: Actor = LIBRARY_ADMIN_ACTOR, preset?: TenantPreset): Promise<Tenant> {
  if (!SLUG_PATTERN.test(slug)) {
    throw new TenantError(`"${slug}" cannot be a tenant slug: use 1–63 lower-case letters, digits and dashes, starting and ending with a letter or digit (it becomes part of the SCIM URL).`, 400, 'slug');
  }
  // The preset's settings are checked before anything is written, and written with the tenant's row,
  // in its transaction: a tenant never exists without them.
  let settings: TenantSettings | undefined;
  if (preset) {
    try {
      settings = presetSettings(preset.name, preset.welcomeLink === undefined ? {} : { welcomeLink: preset.welcomeLink }).settings;
    } catch (err) {
      if (err instanceof PresetError) throw new TenantError(err.message, 400, err.field);
      throw err;
    }
  }
  const tenant: Tenant = { id: randomUUID(), slug, name: checkName(name) ?? slug, createdAt: isoNow(clock), settingsVersion: settings ? 2 : 1, scimEnabled: true };
  try {
    await store.createTenant(tenant, actionRecord({
      at: tenant.createdAt, by, tenant, action: 'tenant.create', target: 'tenant', targetId: tenant.id,
      summary: { slug: tenant.slug, name: tenant.name, ...(preset ? { preset: preset.name } : {}) }, events: [['tenant.created', { tenant: tenantData(tenant) }]],
    }), settings);
  } catch (err) {
    if (err instanceof UniquenessViolation) throw new TenantError(`A tenant with the slug "${slug}" already exists.`, 409, 'slug');
    throw err;
  }
  // As a settings replacement does (settings.ts): the welcome email's consumer starts when a tenant
  // first wants it, after the commit. Its start is idempotent, so a failure here is made good by the
  // next replacement that keeps the email on; the tenant and its settings are already whole.
  if (settings?.welcomeEmail.enabled) {
    await store.sequenceEvents({ wait: true });
    await store.startConsumer('email', tenant.createdAt);
  }
  return tenant;
}

export async function requireTenant(store: Store, slug: string): Promise<Tenant> {
  const tenant = await store.findTenantBySlug(slug);
  if (!tenant) throw new TenantError(`No tenant has the slug "${slug}". \`rollcall tenant list\` shows the tenants.`, 404);
  return tenant;
}

const MAX_NAME = 200;

/** A tenant's display name, trimmed; undefined for none. */
function checkName(name: string | undefined): string | undefined {
  const trimmed = name?.trim();
  if (trimmed && trimmed.length > MAX_NAME) throw new TenantError(`A tenant name has at most ${MAX_NAME} characters; this one has ${trimmed.length}.`, 400, 'name');
  return trimmed || undefined;
}

export async function renameTenant(store: Store, tenant: Tenant, name: string, clock: Clock = systemClock, by: Actor = LIBRARY_ADMIN_ACTOR): Promise<Tenant> {
  const checked = checkName(name);
  if (!checked) throw new TenantError('A tenant name cannot be empty.', 400, 'name');
  const renamed = { ...tenant, name: checked };
  // The same name again is recorded as an action, but tells the app nothing: no event.
  const changedFields = checked === tenant.name ? [] : ['name'];
  const record = actionRecord({
    at: isoNow(clock), by, tenant, action: 'tenant.update', target: 'tenant', targetId: tenant.id,
    summary: { fields: ['name'], from: tenant.name, to: checked },
    events: changedFields.length ? [['tenant.updated', { tenant: tenantData(renamed), changedFields }]] : [],
  });
  if (!(await store.renameTenant(tenant.id, checked, record))) throw new TenantError(`No tenant has the slug "${tenant.slug}".`, 404);
  return renamed;
}

/**
 * Deletes a tenant with every user, group, token and setting it has, in one transaction. `confirm`
 * must repeat the slug: the one guard against deleting the wrong customer by a copied id.
 */
export async function deleteTenant(store: Store, tenant: Tenant, confirm: string | undefined, clock: Clock = systemClock, by: Actor = LIBRARY_ADMIN_ACTOR): Promise<{ users: number; groups: number }> {
  if (confirm !== tenant.slug) {
    throw new TenantError(`Deleting tenant "${tenant.slug}" removes all of its users, groups and tokens for good: confirm by repeating its slug (confirm=${tenant.slug}).`, 400, 'confirm');
  }
  const at = isoNow(clock);
  const gone = await store.deleteTenant(tenant.id, (counts) => actionRecord({
    at, by, tenant, action: 'tenant.delete', target: 'tenant', targetId: tenant.id,
    summary: { slug: tenant.slug, ...counts }, events: [['tenant.deleted', { tenant: tenantData(tenant), ...counts }]],
  }));
  if (!gone) throw new TenantError(`No tenant has the slug "${tenant.slug}".`, 404);
  return gone;
}
