// A captured request turned into the row the log keeps (provisioning/request-log/recorder.ts): bodies
// redacted and cut to size, short fields capped. Done off the request path — in the log's writer
// thread (writer-worker.ts), or in the recorder's batch when the log is written from the serving
// thread — never while a request waits. Imports nothing that costs a thread's start.
import type { RequestLogConfig } from '../../config/config.ts';
import type { NewRequestLogEntry, RecordedBody } from '../../store/store.ts';
import type { CapturedRequest } from './recorder.ts';
import { ALWAYS_REDACTED, redactJson } from './redact.ts';

/** Caps on the short text fields: a hostile URL or header cannot make a row large. */
const MAX_PATH = 2048;
const MAX_DETAIL = 2000;
const MAX_USER_AGENT = 512;

const cut = (s: string | null, max: number) => (s !== null && s.length > max ? s.slice(0, max) : s);

/** What of the log's configuration the rows depend on (sent to the writer thread as it is). */
export type RowConfig = Pick<RequestLogConfig, 'maxBodyChars' | 'redact'>;

/**
 * A batch as it crosses to the writer thread: one flat array, STRIDE values per request. Copying a
 * message costs the sending thread less for plain values than for objects (whose keys are copied
 * too); one string of all the texts and a transferred Float64Array of the numbers was tried and
 * measured no cheaper (docs/performance.md "Issue 13").
 */
export type PackedBatch = unknown[];
const STRIDE = 19;

export function packBatch(items: readonly [CapturedRequest, string][]): PackedBatch {
  const out: unknown[] = new Array(items.length * STRIDE);
  let i = 0;
  for (const [c, tenantId] of items) {
    out[i++] = tenantId; out[i++] = c.atMs; out[i++] = c.method; out[i++] = c.path; out[i++] = c.filter; out[i++] = c.status;
    out[i++] = c.scimType; out[i++] = c.detail; out[i++] = c.reason; out[i++] = c.latencyMs; out[i++] = c.requestId; out[i++] = c.tokenId;
    out[i++] = c.userAgent; out[i++] = c.resourceType; out[i++] = c.resourceId; out[i++] = c.requestBody; out[i++] = c.requestSize;
    out[i++] = c.responseBody; out[i++] = c.responseSize;
  }
  return out;
}

export function unpackBatch(packed: PackedBatch): [CapturedRequest, string][] {
  const out: [CapturedRequest, string][] = [];
  for (let i = 0; i + STRIDE <= packed.length; i += STRIDE) {
    const v = packed as never[];
    out.push([{
      tenantId: v[i], tenantSlug: '', atMs: v[i + 1], method: v[i + 2], path: v[i + 3], filter: v[i + 4], status: v[i + 5], scimType: v[i + 6],
      detail: v[i + 7], reason: v[i + 8], latencyMs: v[i + 9], requestId: v[i + 10], tokenId: v[i + 11], userAgent: v[i + 12],
      resourceType: v[i + 13], resourceId: v[i + 14], requestBody: v[i + 15], requestSize: v[i + 16], responseBody: v[i + 17], responseSize: v[i + 18],
    }, v[i]]);
  }
  return out;
}

export class RowBuilder {
  private readonly names: ReadonlySet<string>;
  private readonly redactsAnswers: boolean;
  private readonly maxBodyChars: number;

  constructor(config: RowConfig) {
    // password is redacted whatever the list given says: enforced here, where redaction happens.
    this.names = new Set([...ALWAYS_REDACTED, ...config.redact].map((n) => n.toLowerCase()));
    // Only `password` redacted (the default): a successful answer cannot hold it (RFC 7643 §4.1.1:
    // returned "never", and Rollcall never returns it), so such answers are recorded without the
    // scan. An error's answer is scanned all the same (its detail might quote what was sent).
    this.redactsAnswers = [...this.names].some((n) => !ALWAYS_REDACTED.includes(n));
    this.maxBodyChars = config.maxBodyChars;
  }

  row(c: CapturedRequest, tenantId: string): NewRequestLogEntry {
    return {
      tenantId, at: new Date(c.atMs).toISOString(), method: c.method, path: cut(c.path, MAX_PATH)!, filter: cut(c.filter, MAX_PATH),
      status: c.status, scimType: c.scimType, detail: cut(c.detail, MAX_DETAIL), reason: c.reason,
      latencyMs: Math.round(c.latencyMs * 100) / 100, requestId: c.requestId, tokenId: c.tokenId, userAgent: cut(c.userAgent, MAX_USER_AGENT),
      resourceType: c.resourceType, resourceId: cut(c.resourceId, 255),
      requestBody: this.body(c.requestBody, c.requestSize), responseBody: this.body(c.responseBody, c.responseSize, c.status >= 400 || this.redactsAnswers),
    };
  }

  private body(kept: string | undefined, size: number, redact = true): RecordedBody | null {
    if (kept === undefined || size === 0 || this.maxBodyChars === 0) return null;
    const max = this.maxBodyChars;
    let text = redact ? redactJson(kept, this.names, kept.length === size) : kept;
    const truncated = size > kept.length || text.length > max;
    if (text.length > max) text = text.slice(0, max);
    return { text, size, truncated };
  }
}
