// Console sessions as a browser holds them, for the HTTP tests of the console's sessions, CSRF and
// setup links: the session cookie taken from Set-Cookie, the CSRF token from the answer, and a
// request helper that sends the cookie (and, when asked, the CSRF token) instead of a key.
import assert from 'node:assert/strict';
import { adminRequest, type AdminAnswer } from './admin.ts';

export interface BrowserSession {
  /** "rollcall_session=<secret>", as the browser sends it back. */
  cookie: string;
  csrfToken: string;
  /** The Set-Cookie header the sign-in answered with. */
  setCookie: string;
  body: Record<string, unknown>;
}

function sessionOf(res: AdminAnswer): BrowserSession {
  assert.equal(res.status, 201, res.text);
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('rollcall_session='));
  assert.ok(setCookie, `the answer sets the rollcall_session cookie: ${res.headers.getSetCookie().join(' | ')}`);
  const body = res.body as Record<string, unknown>;
  assert.equal(typeof body.csrfToken, 'string', res.text);
  return { cookie: setCookie.split(';')[0], csrfToken: body.csrfToken as string, setCookie, body };
}

/** Signs in with an admin key (POST /admin/v1/sessions). */
export async function signInWithKey(baseUrl: string, key: string): Promise<BrowserSession> {
  return sessionOf(await adminRequest(baseUrl, 'POST', '/sessions', { key }));
}

/** Opens a setup link with its token (POST /admin/v1/setup/sessions). */
export async function openSetupLink(baseUrl: string, token: string): Promise<BrowserSession> {
  return sessionOf(await adminRequest(baseUrl, 'POST', '/setup/sessions', { key: null, body: { token } }));
}

/**
 * A request to /admin/v1 as the console makes it: the session cookie, no Authorization header,
 * and the CSRF token unless `csrf` is false (or another value to send).
 */
export function asBrowser(baseUrl: string, session: Pick<BrowserSession, 'cookie' | 'csrfToken'>, method: string, path: string,
  opts: { body?: unknown; raw?: string; csrf?: boolean | string; headers?: Record<string, string> } = {}): Promise<AdminAnswer> {
  const csrf = opts.csrf === undefined || opts.csrf === true ? session.csrfToken : opts.csrf === false ? undefined : opts.csrf;
  return adminRequest(baseUrl, method, path, {
    key: null, body: opts.body, raw: opts.raw,
    headers: { cookie: session.cookie, ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }), ...opts.headers },
  });
}
