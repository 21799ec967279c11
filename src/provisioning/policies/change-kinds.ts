// The kinds of change an app veto is asked about (docs/policies.md "App vetoes"). One Change
// (provisioning/mutate.ts) is one or more kinds: a PATCH that renames a user and sets active=false is
// both user.update and user.deactivate, and a veto registered on either sees it (once).
import type { Change } from '../mutate.ts';

export const CHANGE_KINDS = [
  'user.create', 'user.link', 'user.update', 'user.deactivate', 'user.reactivate', 'user.delete',
  'group.create', 'group.update', 'group.delete', 'group.members_add', 'group.members_remove',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** What a veto may be registered on: a kind, every kind of a resource, or everything. */
export const CHANGE_KIND_PATTERNS = [...CHANGE_KINDS, 'user.*', 'group.*', '*'] as const;
export type ChangeKindPattern = (typeof CHANGE_KIND_PATTERNS)[number];

export const matchesKind = (pattern: ChangeKindPattern, kind: ChangeKind): boolean =>
  pattern === '*' || pattern === kind || (pattern.endsWith('.*') && kind.startsWith(pattern.slice(0, -1)));

/** The kinds of one change, in the order its events are written; empty when it changed nothing. */
export function kindsOf(change: Change): ChangeKind[] {
  const out: ChangeKind[] = [];
  if (change.resourceType === 'User') {
    if (change.kind === 'create') return ['user.create'];
    if (change.kind === 'delete') {
      // active=false under the delete deprovisioning mode: a deactivation that ends as a deletion.
      return change.deprovisioned === 'delete' ? ['user.deactivate', 'user.delete'] : ['user.delete'];
    }
    const paths = change.changedPaths.filter((p) => p !== 'active');
    if (change.linked) out.push('user.link');
    else if (paths.length) out.push('user.update');
    const was = change.before?.doc.active !== false;
    const is = change.after?.doc.active !== false;
    if (was !== is) out.push(is ? 'user.reactivate' : 'user.deactivate');
    return out;
  }
  if (change.kind === 'create') out.push('group.create');
  else if (change.kind === 'delete') out.push('group.delete');
  else if (change.changedPaths.some((p) => p !== 'members')) out.push('group.update');
  if (change.kind !== 'delete') {
    if (change.members?.added.length) out.push('group.members_add');
    if (change.members?.removed.length) out.push('group.members_remove');
  }
  return out;
}
