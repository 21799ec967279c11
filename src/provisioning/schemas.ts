// Each tenant's schemas, made once per tenant settings version and shared by every request of the
// tenant until its settings change. Today every tenant has the core and enterprise schemas; custom
// extensions (admin API issue) arrive as tenant settings and flow through here with no new code
// path. Keeping one object per version matters: the store derives and caches its SQL mapping per
// object (store/sql/resources.ts), so the two are built together and dropped together.
import { resourceSchemas } from '../scim/schemas/resource-schema.ts';
import type { Tenant, TenantSchemas } from '../store/store.ts';

/** Tenants whose schemas are kept; past this the oldest are made again when next used. */
const MAX_TENANTS = 10_000;

export class SchemaCatalog {
  private readonly byTenant = new Map<string, { version: number; schemas: TenantSchemas }>();
  /** What every tenant without custom attributes shares. */
  private readonly standard: TenantSchemas = Object.freeze(resourceSchemas());

  /** The schemas of a tenant at its current settings version. */
  schemasOf(tenant: Tenant): TenantSchemas {
    // Tenant settings (and with them a version and custom extensions) arrive with the admin API;
    // until then every tenant is at version 0 with the standard schemas.
    const version = 0;
    const kept = this.byTenant.get(tenant.id);
    if (kept && kept.version === version) return kept.schemas;
    const schemas = this.standard;
    if (this.byTenant.size >= MAX_TENANTS) this.byTenant.delete(this.byTenant.keys().next().value!);
    this.byTenant.set(tenant.id, { version, schemas });
    return schemas;
  }
}
