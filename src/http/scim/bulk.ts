// POST /scim/v2/{tenant}/Bulk (RFC 7644 §3.7). The request is read and checked as a whole first
// (scim/bulk.ts: nothing runs unless all of it is well formed); then each operation runs as the
// single request it stands for would — the same use case, so the same policies, vetoes and events,
// in its own transaction — and gets its own status in the BulkResponse. An operation that fails
// leaves the ones before it committed. docs/running.md ("SCIM /Bulk") says what clients can rely on.
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  bulkPayloadTooLarge, bulkResponse, circularReference, failedReference, parseBulkRequest, planBulk, resolveReferences,
  type BulkLimits, type BulkOperation, type BulkOperationResult, type BulkPlan,
} from '../../scim/bulk.ts';
import { ScimError, serviceUnavailable } from '../../scim/errors.ts';
import { etag } from '../../scim/etag.ts';
import { parseProjection } from '../../scim/projection.ts';
import type { Rendered } from '../../scim/render.ts';
import type { ScimContext } from '../../provisioning/context.ts';
import * as groups from '../../provisioning/groups.ts';
import * as users from '../../provisioning/users.ts';
import { StoreUnavailable } from '../../store/store.ts';
import { SCIM_CONTENT_TYPE, sendScimError } from './errors.ts';

const USE_CASES = {
  Users: { type: 'User', create: users.createUser, replace: users.replaceUser, patch: users.patchUser, remove: users.deleteUser, heavy: 'groups' },
  Groups: { type: 'Group', create: groups.createGroup, replace: groups.replaceGroup, patch: groups.patchGroup, remove: groups.deleteGroup, heavy: 'members' },
} as const;

/**
 * Registers POST /Bulk on the tenant's SCIM plugin (http/scim/routes.ts). Its body limit is
 * maxPayloadSize, checked against Content-Length before a byte is read and while reading a
 * chunked body; over it is 413 naming the limit (RFC 7644 §3.7.4). Other errors go to the plugin's.
 */
export function registerBulk(app: FastifyInstance, deps: {
  limits: BulkLimits; retryAfterSeconds: number;
  /** Told how many operations a well-formed request holds before they run (the rate limit charges each: rate-limit.ts). */
  onOperations?: (request: FastifyRequest, count: number) => void;
}): void {
  const { limits } = deps;
  app.post('/Bulk', {
    bodyLimit: limits.maxPayloadSize,
    errorHandler: (err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
      if (err.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') throw err;
      sendScimError(reply, bulkPayloadTooLarge(limits.maxPayloadSize));
    },
  }, async (request, reply) => {
    const bulk = parseBulkRequest(request.body, limits);
    deps.onOperations?.(request, bulk.operations.length);
    const results = await runBulk(request.scim!, bulk.operations, bulk.failOnErrors, request.log, request.id, deps.retryAfterSeconds);
    return reply.code(200).type(SCIM_CONTENT_TYPE).send(bulkResponse(results));
  });
}

interface Outcome { ok: boolean; status: string; id?: string }

/**
 * Runs the operations in the plan's order (scim/bulk.ts planBulk). With failOnErrors, stops once
 * that many have failed: the rest neither run nor appear in the response (RFC 7644 §3.7.3). The
 * results are in the order the operations ran, which is request order unless a forward reference
 * made an operation wait for the POST it names.
 */
async function runBulk(ctx: ScimContext, operations: BulkOperation[], failOnErrors: number | undefined, log: FastifyBaseLogger, requestId: string, retryAfter: number): Promise<BulkOperationResult[]> {
  const plan = planBulk(operations);
  const outcomes = new Map<number, Outcome>();
  const createdIds = new Map<string, string>();
  const results: BulkOperationResult[] = [];
  let errors = 0;
  for (const index of plan.order) {
    if (failOnErrors !== undefined && errors >= failOnErrors) break;
    const op = operations[index];
    const result = await runOne(ctx, op, plan, outcomes, createdIds, log, requestId, retryAfter);
    results.push(result);
    if (result.response) errors++;
  }
  return results;
}

async function runOne(ctx: ScimContext, op: BulkOperation, plan: BulkPlan, outcomes: Map<number, Outcome>, createdIds: Map<string, string>,
  log: FastifyBaseLogger, requestId: string, retryAfter: number): Promise<BulkOperationResult> {
  const base: BulkOperationResult = { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), status: '' };
  const uc = USE_CASES[op.endpoint];
  const locationOf = (id: string) => `${ctx.baseUrl}/${op.endpoint}/${encodeURIComponent(id)}`;
  // The resource the path names, once its bulkId (if any) is resolved: a failure there still names it.
  let id: string | undefined = op.target && 'id' in op.target ? op.target.id : undefined;
  const fail = (err: ScimError): BulkOperationResult => {
    outcomes.set(op.index, { ok: false, status: String(err.status) });
    return { ...base, ...(id !== undefined ? { location: locationOf(id) } : {}), status: String(err.status), response: err.toBody() };
  };

  if (plan.circular.has(op.index)) return fail(circularReference(op, plan));
  for (const ref of op.refs) {
    if (createdIds.has(ref)) continue;
    // Its POST ran before it (the plan's order) and failed, or is in a circle itself.
    return fail(failedReference(op, ref, outcomes.get(plan.definedAt.get(ref)!)?.status ?? 'not run'));
  }
  if (op.target && 'bulkId' in op.target) id = createdIds.get(op.target.bulkId)!;
  const data = op.refs.length ? resolveReferences(op.data, createdIds, op.method === 'PATCH') : op.data;

  try {
    // The answer's resource is not sent back (RFC 7644 §3.7.3 lets a server leave it out), so its
    // heaviest part (a user's groups, a group's members) is not even read.
    const projection = parseProjection(ctx.schemas[uc.type], undefined, uc.heavy);
    let rendered: Rendered | undefined;
    let status: number;
    switch (op.method) {
      case 'POST': rendered = await uc.create(ctx, data, projection); status = 201; id = String(rendered.resource.id); break;
      case 'PUT': rendered = await uc.replace(ctx, id!, data, op.version, projection); status = 200; break;
      case 'PATCH': rendered = await uc.patch(ctx, id!, data, op.version, projection); status = 200; break;
      case 'DELETE': await uc.remove(ctx, id!, op.version); status = 204; break;
    }
    outcomes.set(op.index, { ok: true, status: String(status), id });
    if (op.method === 'POST' && op.bulkId !== undefined) createdIds.set(op.bulkId, id!);
    return { ...base, location: locationOf(id!), ...(rendered ? { version: etag(rendered.version) } : {}), status: String(status) };
  } catch (err) {
    if (err instanceof ScimError) return fail(err);
    if (err instanceof StoreUnavailable) {
      log.warn({ cause: String(err.cause), operation: op.index }, 'database unavailable during /Bulk');
      return fail(serviceUnavailable('The database is unavailable at the moment; retry this operation later.', retryAfter));
    }
    // An unknown failure: logged with the request id, and this operation's 500 (the others stand).
    log.error({ err, operation: op.index }, 'unexpected failure in a /Bulk operation');
    return fail(new ScimError(500, `Internal server error in Operations[${op.index}]. Quote request id ${requestId} when reporting it.`));
  }
}
