// Steps, the checks inside them, and the runner that plays a sequence of steps. A step sends one or
// more requests and checks the answers; the first expectation that does not hold ends the step with
// a CheckFailure: the exchange it is about, what was expected, and what the IdP would do next.
import type { Exchange, ScimClient } from './http.ts';
import { ERROR_SCHEMA } from '../scim/errors.ts';
import { LIST_RESPONSE_SCHEMA } from '../scim/list.ts';
import { PATCH_SCHEMA } from '../scim/patch.ts';
import { GROUP_SCHEMA, USER_SCHEMA } from '../scim/schemas/core.ts';
import { ENTERPRISE_USER_SCHEMA } from '../scim/schemas/enterprise-user.ts';

export type StepStatus = 'pass' | 'fail' | 'skip';

export interface StepFailure {
  expected: string;
  /** What Okta or Entra would do when a server answers like this. */
  consequence: string;
  exchange?: Exchange;
}

export interface StepResult {
  id: string;
  title: string;
  status: StepStatus;
  ms: number;
  /** Why a step was skipped (a step before it failed, or the server does not advertise the feature). */
  reason?: string;
  failure?: StepFailure;
  requests: number;
}

export class CheckFailure extends Error {
  constructor(readonly failure: StepFailure) { super(failure.expected); }
}

/** Ends a step as skipped (not a failure): e.g. ETags when the server does not advertise them. */
export class Skip extends Error {}

export const SCIM = {
  user: USER_SCHEMA,
  group: GROUP_SCHEMA,
  enterprise: ENTERPRISE_USER_SCHEMA,
  patchOp: PATCH_SCHEMA,
  listResponse: LIST_RESPONSE_SCHEMA,
  error: ERROR_SCHEMA,
  spc: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
} as const;

export type Json = Record<string, unknown>;

/** What a run keeps between steps: ids of what it created, the run id, the server's discovery. */
export interface RunState {
  runId: string;
  /** Created resources not yet deleted, for the cleanup: `/Users/<id>` or `/Groups/<id>`. */
  created: Set<string>;
  ids: Map<string, string>;
  spc?: Json;
}

export interface StepContext {
  http: ScimClient;
  state: RunState;
  /** A unique name for this run: `rc-<runId>-<label>`. */
  name(label: string): string;
  /** Sends, and fails the step if no answer came at all. */
  send(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** The id remembered under `key` by an earlier step; skips this step when there is none. */
  id(key: string): string;
}

/** An exchange that got an answer, with helpers for checking it. */
export interface Answer {
  exchange: Exchange;
  status: number;
  json: Json | undefined;
  header(name: string): string | undefined;
}

export interface Step {
  id: string;
  title: string;
  /** Ids (from RunState.ids) this step needs; when one is missing it is skipped. */
  needs?: string[];
  run(ctx: StepContext): Promise<void>;
}

export interface Sequence {
  id: string;
  title: string;
  steps: Step[];
}

// ---- expectations (pure: they look at an Answer, throw CheckFailure) ----

export function fail(a: Answer | undefined, expected: string, consequence: string): never {
  throw new CheckFailure({ expected, consequence, ...(a ? { exchange: a.exchange } : {}) });
}

export function expectStatus(a: Answer, allowed: number | number[], consequence: string): void {
  const list = Array.isArray(allowed) ? allowed : [allowed];
  if (!list.includes(a.status)) fail(a, `HTTP ${list.join(' or ')}, got ${a.status}`, consequence);
}

/** A JSON object body, or the step fails. */
export function body(a: Answer, consequence: string): Json {
  if (!a.json || typeof a.json !== 'object' || Array.isArray(a.json)) fail(a, 'a JSON object in the response body', consequence);
  return a.json;
}

/** A ListResponse (RFC 7644 §3.4.2): integer totalResults, Resources an array (may be absent when empty). */
export function listOf(a: Answer, consequence: string): { total: number; resources: Json[]; startIndex?: number; itemsPerPage?: number } {
  const b = body(a, consequence);
  const schemas = b.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(SCIM.listResponse)) fail(a, `a ListResponse ("schemas": ["${SCIM.listResponse}"])`, consequence);
  if (typeof b.totalResults !== 'number' || !Number.isInteger(b.totalResults)) fail(a, 'totalResults as a JSON integer', consequence);
  const resources = b.Resources ?? [];
  if (!Array.isArray(resources)) fail(a, 'Resources as a JSON array', consequence);
  for (const k of ['startIndex', 'itemsPerPage'] as const) {
    if (b[k] !== undefined && (typeof b[k] !== 'number' || !Number.isInteger(b[k]))) fail(a, `${k} as a JSON integer (not ${JSON.stringify(b[k])})`, consequence);
  }
  if (resources.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) fail(a, 'every entry of Resources to be a JSON object', consequence);
  if (b.totalResults > 0 && resources.length === 0 && (b.startIndex === undefined || b.startIndex === 1)) {
    fail(a, `Resources on the first page when totalResults is ${b.totalResults}`, consequence);
  }
  return { total: b.totalResults, resources: resources as Json[], startIndex: b.startIndex as number | undefined, itemsPerPage: b.itemsPerPage as number | undefined };
}

/** A SCIM error body (RFC 7644 §3.12) with the given status and, optionally, scimType. */
export function expectScimError(a: Answer, status: number, scimType: string | undefined, consequence: string): void {
  expectStatus(a, status, consequence);
  const b = body(a, consequence);
  if (!Array.isArray(b.schemas) || !b.schemas.includes(SCIM.error)) fail(a, `a SCIM error body ("schemas": ["${SCIM.error}"])`, consequence);
  if (String(b.status) !== String(status)) fail(a, `"status": "${status}" in the error body, got ${JSON.stringify(b.status)}`, consequence);
  if (scimType !== undefined && b.scimType !== scimType) fail(a, `"scimType": "${scimType}", got ${JSON.stringify(b.scimType)}`, consequence);
}

/** Reads a dotted path (`name.givenName`, `urn:…:User:department`) the way the tests name values. */
export function valueAt(resource: Json, path: string): unknown {
  const urn = path.match(/^(urn:[^ ]+:2\.0:User):(.+)$/);
  if (urn) {
    const ext = lowerKeys(resource)[urn[1].toLowerCase()];
    return ext && typeof ext === 'object' ? valueAt(ext as Json, urn[2]) : undefined;
  }
  let cur: unknown = resource;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = lowerKeys(cur as Json)[part.toLowerCase()];
  }
  return cur;
}

function lowerKeys(o: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) out[k.toLowerCase()] = v;
  return out;
}

/** The value of the email (or phone, address…) of a given type. */
export function typed(resource: Json, attr: string, type: string, sub = 'value'): unknown {
  const list = valueAt(resource, attr);
  if (!Array.isArray(list)) return undefined;
  const item = list.find((e) => e && typeof e === 'object' && String((e as Json).type).toLowerCase() === type) as Json | undefined;
  return item ? valueAt(item, sub) : undefined;
}

export function expectValue(a: Answer, resource: Json, path: string, want: unknown, consequence: string): void {
  const got = valueAt(resource, path);
  if (!sameValue(got, want)) fail(a, `${path} to be ${JSON.stringify(want)}, got ${got === undefined ? 'nothing' : JSON.stringify(got)}`, consequence);
}

function sameValue(got: unknown, want: unknown): boolean {
  if (typeof want === 'string' && typeof got === 'string') return got === want;
  return JSON.stringify(got) === JSON.stringify(want);
}

/** The member ids of a group resource. */
export function memberIds(group: Json): string[] {
  const m = valueAt(group, 'members');
  if (m === undefined || m === null) return [];
  if (!Array.isArray(m)) return ['(members is not an array)'];
  return m.map((x) => String((x as Json)?.value)).sort();
}

// ---- running ----

export interface RunOptions {
  http: ScimClient;
  state: RunState;
  onStart?(seq: Sequence, step: Step): void;
  onEnd?(seq: Sequence, result: StepResult): void;
}

class MissingId extends Error {}

export async function runSequence(seq: Sequence, opts: RunOptions): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of seq.steps) {
    opts.onStart?.(seq, step);
    const before = opts.http.log.length;
    const started = performance.now();
    let result: StepResult;
    const missing = (step.needs ?? []).filter((k) => !opts.state.ids.has(k));
    if (missing.length) {
      result = { id: step.id, title: step.title, status: 'skip', ms: 0, reason: `an earlier step did not provide ${missing.join(', ')}`, requests: 0 };
    } else {
      const ctx = stepContext(opts);
      try {
        await step.run(ctx);
        result = { id: step.id, title: step.title, status: 'pass', ms: 0, requests: 0 };
      } catch (err) {
        if (err instanceof CheckFailure) result = { id: step.id, title: step.title, status: 'fail', ms: 0, failure: err.failure, requests: 0 };
        else if (err instanceof Skip || err instanceof MissingId) result = { id: step.id, title: step.title, status: 'skip', ms: 0, reason: err.message, requests: 0 };
        else result = { id: step.id, title: step.title, status: 'fail', ms: 0, failure: { expected: `no error in the check itself: ${(err as Error).message}`, consequence: 'none: this is a fault of rollcall check, please report it' }, requests: 0 };
      }
    }
    result.ms = Math.round(performance.now() - started);
    result.requests = opts.http.log.length - before;
    results.push(result);
    opts.onEnd?.(seq, result);
  }
  return results;
}

function stepContext(opts: RunOptions): StepContext {
  return {
    http: opts.http,
    state: opts.state,
    name: (label) => `rc-${opts.state.runId}-${label}`,
    id(key) {
      const v = opts.state.ids.get(key);
      if (v === undefined) throw new MissingId(`an earlier step did not provide ${key}`);
      return v;
    },
    async send(method, path, payload, headers) {
      const exchange = await opts.http.send(method, path, payload, headers);
      if (!exchange.response) {
        throw new CheckFailure({ expected: `an HTTP answer (${exchange.error})`, consequence: 'the IdP would retry, then mark the provisioning run as failed', exchange });
      }
      const res = exchange.response;
      const json = res.json && typeof res.json === 'object' && !Array.isArray(res.json) ? res.json as Json : undefined;
      return { exchange, status: res.status, json, header: (n) => res.headers[n.toLowerCase()] };
    },
  };
}
