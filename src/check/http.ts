// The small HTTP client of `rollcall check`: every request goes to the SCIM base URL it was given
// (never anywhere else: redirects are not followed), with the bearer token and a timeout, and
// comes back as an Exchange that a failure report can print as it was sent and received.

export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

export interface ReceivedResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text (cut at 64 KiB), and parsed when it is JSON. */
  text: string;
  json?: unknown;
}

export interface Exchange {
  request: SentRequest;
  /** Absent when no answer came (refused, timed out, TLS error); then `error` says why. */
  response?: ReceivedResponse;
  error?: string;
  ms: number;
}

export interface ScimClient {
  readonly baseUrl: string;
  /** `path` is relative to the base URL, e.g. `/Users?filter=…` (already encoded). */
  send(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Exchange>;
  /** Every exchange so far, oldest first. */
  readonly log: Exchange[];
}

const MAX_TEXT = 64 * 1024;

/** The base URL given cannot be used (a usage error, exit code 2). */
export class BadTarget extends Error {}

/** The base URL, checked: http or https, no query or fragment, no trailing slash. */
export function normaliseBaseUrl(raw: string): string {
  let u: URL;
  try { u = new URL(raw); } catch { throw new BadTarget(`"${raw}" is not a URL; give the SCIM base URL, e.g. https://app.example.com/scim/v2`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BadTarget(`the SCIM base URL must be http or https, not ${u.protocol}`);
  if (u.search || u.hash) throw new BadTarget('the SCIM base URL must not have a query or a fragment');
  if (u.username || u.password) throw new BadTarget('put credentials in --token, not in the URL');
  return u.href.replace(/\/+$/, '');
}

/** Joins the base URL and a path, refusing anything that would leave the base URL. */
export function targetUrl(baseUrl: string, path: string): string {
  if (!path.startsWith('/')) throw new Error(`path must start with "/": ${path}`);
  const url = baseUrl + path;
  const parsed = new URL(url);
  const base = new URL(baseUrl);
  if (parsed.origin !== base.origin || !parsed.pathname.startsWith(base.pathname)) throw new Error(`refusing to send outside ${baseUrl}: ${url}`);
  return url;
}

export function createClient(opts: { baseUrl: string; token: string; timeoutMs: number; userAgent?: string }): ScimClient {
  const log: Exchange[] = [];
  return {
    baseUrl: opts.baseUrl,
    log,
    async send(method, path, body, extra = {}) {
      const url = targetUrl(opts.baseUrl, path);
      const headers: Record<string, string> = {
        accept: 'application/scim+json, application/json',
        'user-agent': opts.userAgent ?? 'rollcall-check',
        ...(body === undefined ? {} : { 'content-type': 'application/scim+json; charset=utf-8' }),
        ...extra,
      };
      const shown: SentRequest = { method, url, headers: { ...headers, authorization: 'Bearer …' }, ...(body === undefined ? {} : { body }) };
      const started = performance.now();
      const exchange: Exchange = { request: shown, ms: 0 };
      try {
        const res = await fetch(url, {
          method,
          headers: { ...headers, authorization: `Bearer ${opts.token}` },
          body: body === undefined ? undefined : JSON.stringify(body),
          redirect: 'manual',
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        const raw = await res.text();
        const text = raw.length > MAX_TEXT ? `${raw.slice(0, MAX_TEXT)}…` : raw;
        const resHeaders: Record<string, string> = {};
        res.headers.forEach((v, k) => { resHeaders[k] = v; });
        let json: unknown;
        if (raw.trim()) { try { json = JSON.parse(raw); } catch { json = undefined; } }
        exchange.response = { status: res.status, headers: resHeaders, text, ...(json === undefined ? {} : { json }) };
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        exchange.error = e.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs / 1000} s`
          : e.cause?.code ? `${e.cause.code}: ${e.cause.message ?? e.message}` : e.message;
      }
      exchange.ms = Math.round(performance.now() - started);
      log.push(exchange);
      return exchange;
    },
  };
}
