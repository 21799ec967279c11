// The unique identifier of a user (policies.attributes.uniqueIdentifier): its userName, or its
// primary email. Account linking matches on it, and with "email" it is required and unique too.
// Users holding a value are found through the same SQL filters as GET /Users?filter=… (the indexed
// userName column or the indexed email rows), inside the caller's transaction.
import { parseFilter } from '../../scim/filter.ts';
import type { AttrDoc } from '../../scim/resource.ts';
import type { StoreReads, UserRecord } from '../../store/store.ts';
import type { ScimContext } from '../context.ts';
import type { UniqueIdentifier } from './user-policies.ts';

/** A user's primary email: the one marked primary, else the first (RFC 7643 §4.1.2), lower-cased; undefined if none. */
export function primaryEmail(doc: AttrDoc): string | undefined {
  const emails = doc.emails;
  if (!Array.isArray(emails) || !emails.length) return undefined;
  const chosen = (emails.find((e) => (e as { primary?: unknown }).primary === true) ?? emails[0]) as { value?: unknown };
  return typeof chosen.value === 'string' && chosen.value.trim() !== '' ? chosen.value.trim().toLowerCase() : undefined;
}

/** The identifier's value in a document, lower-cased (both are compared case-insensitively). */
export function identifierOf(kind: UniqueIdentifier, doc: AttrDoc): string | undefined {
  if (kind === 'email') return primaryEmail(doc);
  return typeof doc.userName === 'string' ? doc.userName.toLowerCase() : undefined;
}

/** Rows read per page while collecting the users holding one value (a handful in practice). */
const PAGE = 50;

/** Every user whose identifier is `value` (lower-cased), in creation order. */
export async function usersWithIdentifier(reads: StoreReads, ctx: ScimContext, kind: UniqueIdentifier, value: string): Promise<UserRecord[]> {
  const filter = parseFilter(`${kind === 'email' ? 'emails.value' : 'userName'} eq ${JSON.stringify(value)}`);
  const out: UserRecord[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await reads.scanUsers(ctx.tenant.id, ctx.schemas, filter, after, PAGE);
    // emails.value matches any of a user's emails; only the primary one identifies it.
    out.push(...page.filter((u) => identifierOf(kind, u.doc) === value));
    if (page.length < PAGE) return out;
    after = page[page.length - 1].seq;
  }
}

/** How the identifier is named to an IdP admin. */
export const identifierName = (kind: UniqueIdentifier): string => (kind === 'email' ? 'primary email' : 'userName');
