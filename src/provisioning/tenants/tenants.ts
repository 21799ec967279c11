// Tenants: one per customer organisation, named by a slug that becomes part of its SCIM URL.
import { randomUUID } from 'node:crypto';
import { UniquenessViolation, type Store, type Tenant } from '../../store/store.ts';
import { isoNow, systemClock, type Clock } from '../clock.ts';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** A tenant or token operation the caller asked for cannot be done; the message says why. */
export class TenantError extends Error {}

export async function createTenant(store: Store, slug: string, name?: string, clock: Clock = systemClock): Promise<Tenant> {
  if (!SLUG_PATTERN.test(slug)) {
    throw new TenantError(`"${slug}" cannot be a tenant slug: use 1–63 lower-case letters, digits and dashes, starting and ending with a letter or digit (it becomes part of the SCIM URL).`);
  }
  const tenant: Tenant = { id: randomUUID(), slug, name: name?.trim() || slug, createdAt: isoNow(clock), settingsVersion: 1 };
  try {
    await store.createTenant(tenant);
  } catch (err) {
    if (err instanceof UniquenessViolation) throw new TenantError(`A tenant with the slug "${slug}" already exists.`);
    throw err;
  }
  return tenant;
}

export async function requireTenant(store: Store, slug: string): Promise<Tenant> {
  const tenant = await store.findTenantBySlug(slug);
  if (!tenant) throw new TenantError(`No tenant has the slug "${slug}". \`rollcall tenant list\` shows the tenants.`);
  return tenant;
}
