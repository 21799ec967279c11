// App vetoes (docs/policies.md "App vetoes"): the vendor's app may refuse any change the identity
// provider makes, with its own message, which the IdP receives as a SCIM error. Two ways, both run
// by one ChangeHook inside the change's transaction, before the outbox (so a refusal leaves no write
// and no event):
//   - embedded: functions registered with rc.before(kind, fn) (library.ts), called in the order added;
//   - remote: the tenant's approval webhook (policies.approval), POSTed the proposed change, signed
//     as event webhooks are, after the embedded ones have allowed it.
// Only the identity provider's changes (a SCIM token's requests) are asked about: the admin API's
// local users and groups, and the vendor's own calls of the use cases, are the app's own doing.
import { Registrations } from '../registrations.ts';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { randomUUID } from 'node:crypto';
import { renderGroup, renderUser } from '../../scim/render.ts';
import { ScimError, type ScimType } from '../../scim/errors.ts';
import type { EventActor } from '../../store/store.ts';
import { AddressRefused, checkEndpointUrl, guardedLookup, type AddressPolicy } from '../../events/webhook-address-guard.ts';
import { signatureHeader } from '../../events/webhook-signing.ts';
import type { ScimContext } from '../context.ts';
import type { Change, ChangeHook } from '../mutate.ts';
import type { ApprovalWebhook } from './approval.ts';
import { CHANGE_KIND_PATTERNS, kindsOf, matchesKind, type ChangeKind, type ChangeKindPattern } from './change-kinds.ts';

type Json = Record<string, unknown>;

/** The change a veto is asked about: the same object the approval webhook's body carries as "change". */
export interface ProposedChange {
  /** What the change does (change-kinds.ts), in order: ["user.update", "user.deactivate"]. */
  kinds: ChangeKind[];
  resourceType: 'User' | 'Group';
  id: string;
  /** The resource as the IdP reads it (SCIM JSON; a group without its members), before and after; null on create / delete. */
  before: Json | null;
  after: Json | null;
  /** The attribute paths that change ("members" for a group's members). */
  changedPaths: string[];
  /** Groups: the member ids added and removed (ids of users or groups). */
  members?: { added: string[]; removed: string[] };
  /** A deleted (or remove-memberships deactivated) user or group: the ids of the groups it leaves. */
  leftGroups?: string[];
  tenant: { id: string; slug: string };
  /** Who asks (the SCIM token) and the request's id. */
  actor: EventActor;
  requestId: string | null;
  /** When the change is made (its lastModified once committed). */
  at: string;
}

/** Statuses and scimTypes a refusal may carry (RFC 7644 §3.12): each is a final answer to Okta and Entra. */
export const REFUSAL_STATUSES = [400, 403, 409] as const;
export const REFUSAL_SCIM_TYPES: Record<(typeof REFUSAL_STATUSES)[number], readonly ScimType[]> = { 400: ['invalidValue', 'mutability'], 403: [], 409: ['uniqueness'] };
export const REFUSAL_DETAIL_MAX = 1000;

/** A veto: refuse with this message (the SCIM error's detail). Default status 400, no scimType. */
export interface Refusal { refuse: string; status?: (typeof REFUSAL_STATUSES)[number]; scimType?: ScimType }

export type Veto = (change: ProposedChange) => Refusal | void | undefined | Promise<Refusal | void | undefined>;

export class UnknownChangeKind extends Error {
  constructor(kind: string) {
    super(`"${kind}" is not a change kind; use one of ${CHANGE_KIND_PATTERNS.join(', ')}.`);
    this.name = 'UnknownChangeKind';
  }
}

/** The vetoes registered with rc.before, in the order added. */
export class VetoRegistry {
  private readonly entries = new Registrations<{ pattern: ChangeKindPattern; fn: Veto }>();

  add(pattern: string, veto: Veto): () => void {
    if (!(CHANGE_KIND_PATTERNS as readonly string[]).includes(pattern)) throw new UnknownChangeKind(pattern);
    if (typeof veto !== 'function') throw new TypeError('rc.before needs a function');
    return this.entries.add({ pattern: pattern as ChangeKindPattern, fn: veto });
  }

  remove(pattern: string, veto: Veto): boolean {
    return this.entries.remove(pattern, veto);
  }

  /** Each veto once, for a change of these kinds. */
  matching(kinds: readonly ChangeKind[]): Veto[] {
    return this.entries.matching((e) => kinds.some((k) => matchesKind(e.pattern, k)));
  }

  get size(): number { return this.entries.size; }
}

/** How a resource is named in a detail: the user's userName, the group's displayName. */
function named(change: Change): string {
  const r = change.after ?? change.before;
  const name = change.resourceType === 'User' ? r?.doc.userName : r?.doc.displayName;
  return `${change.resourceType === 'User' ? 'user' : 'group'} ${JSON.stringify(typeof name === 'string' ? name.slice(0, 200) : change.id)}`;
}

function proposalOf(change: Change, kinds: ChangeKind[], ctx: ScimContext): ProposedChange {
  const render = (r: Change['before']) => !r ? null
    : change.resourceType === 'User' ? renderUser(ctx.schemas.User, ctx.baseUrl, r) : renderGroup(ctx.schemas.Group, ctx.baseUrl, r);
  const out: ProposedChange = {
    kinds, resourceType: change.resourceType, id: change.id,
    before: change.kind === 'create' ? null : render(change.before),
    after: change.kind === 'delete' ? null : render(change.after),
    changedPaths: change.changedPaths,
    tenant: { id: ctx.tenant.id, slug: ctx.tenant.slug }, actor: ctx.actor, requestId: ctx.requestId, at: change.at,
  };
  if (change.resourceType === 'Group') out.members = { added: change.members?.added ?? [], removed: change.members?.removed ?? [] };
  if (change.leftGroups?.length) out.leftGroups = change.leftGroups;
  return out;
}

/** A refusal as the SCIM error the IdP receives: an unsafe status or scimType falls back to 400 without one. */
export function refusalError(r: { refuse?: unknown; status?: unknown; scimType?: unknown }, change: Change): ScimError {
  const text = typeof r.refuse === 'string' ? r.refuse.trim() : '';
  const detail = text ? text.slice(0, REFUSAL_DETAIL_MAX) : `The application refused this change to ${named(change)}; nothing was changed.`;
  const status = (REFUSAL_STATUSES as readonly unknown[]).includes(r.status) ? r.status as (typeof REFUSAL_STATUSES)[number] : 400;
  const scimType = REFUSAL_SCIM_TYPES[status].includes(r.scimType as ScimType) ? r.scimType as ScimType : undefined;
  return new ScimError(status, detail, scimType, {}, { code: 'vetoed', resourceType: change.resourceType });
}

/** How long the IdP is asked to wait before retrying a change the app could not decide on. */
const RETRY_AFTER_SECONDS = '30';

const undecided = (change: Change, why: string) => new ScimError(503,
  `The application could not decide on this change to ${named(change)} (${why}); nothing was changed, retry later.`,
  undefined, { 'Retry-After': RETRY_AFTER_SECONDS }, { code: 'vetoUndecided', resourceType: change.resourceType });

/**
 * The ChangeHook of both kinds of veto. `registry`: rc.before's vetoes (the library); `policy`: the
 * address rules of config.webhooks, applied to the approval webhook's URL on every call.
 */
export function vetoHook(registry: VetoRegistry | undefined, policy: AddressPolicy): ChangeHook {
  const approval = new ApprovalCaller(policy);
  return async (_tx, change, ctx) => {
    if (ctx.actor.type !== 'token') return;
    const webhook = ctx.settings.policies.approval?.webhook ?? null;
    if (!webhook && !registry?.size) return;
    const kinds = kindsOf(change);
    if (!kinds.length) return; // nothing changes: nothing to refuse
    const vetoes = registry?.matching(kinds) ?? [];
    const remote = webhook && (webhook.kinds === null || kinds.some((k) => webhook.kinds!.includes(k)));
    if (!vetoes.length && !remote) return;
    const proposal = proposalOf(change, kinds, ctx);
    for (const veto of vetoes) {
      let answer: Refusal | void | undefined;
      try {
        answer = await veto(proposal);
      } catch (err) {
        // A veto may throw the SCIM error it wants (4xx); anything else is a failure of the app's
        // code: the change is not made, and the IdP is told to retry (never a bare 500).
        if (err instanceof ScimError && err.status >= 400 && err.status < 500) throw err;
        throw undecided(change, 'its check failed');
      }
      if (answer && typeof answer === 'object') throw refusalError(answer, change);
    }
    if (remote) await approval.ask(webhook, proposal, change);
  };
}

/** The answer body's largest accepted size. */
const ANSWER_MAX = 16 * 1024;
export const APPROVAL_USER_AGENT = 'Rollcall-Approval/1 (+https://github.com/rollcall; Standard Webhooks)';

/** Calls approval webhooks: a POST, signed, through the address guard, within the tenant's timeout. */
class ApprovalCaller {
  private readonly lookup;
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  constructor(private readonly policy: AddressPolicy) {
    this.lookup = guardedLookup(policy);
    // Kept-alive connections: a new TLS connection per change would add its handshake to every
    // request of the IdP. Every new connection resolves through the guard.
    const options = { keepAlive: true, maxSockets: 16, maxFreeSockets: 4, timeout: 60_000, lookup: this.lookup };
    this.agents = { http: new HttpAgent(options), https: new HttpsAgent(options) };
  }

  async ask(webhook: ApprovalWebhook, proposal: ProposedChange, change: Change): Promise<void> {
    const decision = await this.call(webhook, proposal);
    if (decision.ok) {
      if (decision.allow) return;
      throw refusalError(decision, change);
    }
    if (webhook.onFailure === 'allow') return;
    throw undecided(change, `its approval service ${decision.why}`);
  }

  private async call(webhook: ApprovalWebhook, proposal: ProposedChange): Promise<{ ok: true; allow: boolean; refuse?: unknown; status?: unknown; scimType?: unknown } | { ok: false; why: string }> {
    if (!webhook.secret) return { ok: false, why: 'has no secret' };
    let url: URL;
    try { url = checkEndpointUrl(webhook.url, this.policy); } catch (err) {
      if (err instanceof AddressRefused) return { ok: false, why: 'is at an address this server may not call' };
      throw err;
    }
    const id = `apr_${randomUUID().replace(/-/g, '')}`;
    const body = JSON.stringify({ id, type: 'change.proposed', change: proposal });
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': APPROVAL_USER_AGENT,
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader([webhook.secret], id, timestamp, body),
    };
    let res: { status: number; text: string };
    try {
      res = await this.post(url, headers, body, webhook.timeoutMs);
    } catch (err) {
      return { ok: false, why: (err as { timeout?: boolean }).timeout ? `did not answer within ${webhook.timeoutMs} ms` : 'could not be reached' };
    }
    if (res.status < 200 || res.status >= 300) return { ok: false, why: `answered HTTP ${res.status}` };
    let answer: unknown;
    try { answer = JSON.parse(res.text); } catch { return { ok: false, why: 'answered something other than a decision' }; }
    if (typeof answer !== 'object' || answer === null || typeof (answer as Json).allow !== 'boolean') return { ok: false, why: 'answered something other than a decision' };
    const a = answer as Json;
    return { ok: true, allow: a.allow as boolean, refuse: a.detail, status: a.status, scimType: a.scimType };
  }

  private post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const https = url.protocol === 'https:';
      const send = https ? httpsRequest : httpRequest;
      const req = send(url, { method: 'POST', headers, lookup: this.lookup, agent: https ? this.agents.https : this.agents.http });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { timeout: true })), timeoutMs);
      req.once('error', (err) => { clearTimeout(timer); reject(err); });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > ANSWER_MAX) { clearTimeout(timer); res.destroy(); resolve({ status: res.statusCode ?? 0, text: '' }); return; }
          chunks.push(chunk);
        });
        res.once('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }); });
        res.once('error', (err) => { clearTimeout(timer); reject(err); });
      });
      req.end(body);
    });
  }
}
