// The webhook Sink: one POST per event, signed per Standard Webhooks (webhook-signing.ts), to an
// address the guard allows (webhook-address-guard.ts). What the receiver answers decides the outcome:
// only 2xx delivers; 3xx is a failure (redirects are not followed: the signature was made for this
// endpoint, and a redirect could point anywhere, the guard's addresses included); 410 Gone disables
// the endpoint; 429 and 503 may ask for a pause with Retry-After; anything else, a timeout or a network
// error is retried on the schedule.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Clock } from '../provisioning/clock.ts';
import type { EventRecord } from '../store/store.ts';
import { payloadOf } from './payload.ts';
import type { ConsumerView, DeliveryOutcome, Sink } from './sink.ts';
import { AddressRefused, checkEndpointUrl, guardedLookup, type AddressPolicy } from './webhook-address-guard.ts';
import { signatureHeader } from './webhook-signing.ts';

export interface WebhookOptions extends AddressPolicy {
  /** How long a receiver may take to answer, ms (default 15 s). */
  timeoutMs: number;
}

/** The consumer as the engine hands it over: with its secrets (ConsumerRecord). */
export interface WebhookConsumer extends ConsumerView {
  secret?: string | null;
  previousSecret?: string | null;
  previousUntil?: string | null;
}

/** How much of a response body is kept for the attempt's error text; the rest is dropped unread. */
const BODY_KEPT = 2048;
/** Longest pause a Retry-After may ask for: one day (the schedule's own longest delay). */
const RETRY_AFTER_CAP_MS = 24 * 60 * 60 * 1000;
export const USER_AGENT = 'Rollcall-Webhooks/1 (+https://github.com/rollcall; Standard Webhooks)';

export class WebhookSink implements Sink {
  private readonly lookup;
  /**
   * Connections are kept alive and reused: a new connection per event cost more than the delivery
   * (bench). Every new connection still resolves through the guard's lookup, so a reused connection
   * is one whose address the guard allowed when it was made.
   */
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  constructor(private readonly options: WebhookOptions, private readonly clock: Clock) {
    this.lookup = guardedLookup(options);
    const agentOptions = { keepAlive: true, maxSockets: 16, maxFreeSockets: 16, timeout: 60_000, lookup: this.lookup };
    this.agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  async deliver(event: EventRecord, consumer: WebhookConsumer, signal: AbortSignal): Promise<DeliveryOutcome> {
    if (!consumer.url || !consumer.secret) return { ok: false, permanent: true, error: 'the endpoint has no URL or secret' };
    let url: URL;
    try {
      url = checkEndpointUrl(consumer.url, this.options);
    } catch (err) {
      if (err instanceof AddressRefused) return { ok: false, error: err.message };
      throw err;
    }
    const body = JSON.stringify(payloadOf(event));
    const now = this.clock.now();
    const timestamp = Math.floor(now / 1000);
    const secrets = [consumer.secret];
    if (consumer.previousSecret && consumer.previousUntil && Date.parse(consumer.previousUntil) > now) secrets.push(consumer.previousSecret);
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': USER_AGENT,
      'webhook-id': event.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(secrets, event.id, timestamp, body),
    };
    try {
      const res = await this.post(url, headers, body, signal);
      return this.outcome(res.status, res.headers, res.text, now);
    } catch (err) {
      return { ok: false, error: describe(err) };
    }
  }

  private outcome(status: number, headers: IncomingMessage['headers'], text: string, now: number): DeliveryOutcome {
    if (status >= 200 && status < 300) return { ok: true, status };
    const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 200);
    const error = `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`;
    if (status === 410) return { ok: false, status, disable: true, error: `${error} (the receiver says the endpoint is gone: disabled)` };
    if (status >= 300 && status < 400) return { ok: false, status, error: `${error} (redirects are not followed${headers.location ? `; Location: ${String(headers.location).slice(0, 200)}` : ''})` };
    if (status === 429 || status === 503) {
      const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
      return { ok: false, status, error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    }
    return { ok: false, status, error };
  }

  private post(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
    return new Promise((resolve, reject) => {
      const https = url.protocol === 'https:';
      const send = https ? httpsRequest : httpRequest;
      const req = send(url, { method: 'POST', headers, lookup: this.lookup, signal, agent: https ? this.agents.https : this.agents.http });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      req.once('error', (err) => { clearTimeout(timer); reject(err); });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        let finished = false;
        const finish = (reuse: boolean) => {
          if (finished) return;
          finished = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
          // A body read to its end leaves the connection to be reused; a long one is cut off, with its connection.
          if (!reuse) res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (kept < BODY_KEPT) { chunks.push(chunk.subarray(0, BODY_KEPT - kept)); kept += chunk.length; }
          if (kept >= BODY_KEPT) finish(false);
        });
        res.once('end', () => finish(true));
        res.once('error', () => finish(false));
      });
      req.end(body);
    });
  }
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from now, capped; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), RETRY_AFTER_CAP_MS);
}

function describe(err: unknown): string {
  if (err instanceof AddressRefused) return err.message;
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'AbortError') return 'abandoned: the process is stopping';
  return [e?.code, e?.message].filter(Boolean).join(': ') || 'request failed';
}
