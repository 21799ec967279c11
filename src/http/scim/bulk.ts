// POST /scim/v2/{tenant}/Bulk (RFC 7644 §3.7). The request is read and checked as a whole first
// (scim/bulk.ts: nothing runs unless all of it is well formed); then each operation runs as the
// single request it stands for would — the same use case, so the same policies, vetoes and events,
// in its own transaction — and gets its own status in the BulkResponse. An operation that fails
// leaves the ones before it committed. docs/running.md ("SCIM /Bulk") says what clients can rely on.
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  bulkPayloadTooLarge, bulkResponse, circularReference, failedReference, parseBulkRequest, planBulk, resolveReferences,
  type BulkLimits, type BulkOperation, type BulkOperationResult, type BulkPlan, type BulkRequest,
} from '../../scim/bulk.ts';
import { ScimError } from '../../scim/errors.ts';
import { etag } from '../../scim/etag.ts';
import { parseProjection, type Projection } from '../../scim/projection.ts';
import type { Rendered } from '../../scim/render.ts';
import type { ScimContext } from '../../provisioning/context.ts';
import * as groups from '../../provisioning/groups.ts';
import * as users from '../../provisioning/users.ts';
import { StoreUnavailable } from '../../store/store.ts';
import { knownFailure, SCIM_CONTENT_TYPE, sendScimError } from './errors.ts';

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
    const results = await runBulk(request.scim!, bulk, request.log, request.id, deps.retryAfterSeconds);
    return reply.code(200).type(SCIM_CONTENT_TYPE).send(bulkResponse(results));
  });
}

/**
 * Runs the operations in the plan's order (scim/bulk.ts planBulk). With failOnErrors, stops once
 * that many have failed: the rest neither run nor appear in the response (RFC 7644 §3.7.3). The
 * results are in the order the operations ran, which is request order unless a forward reference
 * made an operation wait for the POST it names.
 */
async function runBulk(ctx: ScimContext, bulk: BulkRequest, log: FastifyBaseLogger, requestId: string, retryAfter: number): Promise<BulkOperationResult[]> {
  const plan = planBulk(bulk);
  // The status of each operation that failed (what a reference to its bulkId then reports).
  const failed = new Map<number, string>();
  const createdIds = new Map<string, string>();
  // The answer's resource is not sent back (RFC 7644 §3.7.3 lets a server leave it out), so its
  // heaviest part (a user's groups, a group's members) is not even read. Parsed once per request.
  const projections = {
    Users: parseProjection(ctx.schemas[USE_CASES.Users.type], undefined, USE_CASES.Users.heavy),
    Groups: parseProjection(ctx.schemas[USE_CASES.Groups.type], undefined, USE_CASES.Groups.heavy),
  };
  const run: BulkRun = { ctx, plan, failed, createdIds, projections, log, requestId, retryAfter };
  const results: BulkOperationResult[] = [];
  let errors = 0;
  for (const index of plan.order) {
    if (bulk.failOnErrors !== undefined && errors >= bulk.failOnErrors) break;
    const result = await runOne(run, bulk.operations[index]);
    results.push(result);
    if (result.response) errors++;
  }
  return results;
}

/** What the operations of one request share as they run. */
interface BulkRun {
  ctx: ScimContext;
  plan: BulkPlan;
  failed: Map<number, string>;
  createdIds: Map<string, string>;
  projections: Record<BulkOperation['endpoint'], Projection>;
  log: FastifyBaseLogger;
  requestId: string;
  retryAfter: number;
}

async function runOne(run: BulkRun, op: BulkOperation): Promise<BulkOperationResult> {
  const { ctx, plan, failed, createdIds, log } = run;
  const base: BulkOperationResult = { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), status: '' };
  const uc = USE_CASES[op.endpoint];
  const locationOf = (id: string) => `${ctx.baseUrl}/${op.endpoint}/${encodeURIComponent(id)}`;
  // The resource the path names, once its bulkId (if any) is resolved: a failure there still names it.
  let id: string | undefined = op.target && 'id' in op.target ? op.target.id : undefined;
  const fail = (err: ScimError): BulkOperationResult => {
    failed.set(op.index, String(err.status));
    return { ...base, ...(id !== undefined ? { location: locationOf(id) } : {}), status: String(err.status), response: err.toBody() };
  };

  if (plan.circular.has(op.index)) return fail(circularReference(op, plan));
  for (const ref of op.refs) {
    if (createdIds.has(ref)) continue;
    // Its POST ran before it (the plan's order) and failed, or is in a circle itself.
    return fail(failedReference(op, ref, failed.get(plan.definedAt.get(ref)!) ?? 'not run'));
  }
  if (op.target && 'bulkId' in op.target) id = createdIds.get(op.target.bulkId)!;
  const data = op.refs.length ? resolveReferences(op.data, createdIds, op.method === 'PATCH') : op.data;

  try {
    const projection = run.projections[op.endpoint];
    let rendered: Rendered | undefined;
    let status: number;
    switch (op.method) {
      case 'POST': rendered = await uc.create(ctx, data, projection); status = 201; id = String(rendered.resource.id); break;
      case 'PUT': rendered = await uc.replace(ctx, id!, data, op.version, projection); status = 200; break;
      case 'PATCH': rendered = await uc.patch(ctx, id!, data, op.version, projection); status = 200; break;
      case 'DELETE': await uc.remove(ctx, id!, op.version); status = 204; break;
    }
    if (op.method === 'POST' && op.bulkId !== undefined) createdIds.set(op.bulkId, id!);
    return { ...base, location: locationOf(id!), ...(rendered ? { version: etag(rendered.version) } : {}), status: String(status) };
  } catch (err) {
    // As the SCIM error handler answers a single request (errors.ts), but the BulkResponse has no
    // Retry-After header of its own to point to.
    const known = knownFailure(err, run.retryAfter, 'The database is unavailable at the moment; retry this operation later.');
    if (err instanceof StoreUnavailable) log.warn({ cause: String(err.cause), operation: op.index }, 'database unavailable during /Bulk');
    if (known) return fail(known);
    // An unknown failure: logged with the request id, and this operation's 500 (the others stand).
    log.error({ err, operation: op.index }, 'unexpected failure in a /Bulk operation');
    return fail(new ScimError(500, `Internal server error in Operations[${op.index}]. Quote request id ${run.requestId} when reporting it.`));
  }
}
