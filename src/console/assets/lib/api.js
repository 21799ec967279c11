// @ts-check
// The console's only way to the data: the admin API (/admin/v1), as any other client calls it,
// authenticated by the session cookie (sent by the browser, HttpOnly) and, on every write, the
// session's CSRF token in the X-CSRF-Token header (docs/console.md "Security"). Errors arrive as
// RFC 9457 problems and are thrown as ApiError, whose message is the problem's detail: pages show
// it as it is, because the admin API words every detail for the person who must fix it.

/**
 * Where Rollcall is mounted: '' on the standalone server, the vendor's prefix when the library's
 * plugin serves the console inside their own server. Read from this module's own URL
 * (<prefix>/console/assets/lib/api.js), so no page has to be told.
 */
export const prefix = new URL(import.meta.url).pathname.replace(/\/console\/assets\/.*$/, '');

/** The URL of a console page (path like '/tenants/acme'). @param {string} path */
export const consoleUrl = (path) => `${prefix}/console${path === '/' ? '' : path}`;

/** An absolute URL on this server (for values to copy: SCIM base URL, SAML endpoints). @param {string} path */
export const absoluteUrl = (path) => new URL(`${prefix}${path}`, location.origin).href;

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Record<string, any>} problem the problem body (type, title, status, detail, field, reason...)
   */
  constructor(status, problem) {
    super(typeof problem.detail === 'string' ? problem.detail : `The admin API answered ${status}.`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
    /** The problem type without its URN prefix: 'not-found', 'csrf', 'unauthorized'... */
    this.type = typeof problem.type === 'string' ? problem.type.replace(/^urn:rollcall:problem:/, '') : '';
  }
}

/** @type {string | null} */
let csrfToken = null;
/** Set by the session code (console.js, setup.js) once the session is known. @param {string | null} token */
export const setCsrfToken = (token) => { csrfToken = token; };

/** @type {() => void} */
let onSignedOut = () => {};
/** What to do when a request finds the session gone (401): show the sign-in page. @param {() => void} fn */
export const whenSignedOut = (fn) => { onSignedOut = fn; };

/**
 * Calls the admin API. `path` is relative to /admin/v1 ('/tenants'); `query` values that are
 * undefined, null or '' are left out. Resolves with the parsed JSON (undefined for 204).
 * @param {string} method
 * @param {string} path
 * @param {{ query?: Record<string, string | number | boolean | undefined | null>, body?: unknown, raw?: { contentType: string, text: string }, headers?: Record<string, string>, quietSignOut?: boolean }} [options]
 * @returns {Promise<any>}
 */
export async function api(method, path, options = {}) {
  const url = new URL(`${prefix}/admin/v1${path}`, location.origin);
  for (const [k, v] of Object.entries(options.query ?? {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  }
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json, application/problem+json', ...options.headers };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  /** @type {BodyInit | undefined} */
  let body;
  if (options.raw) { headers['content-type'] = options.raw.contentType; body = options.raw.text; }
  else if (options.body !== undefined) { headers['content-type'] = 'application/json'; body = JSON.stringify(options.body); }
  let res;
  try {
    res = await fetch(url, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { detail: 'The Rollcall server did not answer. Check that it is running and reachable, then try again.' });
  }
  if (res.status === 204) return undefined;
  const text = await res.text();
  /** @type {any} */
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  if (!res.ok) {
    const err = new ApiError(res.status, json && typeof json === 'object' ? json : { detail: `The admin API answered ${res.status} ${res.statusText}.` });
    if (res.status === 401 && !options.quietSignOut) onSignedOut();
    throw err;
  }
  return json;
}

/**
 * Every page of a cursor-paged list ({ data, next }) up to `max` items, for small lists (tokens,
 * connections). Long lists page in the UI instead (ui.js pager()).
 * @param {string} path
 * @param {Record<string, string | number | undefined>} [query]
 * @param {number} [max]
 */
export async function all(path, query = {}, max = 1000) {
  /** @type {any[]} */
  const items = [];
  let after;
  do {
    const page = await api('GET', path, { query: { ...query, after, limit: 200 } });
    items.push(...(page.data ?? page.items ?? []));
    after = page.next ?? undefined;
  } while (after && items.length < max);
  return items;
}

/** A path segment, encoded. @param {string} s */
export const seg = (s) => encodeURIComponent(s);
