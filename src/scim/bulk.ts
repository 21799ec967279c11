// RFC 7644 §3.7 /Bulk, the protocol part: reading a BulkRequest into checked operations, the
// bulkId references each one makes (§3.7.2), the order they can run in, and the BulkResponse.
// Pure: running an operation is the HTTP edge's job (http/scim/bulk.ts), through the same use
// cases as a single request.
import { ScimError, invalidSyntax, invalidValue, payloadTooLarge, type ScimErrorBody } from './errors.ts';

export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type BulkEndpoint = 'Users' | 'Groups';

/** The limits a server advertises in /ServiceProviderConfig (RFC 7643 §5, bulk). */
export interface BulkLimits {
  maxOperations: number;
  /** Bytes; enforced on the body before it is parsed (http/scim/bulk.ts). */
  maxPayloadSize: number;
}

/** One operation of a BulkRequest, checked. */
export interface BulkOperation {
  /** Its position in the request's Operations, 0-based. */
  index: number;
  method: BulkMethod;
  bulkId?: string;
  /** An ETag the resource must still have (RFC 7644 §3.7: `version`), as If-Match. */
  version?: string;
  endpoint: BulkEndpoint;
  /** PUT, PATCH, DELETE: the resource's id as the path gave it, or a bulkId reference to resolve. */
  target?: { id: string } | { bulkId: string };
  /** POST, PUT, PATCH: the body a single request would carry. */
  data?: unknown;
  /** The bulkIds this operation refers to (in its path and data), each once. */
  refs: string[];
}

export interface BulkRequest {
  /** Stop after this many failed operations (RFC 7644 §3.7.3); undefined: run them all. */
  failOnErrors?: number;
  operations: BulkOperation[];
  /** The POST operation of each bulkId (each is unique, and every reference names one). */
  definedAt: ReadonlyMap<string, number>;
}

/**
 * A bulkId as Rollcall accepts it: 1 to 200 characters of letters, digits and `._~-` (URL-safe,
 * so `/Users/bulkId:<id>` is a path, and short enough that a hostile one is refused at once).
 * The RFC leaves the form to the client; every client we know of sends a UUID or a short word.
 */
const BULK_ID = /^[A-Za-z0-9._~-]{1,200}$/;
const REFERENCE = /^bulkId:(.*)$/s;
/** A reference inside a PATCH path's value filter: members[value eq "bulkId:qwerty"]. */
const QUOTED_REFERENCE = /"bulkId:([^"]*)"/g;
const MAX_VERSION = 1024;
const MAX_ID = 255;

/** The attribute of an object named case-insensitively (SCIM attribute names are, RFC 7643 §2.1). */
function attr(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(typeof v === 'string' && v.length > 60 ? `${v.slice(0, 60)}…` : v) ?? String(v);

/**
 * Reads a parsed request body as a BulkRequest, or throws the SCIM error that says what is wrong
 * with it (400 invalidSyntax for its shape, invalidValue for a value, 413 for too many
 * operations: RFC 7644 §3.7.4 answers either limit with 413). Nothing runs unless all of it is right.
 */
export function parseBulkRequest(body: unknown, limits: Pick<BulkLimits, 'maxOperations'>): BulkRequest {
  if (!isObject(body)) throw invalidSyntax(`A /Bulk request body must be a JSON object with "schemas": ["${BULK_REQUEST_SCHEMA}"] and "Operations": [...].`);
  const schemas = attr(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase())) {
    throw invalidSyntax(`A /Bulk request must have "schemas": ["${BULK_REQUEST_SCHEMA}"].`);
  }
  const list = attr(body, 'Operations');
  if (!Array.isArray(list)) throw invalidSyntax('A /Bulk request must have "Operations": an array of operations (each with method, path, and bulkId and data as the method needs).');
  if (list.length > limits.maxOperations) {
    throw new ScimError(413, `The /Bulk request has ${list.length} operations; this server accepts at most ${limits.maxOperations} in one request (maxOperations in /ServiceProviderConfig). Send them in smaller requests.`,
      undefined, {}, { code: 'bulkMaxOperations' });
  }
  const failOnErrors = attr(body, 'failOnErrors');
  if (failOnErrors !== undefined && failOnErrors !== null && (!Number.isSafeInteger(failOnErrors) || (failOnErrors as number) < 1)) {
    throw invalidValue(`"failOnErrors" must be a whole number of at least 1 (the number of failed operations after which the rest are not run), got ${show(failOnErrors)}.`);
  }
  const operations = list.map((o, i) => parseOperation(o, i));
  // A bulkId names one created resource: two POSTs with the same one could not be told apart.
  const definedAt = new Map<string, number>();
  for (const op of operations) {
    if (op.bulkId === undefined || op.method !== 'POST') continue;
    const first = definedAt.get(op.bulkId);
    if (first !== undefined) throw invalidValue(`Operations[${op.index}] uses bulkId ${show(op.bulkId)}, which Operations[${first}] already uses; a bulkId must be unique within the request.`);
    definedAt.set(op.bulkId, op.index);
  }
  for (const op of operations) {
    const missing = op.refs.find((r) => !definedAt.has(r));
    if (missing !== undefined) throw invalidValue(`Operations[${op.index}] refers to "bulkId:${missing}", but no POST operation of this request has bulkId ${show(missing)}.`);
  }
  return { failOnErrors: (failOnErrors ?? undefined) as number | undefined, operations, definedAt };
}

function parseOperation(o: unknown, i: number): BulkOperation {
  const at = `Operations[${i}]`;
  if (!isObject(o)) throw invalidSyntax(`${at} must be an object with "method" and "path", got ${show(o)}.`);
  const rawMethod = attr(o, 'method');
  const method = typeof rawMethod === 'string' ? rawMethod.toUpperCase() : '';
  if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH' && method !== 'DELETE') {
    throw invalidValue(`${at}.method must be POST, PUT, PATCH or DELETE, got ${show(rawMethod)}.`);
  }
  const bulkIdRaw = attr(o, 'bulkId');
  let bulkId: string | undefined;
  if (bulkIdRaw !== undefined && bulkIdRaw !== null) {
    if (typeof bulkIdRaw !== 'string' || !BULK_ID.test(bulkIdRaw)) {
      throw invalidValue(`${at}.bulkId must be 1 to 200 characters of letters, digits, ".", "_", "~" and "-", got ${show(bulkIdRaw)}.`);
    }
    bulkId = bulkIdRaw;
  }
  if (method === 'POST' && bulkId === undefined) throw invalidValue(`${at} is a POST without a "bulkId"; RFC 7644 §3.7 requires one, so the created resource can be told apart in the response.`);
  const versionRaw = attr(o, 'version');
  let version: string | undefined;
  if (versionRaw !== undefined && versionRaw !== null) {
    if (typeof versionRaw !== 'string' || versionRaw.length > MAX_VERSION) throw invalidValue(`${at}.version must be an ETag string such as W/"3", got ${show(versionRaw)}.`);
    version = versionRaw;
  }

  const refs = new Set<string>();
  const path = attr(o, 'path');
  if (typeof path !== 'string') throw invalidValue(`${at}.path must be a string such as "/Users" (POST) or "/Users/{id}", got ${show(path)}.`);
  const m = /^\/?(Users|Groups)(?:\/([^/?#]*))?\/?$/i.exec(path);
  if (!m) throw invalidValue(`${at}.path must be /Users or /Groups${method === 'POST' ? '' : ' followed by /{id}'} (this server's /Bulk handles users and groups), got ${show(path)}.`);
  const endpoint: BulkEndpoint = m[1].toLowerCase() === 'users' ? 'Users' : 'Groups';
  let target: BulkOperation['target'];
  if (method === 'POST') {
    if (m[2]) throw invalidValue(`${at} is a POST, whose path is the resource type's endpoint (/${endpoint}), not a resource; got ${show(path)}.`);
  } else {
    const segment = m[2] ?? '';
    if (segment === '' || segment.length > MAX_ID) throw invalidValue(`${at}.path must name a resource (/${endpoint}/{id}, an id of 1 to ${MAX_ID} characters) for ${method}, got ${show(path)}.`);
    const ref = REFERENCE.exec(segment);
    if (ref) {
      target = { bulkId: checkReference(ref[1], at) };
      refs.add(target.bulkId);
    } else {
      target = { id: segment };
    }
  }

  const data = attr(o, 'data');
  if (method !== 'DELETE') {
    if (!isObject(data)) throw invalidSyntax(`${at} is a ${method}, which needs "data": the resource${method === 'PATCH' ? ' PATCH request (PatchOp)' : ''} as a single ${method} would send it; got ${show(data)}.`);
    collectReferences(data, at, refs, method === 'PATCH');
  }
  return { index: i, method, bulkId, version, endpoint, target, data: method === 'DELETE' ? undefined : data, refs: [...refs] };
}

function checkReference(id: string, at: string): string {
  if (!BULK_ID.test(id)) throw invalidValue(`${at} refers to ${show(`bulkId:${id}`)}, which is not a bulkId this server accepts (1 to 200 characters of letters, digits, ".", "_", "~" and "-").`);
  return id;
}

/**
 * Every "bulkId:<id>" in the data: a string value that is one whole (a member's value, a manager's
 * value), and in a PATCH, a quoted one inside an operation's path (members[value eq "bulkId:x"]).
 * Iterative: the body's depth is bounded by the parser, its breadth by the payload size.
 */
function collectReferences(data: Record<string, unknown>, at: string, refs: Set<string>, patch: boolean): void {
  const stack: unknown[] = [data];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      const ref = REFERENCE.exec(v);
      if (ref) refs.add(checkReference(ref[1], at));
    } else if (v && typeof v === 'object') {
      for (const child of Object.values(v)) stack.push(child);
    }
  }
  if (!patch) return;
  const ops = attr(data, 'Operations');
  if (!Array.isArray(ops)) return;
  for (const op of ops) {
    const p = isObject(op) ? attr(op, 'path') : undefined;
    if (typeof p !== 'string') continue;
    for (const ref of p.matchAll(QUOTED_REFERENCE)) refs.add(checkReference(ref[1], at));
  }
}

/**
 * `data` with every bulkId reference replaced by the id of the resource its POST created, as
 * collectReferences found them. A copy: the request's data is left as it was.
 */
export function resolveReferences(data: unknown, ids: ReadonlyMap<string, string>, patch: boolean): unknown {
  const swap = (s: string): string => {
    const ref = REFERENCE.exec(s);
    return ref && ids.has(ref[1]) ? ids.get(ref[1])! : s;
  };
  const copy = (v: unknown, key?: string, inPatchOp = false): unknown => {
    if (typeof v === 'string') {
      const whole = swap(v);
      if (whole !== v || !inPatchOp || key?.toLowerCase() !== 'path') return whole;
      return v.replace(QUOTED_REFERENCE, (all, id: string) => (ids.has(id) ? `"${ids.get(id)!}"` : all));
    }
    if (Array.isArray(v)) return v.map((x) => copy(x, undefined, inPatchOp));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = copy(x, k, inPatchOp);
      return out;
    }
    return v;
  };
  if (!patch || !isObject(data)) return copy(data);
  // Only the PatchOp's own operations have paths with filters in them.
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(data)) {
    out[k] = k.toLowerCase() === 'operations' && Array.isArray(x) ? x.map((op) => copy(op, undefined, true)) : copy(x, k);
  }
  return out;
}

/** How the operations are run: in which order, and which are part of a circular chain of references. */
export interface BulkPlan {
  /** Operation indexes in the order they run. */
  order: number[];
  /** Operations in a circle of bulkId references (a self-reference included): they fail without running. */
  circular: Set<number>;
  /** For each operation, the indexes of the POSTs whose bulkIds it refers to. */
  dependsOn: number[][];
  /** The POST operation of each bulkId. */
  definedAt: ReadonlyMap<string, number>;
}

/**
 * The order of a bulk request: request order, except that an operation waits for the POSTs whose
 * bulkIds it refers to (a forward reference runs once its POST has run). Operations in a circle of
 * references cannot be ordered: RFC 7644 §3.7.1 lets a server refuse them with 409, which Rollcall
 * does rather than create half of them and patch the rest in later (two writes, two sets of events
 * for what the client sent as one). They take their place in the order as soon as they are reached;
 * what depends on them then fails with them.
 */
export function planBulk({ operations, definedAt }: Pick<BulkRequest, 'operations' | 'definedAt'>): BulkPlan {
  const n = operations.length;
  const dependsOn = operations.map((op) => [...new Set(op.refs.map((r) => definedAt.get(r)!))]);
  const dependents: number[][] = Array.from({ length: n }, () => []);
  dependsOn.forEach((deps, i) => { for (const d of deps) dependents[d].push(i); });

  // Kahn's algorithm finds what can never be ordered: the circles and what hangs off them.
  const waiting = dependsOn.map((d) => d.length);
  const queue = waiting.flatMap((w, i) => (w === 0 ? [i] : []));
  const ordered = new Array<boolean>(n).fill(false);
  for (let q = 0; q < queue.length; q++) {
    ordered[queue[q]] = true;
    for (const d of dependents[queue[q]]) if (--waiting[d] === 0) queue.push(d);
  }
  // Of the rest, peel off what nothing left depends on (it hangs off a circle); what remains is
  // the circles themselves.
  const circular = new Set<number>();
  const left = new Set<number>();
  for (let i = 0; i < n; i++) if (!ordered[i]) left.add(i);
  const usedBy = new Map<number, number>();
  for (const i of left) usedBy.set(i, dependents[i].filter((d) => left.has(d)).length);
  const peel = [...left].filter((i) => usedBy.get(i) === 0);
  while (peel.length) {
    const i = peel.pop()!;
    left.delete(i);
    for (const d of dependsOn[i]) if (left.has(d)) { const c = usedBy.get(d)! - 1; usedBy.set(d, c); if (c === 0) peel.push(d); }
  }
  for (const i of left) circular.add(i);

  // The order: always the earliest operation that is ready (its references run, or it is circular).
  const remaining = dependsOn.map((d, i) => (circular.has(i) ? 0 : d.length));
  const heap = new MinHeap();
  for (let i = 0; i < n; i++) if (remaining[i] === 0) heap.push(i);
  const order: number[] = [];
  while (heap.size) {
    const i = heap.pop();
    order.push(i);
    for (const d of dependents[i]) if (!circular.has(d) && --remaining[d] === 0) heap.push(d);
  }
  return { order, circular, dependsOn, definedAt };
}

class MinHeap {
  private readonly a: number[] = [];
  get size(): number { return this.a.length; }
  push(v: number): void {
    const a = this.a;
    a.push(v);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/** One operation's answer in the BulkResponse (RFC 7644 §3.7.3). `status` is a string, as the RFC's examples write it. */
export interface BulkOperationResult {
  method: BulkMethod;
  bulkId?: string;
  version?: string;
  location?: string;
  status: string;
  response?: ScimErrorBody;
}

export function bulkResponse(results: BulkOperationResult[]) {
  return { schemas: [BULK_RESPONSE_SCHEMA], Operations: results };
}

/** The 413 of a body over maxPayloadSize (RFC 7644 §3.7.4: the error names the limit). */
export function bulkPayloadTooLarge(maxPayloadSize: number): ScimError {
  const err = payloadTooLarge(`The /Bulk request body is larger than ${maxPayloadSize} bytes, the most this server accepts for /Bulk (maxPayloadSize in /ServiceProviderConfig). Send the operations in smaller requests.`);
  return new ScimError(err.status, err.message, undefined, {}, { code: 'bulkMaxPayloadSize' });
}

/** What an operation fails with when it is part of a circle of bulkId references. */
export function circularReference(op: BulkOperation, plan: BulkPlan): ScimError {
  const others = [...plan.circular].filter((i) => i !== op.index).sort((a, b) => a - b);
  const self = plan.dependsOn[op.index].includes(op.index);
  const named = others.slice(0, 5).map((i) => `Operations[${i}]`).join(', ') + (others.length > 5 ? ` and ${others.length - 5} more` : '');
  const what = self ? 'refers to its own bulkId' : `is part of a circle of bulkId references (operations in circles: ${named || 'itself'})`;
  return new ScimError(409, `Operations[${op.index}] ${what}, which this server does not resolve (RFC 7644 §3.7.1 allows a 409). Create the resources without those references, then add them with PATCH.`,
    'invalidValue', {}, { code: 'bulkCircularReference' });
}

/** What an operation fails with when a POST it refers to did not create its resource. */
export function failedReference(op: BulkOperation, bulkId: string, status: string): ScimError {
  return new ScimError(409, `Operations[${op.index}] refers to "bulkId:${bulkId}", whose POST failed (status ${status}); nothing was done.`,
    'invalidValue', {}, { code: 'bulkFailedReference' });
}
