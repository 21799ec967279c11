// Attribute rules for the IdP's changes to an existing user (policies.attributes): userName fixed
// once created, and an allow-list of the attributes the app accepts changes to; a change to any
// other one is refused (400 mutability, RFC 7644 §3.12: "the attempted modification is not
// compatible with the target attribute's mutability") or dropped and logged, per setting.
import { changedPaths } from '../../scim/diff.ts';
import { ScimError } from '../../scim/errors.ts';
import type { AttrDoc } from '../../scim/resource.ts';
import type { ScimContext } from '../context.ts';

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);

/** `path` (as scim/diff.ts names it) is `entry` or inside it ("name" covers "name.givenName", a URN its attributes). */
function covers(entry: string, path: string): boolean {
  const e = entry.toLowerCase();
  const p = path.toLowerCase();
  return p === e || p.startsWith(`${e}.`) || p.startsWith(`${e}:`);
}

/** Deprovisioning governs active; every allow-list accepts it. */
const ALWAYS_CHANGEABLE = 'active';

/**
 * The next document of a user after the rules: unchanged when they allow everything, else with
 * refused changes thrown as a SCIM error or ignored changes put back (and recorded on the context
 * for the request log). Pure apart from that record; no lookup.
 */
export function applyAttributeRules(ctx: ScimContext, current: AttrDoc, next: AttrDoc): AttrDoc {
  const rules = ctx.settings.policies.attributes;
  if (!rules.userNameImmutable && rules.changeable === null) return next;
  const who = JSON.stringify(String(current.userName));
  if (rules.userNameImmutable && lower(current.userName) !== lower(next.userName)) {
    throw new ScimError(400, `The userName of user ${who} cannot be changed in this app (it identifies the account); change it back to ${who} in the identity provider.`,
      'mutability', {}, { code: 'immutableUserName', resourceType: 'User', attribute: 'userName' });
  }
  const allowed = rules.changeable;
  if (allowed === null) return next;
  const refused = changedPaths(current, next).filter((p) => p !== ALWAYS_CHANGEABLE && !allowed.some((e) => covers(e, p)));
  if (!refused.length) return next;
  if (rules.otherChanges === 'refuse') {
    const names = refused.map((p) => `"${p}"`).join(', ');
    throw new ScimError(400, `This app does not accept changes to ${names} of user ${who} (it accepts ${allowed.length ? allowed.map((p) => `"${p}"`).join(', ') : 'none'}); remove ${refused.length > 1 ? 'these attributes' : 'this attribute'} from the app's attribute mappings in the identity provider.`,
      'mutability', {}, { code: 'notChangeable', resourceType: 'User', attribute: refused[0] });
  }
  const kept = structuredClone(next);
  for (const p of refused) putBack(kept, current, p);
  (ctx.ignoredChanges ??= []).push(...refused);
  return kept;
}

/** Sets `path` of `doc` back to its value in `from` (removing it where `from` has none). */
function putBack(doc: AttrDoc, from: AttrDoc, path: string): void {
  if (path.startsWith('urn:')) {
    // "<schema URN>:<attribute>[.<sub>]": the URN is the longest key of either document that prefixes it.
    const urn = [...Object.keys(doc), ...Object.keys(from)].filter((k) => k.startsWith('urn:') && path.startsWith(`${k}:`)).sort((a, b) => b.length - a.length)[0];
    if (!urn) return;
    const ext = (doc[urn] ??= {}) as Record<string, unknown>;
    const source = from[urn] as Record<string, unknown> | undefined;
    const rest = path.slice(urn.length + 1);
    putBack(ext, source ?? {}, rest);
    if (!Object.keys(ext).length && from[urn] === undefined) delete doc[urn];
    return;
  }
  const [attr, sub] = path.split('.', 2);
  if (sub !== undefined) {
    const inner = (doc[attr] ??= {}) as Record<string, unknown>;
    const value = (from[attr] as Record<string, unknown> | undefined)?.[sub];
    if (value === undefined) delete inner[sub]; else inner[sub] = structuredClone(value);
    if (!Object.keys(inner).length && from[attr] === undefined) delete doc[attr];
    return;
  }
  const value = from[attr];
  if (value === undefined) delete doc[attr]; else doc[attr] = structuredClone(value);
}
