// Each tenant's schemas and settings, one object per (tenant, settings version), shared by every
// request of the tenant until its settings change. The version arrives with the tenant on every
// authenticated request (the token lookup reads it, tenants/authentication.ts keeps it only while
// the store's authStamp is unchanged, and a settings write moves the stamp — in this process, in
// another, or through PostgreSQL's NOTIFY trigger, which reaches other processes asynchronously,
// within milliseconds), so a change made anywhere is seen from then on without a query per
// request. Only a version not seen before reads the settings.
// One object per version matters: the store derives and caches its SQL mapping per object
// (store/sql/resources.ts), so the two are built together and dropped together.
import { resourceSchemas } from '../scim/schemas/resource-schema.ts';
import { extendedResource, toSchemaDef } from '../scim/schemas/custom-extension.ts';
import type { Store, Tenant, TenantSchemas } from '../store/store.ts';
import { DEFAULT_SETTINGS, readStoredSettings, type TenantSettings } from './tenants/settings-document.ts';

/** What a request of a tenant works with: its settings and the schemas they define. */
export interface TenantConfiguration {
  readonly version: number;
  readonly settings: Readonly<TenantSettings>;
  readonly schemas: TenantSchemas;
}

/** Schemas made from a settings document: core and enterprise plus the custom extensions. */
export function schemasFor(settings: TenantSettings): TenantSchemas {
  if (!settings.customSchemas.length) return STANDARD_SCHEMAS;
  const defs = settings.customSchemas.map(toSchemaDef);
  const rs = resourceSchemas({
    User: defs.filter((d) => extendedResource(d.id) === 'User'),
    Group: defs.filter((d) => extendedResource(d.id) === 'Group'),
  });
  return Object.freeze({ ...rs, custom: new Set(defs.map((d) => d.id)) });
}

/** What every tenant without custom schemas shares (immutable, so sharing it across stores is safe). */
const STANDARD_SCHEMAS: TenantSchemas = Object.freeze(resourceSchemas());

/** Tenants whose configuration is kept; past it the map starts over (a bound, not an eviction policy). */
const MAX_TENANTS = 10_000;

export class SchemaCatalog {
  /** Every tenant that never changed its settings (version 1). */
  private readonly standard: TenantConfiguration = Object.freeze({ version: 1, settings: DEFAULT_SETTINGS, schemas: STANDARD_SCHEMAS });
  /** The latest configuration seen per tenant id. */
  private readonly byTenant = new Map<string, TenantConfiguration>();

  constructor(private readonly store: Store) {}

  /** The tenant's configuration at the settings version its record carries (read once per version). */
  async configurationOf(tenant: Tenant): Promise<TenantConfiguration> {
    if (tenant.settingsVersion === 1) return this.standard;
    const kept = this.byTenant.get(tenant.id);
    if (kept && kept.version >= tenant.settingsVersion) return kept;
    const stored = await this.store.readTenantSettings(tenant.id);
    if (!stored) return this.standard; // deleted since it authenticated: its requests find nothing anyway
    const settings = readStoredSettings(stored.document).settings;
    const made: TenantConfiguration = Object.freeze({ version: stored.version, settings, schemas: schemasFor(settings) });
    // Two requests may race here; the later version wins, and an equal one is the same document.
    const now = this.byTenant.get(tenant.id);
    if (!now || now.version < made.version) {
      if (this.byTenant.size >= MAX_TENANTS) this.byTenant.clear();
      this.byTenant.set(tenant.id, made);
      return made;
    }
    return now;
  }
}
