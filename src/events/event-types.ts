// The events Rollcall tells the vendor's app about (docs/events.md lists each with an example).
// Names are "<resource>.<what happened>", past tense, as Standard Webhooks suggests.

export const USER_EVENTS = ['user.created', 'user.updated', 'user.deactivated', 'user.reactivated', 'user.deleted', 'user.linked', 'user.role_granted', 'user.role_revoked', 'user.invitation_revoked', 'user.signed_in', 'user.sign_in_failed'] as const;
export const GROUP_EVENTS = ['group.created', 'group.updated', 'group.deleted', 'group.member_added', 'group.member_removed'] as const;
export const TENANT_EVENTS = ['tenant.created', 'tenant.updated', 'tenant.deleted', 'tenant.scim_enabled', 'tenant.scim_disabled'] as const;
export const TOKEN_EVENTS = ['token.created', 'token.rotated', 'token.revoked'] as const;

export const EVENT_TYPES = [...USER_EVENTS, ...GROUP_EVENTS, ...TENANT_EVENTS, ...TOKEN_EVENTS] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const KNOWN = new Set<string>(EVENT_TYPES);
export const isEventType = (t: string): t is EventType => KNOWN.has(t);

/**
 * Event-type patterns as webhook endpoints and the feed take them: a type ("user.created"), or a
 * resource's every type ("user.*"). Returns the types they name, or the patterns that name none.
 */
export function expandTypes(patterns: readonly string[]): { types: EventType[]; unknown: string[] } {
  const types = new Set<EventType>();
  const unknown: string[] = [];
  for (const p of patterns) {
    if (p.endsWith('.*')) {
      const prefix = p.slice(0, -1);
      const matched = EVENT_TYPES.filter((t) => t.startsWith(prefix));
      if (!matched.length) unknown.push(p);
      for (const t of matched) types.add(t);
    } else if (isEventType(p)) {
      types.add(p);
    } else {
      unknown.push(p);
    }
  }
  return { types: EVENT_TYPES.filter((t) => types.has(t)), unknown };
}
