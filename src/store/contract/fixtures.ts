// What the contract suites share: records to write, the list options that read everything, the
// schemas of a tenant with no custom attributes, and a store opened for a suite with fresh tenants.
import { before, after } from 'node:test';
import { randomUUID } from 'node:crypto';
import { resourceSchemas } from '../../scim/schemas/resource-schema.ts';
import type { GroupRecord, ListOptions, Store, Tenant, UserRecord } from '../store.ts';

export const now = () => new Date().toISOString();
export const user = (userName: string, extra: Record<string, unknown> = {}): UserRecord =>
  ({ id: randomUUID(), doc: { userName, ...extra }, created: now(), lastModified: now(), version: 1, origin: 'scim' });
export const group = (displayName: string): GroupRecord => ({ id: randomUUID(), doc: { displayName }, created: now(), lastModified: now(), version: 1, origin: 'scim' });
export const all: ListOptions = { sortOrder: 'ascending', offset: 0, limit: 1000 };
/** The schemas of a tenant with no custom attributes. */
export const S = resourceSchemas();

/**
 * Opens a store for the enclosing describe() (closed after it) and makes tenants in it, each with a
 * fresh slug under `prefix`. Call inside describe(); read `.store` inside tests.
 */
export function suiteStore(open: () => Promise<Store>, prefix: string): { readonly store: Store; tenant: () => Promise<Tenant> } {
  let store: Store | undefined;
  before(async () => { store = await open(); });
  after(async () => { await store?.close(); });
  return {
    get store() { return store!; },
    tenant: async () => {
      const t = { id: randomUUID(), slug: `${prefix}-${randomUUID().slice(0, 8)}`, name: prefix.toUpperCase(), createdAt: now(), settingsVersion: 1, scimEnabled: true };
      await store!.createTenant(t);
      return t;
    },
  };
}
