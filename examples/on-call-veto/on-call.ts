// The Splunk On-Call deprovisioning rule (its Okta article, "User Deprovisioning Process") as an app
// veto: before the identity provider deactivates or deletes a user, every team where the user is on
// call (a rotation or an escalation policy) needs a replacement, picked in the article's order; a
// user who is the only member of a team, or the organisation's only Global Admin, cannot be removed
// and the IdP gets an error saying why. Pure functions over the app's own data, so that the veto
// (server.ts, rc.before) and the listener that applies the replacements after the change commits
// (rc.on) compute the same plan.

/** A member's role in a team, in the order the article looks for a replacement. */
export const ROLE_ORDER = ['teamAdmin', 'alertAdmin', 'globalAdmin', 'member'] as const;
export type Role = (typeof ROLE_ORDER)[number];

export interface Member {
  userName: string;
  role: Role;
  /** A mobile device registered for push notifications, or a verified phone number: preferred. */
  reachable: boolean;
}

export interface Team {
  name: string;
  members: Member[];
  /** userNames in this team's on-call rotations, escalation policies or scheduled overrides. */
  onCall: string[];
}

export interface Organisation { teams: Team[]; globalAdmins: string[] }

/** The replacement for `userName` in a team: the article's role order, then reachable first, then userName A→Z. */
export function replacementFor(team: Team, userName: string): Member | undefined {
  const candidates = team.members.filter((m) => m.userName !== userName);
  candidates.sort((a, b) =>
    ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role)
    || Number(b.reachable) - Number(a.reachable)
    || (a.userName < b.userName ? -1 : a.userName > b.userName ? 1 : 0));
  return candidates[0];
}

export type Plan =
  | { ok: true; leave: string[]; replace: { team: string; by: string }[] }
  | { ok: false; refuse: string };

/** What removing `userName` does to the organisation, or why it cannot be done. */
export function deprovisioningPlan(org: Organisation, userName: string): Plan {
  if (org.globalAdmins.length === 1 && org.globalAdmins[0] === userName) {
    return { ok: false, refuse: `${userName} is the only Global Admin of this Splunk On-Call organisation; make another user Global Admin, then retry.` };
  }
  const leave: string[] = [];
  const replace: { team: string; by: string }[] = [];
  for (const team of org.teams) {
    if (!team.members.some((m) => m.userName === userName)) continue;
    if (team.members.length === 1) {
      return { ok: false, refuse: `${userName} is the only member of team ${team.name} in Splunk On-Call; add another member to ${team.name}, then retry.` };
    }
    leave.push(team.name);
    if (!team.onCall.includes(userName)) continue;
    const by = replacementFor(team, userName);
    if (!by) return { ok: false, refuse: `Team ${team.name} has no one to take over ${userName}'s on-call shifts; add a member to ${team.name}, then retry.` };
    replace.push({ team: team.name, by: by.userName });
  }
  return { ok: true, leave, replace };
}

/** The part of Rollcall's ProposedChange this veto reads (the package's type has more). */
export interface Proposed { kinds: string[]; resourceType: 'User' | 'Group'; before: Record<string, unknown> | null }

/**
 * The veto: for a user's deactivation or deletion, refuse when the plan cannot be made. Register it
 * with rc.before('user.deactivate', …) and rc.before('user.delete', …) (one call per change even when
 * both apply). `orgOf` reads the app's data for the tenant.
 */
export function onCallVeto(orgOf: (tenantSlug: string) => Organisation | undefined) {
  return (change: Proposed & { tenant: { slug: string } }): { refuse: string } | undefined => {
    if (change.resourceType !== 'User') return undefined;
    const userName = change.before?.userName;
    const org = orgOf(change.tenant.slug);
    if (!org || typeof userName !== 'string') return undefined;
    const plan = deprovisioningPlan(org, userName);
    return plan.ok ? undefined : { refuse: plan.refuse };
  };
}
