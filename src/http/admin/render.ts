// Records → admin API JSON (camelCase, ISO times). Never a hash or a secret.
import type { AdminKeyRecord, GroupRecord, Member, Tenant, TokenRecord, UserRecord } from '../../store/store.ts';
import { publicAdminKey } from '../../provisioning/tenants/admin-keys.ts';
import { secretState } from '../../provisioning/tenants/token-format.ts';

export const tenantJson = (t: Tenant, scimUrl: string) => ({ id: t.id, slug: t.slug, name: t.name, createdAt: t.createdAt, scimUrl, scimEnabled: t.scimEnabled });

export function tokenJson(r: TokenRecord, now: number) {
  return { id: r.id, name: r.name, hint: r.hint, createdAt: r.createdAt, expiresAt: r.expiresAt, revokedAt: r.revokedAt, lastUsedAt: r.lastUsedAt, status: secretState(r, now) };
}

export const adminKeyJson = (k: AdminKeyRecord) => publicAdminKey(k);

const meta = (r: UserRecord | GroupRecord) => ({ idpManaged: (r.origin ?? 'scim') !== 'local', createdAt: r.created, updatedAt: r.lastModified, version: r.version });

export function userJson(u: UserRecord, groups?: { value: string; display: string }[]) {
  return {
    id: u.id, userName: String(u.doc.userName), active: u.doc.active !== false, status: (u.origin ?? 'scim') === 'local' ? u.status ?? null : null, ...meta(u),
    ...(groups ? { groups: groups.map((g) => ({ id: g.value, displayName: g.display })) } : {}),
    attributes: u.doc,
  };
}

export const groupJson = (g: GroupRecord) => ({ id: g.id, displayName: String(g.doc.displayName), ...meta(g), attributes: g.doc });

export const memberJson = (m: Member) => ({ id: m.value, type: m.type, ...(m.display !== undefined ? { display: m.display } : {}) });
