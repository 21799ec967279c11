// Each tenant's schemas, one object per tenant settings version, shared by every request of the
// tenant until its settings change. Today no tenant has settings, so every tenant has the same core
// and enterprise schemas: one object. Custom extensions (admin API issue) arrive as tenant settings
// with a version, and this is where the object per (tenant, version) will be made and kept, with no
// new code path elsewhere. One object per version matters: the store derives and caches its SQL
// mapping per object (store/sql/resources.ts), so the two are built together and dropped together.
import { resourceSchemas } from '../scim/schemas/resource-schema.ts';
import type { TenantSchemas } from '../store/store.ts';

export class SchemaCatalog {
  /** What every tenant without custom attributes shares. */
  private readonly standard: TenantSchemas = Object.freeze(resourceSchemas());

  /** The schemas of a tenant at its current settings version (today: every tenant's). */
  schemasOf(): TenantSchemas {
    return this.standard;
  }
}
