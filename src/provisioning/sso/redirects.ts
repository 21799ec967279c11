// Where a signed-in user may be sent: the tenant's allow-list of app URLs (settings sso.redirectUrls).
// A returnTo that is not on the list is an open redirect (CWE-601): anyone could mail a login link
// that lands the user, freshly signed in and with a one-time code in the URL, on their own site.
// So the check is strict and structural: the URL is parsed once by the WHATWG parser (the one
// browsers use, so what we compare is what the browser will follow), anything the parsers of the
// world disagree on (backslashes, control characters, spaces) is refused before parsing, and the
// parsed scheme, host, port and path are compared with the entry's, never as strings.
import type { SsoSettings } from './settings.ts';

export type ReturnToReason = 'not_url' | 'not_allowed' | 'no_allow_list' | 'scheme';

export class ReturnToRefused extends Error {
  constructor(readonly reason: ReturnToReason, message: string) {
    super(message);
    this.name = 'ReturnToRefused';
  }
}

/** Longest returnTo accepted; browsers and proxies cut URLs around 2-8 KB. */
export const RETURN_TO_MAX = 2048;

// Characters on which URL parsers disagree: a backslash is a slash to the WHATWG parser for http(s)
// but not to others (`https://app.example\@evil.example`), and tabs/newlines are silently dropped.
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const AMBIGUOUS = /[\\\u0000-\u0020\u007f]/;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether `host` (URL.hostname) is this machine: plain http is allowed only there (development). */
export const isLoopback = (hostname: string): boolean => LOOPBACK.has(hostname);

/**
 * An allow-list entry as a URL, or a sentence saying what is wrong with it (settings.ts reports it
 * at the entry's pointer). An entry is a scheme, host, optional port and path prefix: no userinfo,
 * query or fragment; https, or http for localhost and 127.0.0.1 only.
 */
export function parseAllowEntry(raw: string): URL | string {
  if (AMBIGUOUS.test(raw)) return 'must not contain spaces, backslashes or control characters';
  let url: URL;
  try { url = new URL(raw); } catch { return 'must be an absolute URL such as https://app.example.com/sso/callback'; }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must be an https URL (got ${url.protocol})`;
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) return 'must be https (plain http only for localhost and 127.0.0.1, in development)';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password';
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) return 'must not have a query or fragment: an entry is a scheme, host, port and path prefix';
  return url;
}

/** Whether `path` is `prefix` or below it, segment-wise: '/app' holds '/app' and '/app/x', not '/application'. */
function under(path: string, prefix: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return path.startsWith(base);
}

/**
 * An absolute URL allowed by the list: same scheme, host and port as an entry and a path under the
 * entry's path; no userinfo; https (http only for localhost/127.0.0.1 entries). Returns the URL to
 * redirect to (as parsed: dot segments resolved). An absent `raw` means the tenant's
 * defaultRedirectUrl, itself checked. Throws ReturnToRefused.
 */
export function checkReturnTo(settings: SsoSettings, raw: string | undefined): URL {
  const entries = settings.redirectUrls.map(parseAllowEntry).filter((e): e is URL => typeof e !== 'string');
  if (entries.length === 0) {
    throw new ReturnToRefused('no_allow_list', 'This tenant has no redirect URLs configured (settings sso.redirectUrls), so a sign-in cannot be handed to the app.');
  }
  if (raw === undefined || raw === '') {
    if (settings.defaultRedirectUrl === null) {
      throw new ReturnToRefused('not_allowed', 'No returnTo was given and this tenant has no default redirect URL (settings sso.defaultRedirectUrl).');
    }
    raw = settings.defaultRedirectUrl;
  }
  if (raw.length > RETURN_TO_MAX) throw new ReturnToRefused('not_url', `returnTo is longer than ${RETURN_TO_MAX} characters.`);
  if (AMBIGUOUS.test(raw)) throw new ReturnToRefused('not_url', 'returnTo must not contain spaces, backslashes or control characters.');
  let url: URL;
  // No base URL: a relative or scheme-relative returnTo ('/x', '//evil.example') is refused here.
  try { url = new URL(raw); } catch { throw new ReturnToRefused('not_url', 'returnTo must be an absolute URL (https://…).'); }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ReturnToRefused('scheme', `returnTo must be an https URL, not ${url.protocol}.`);
  if (url.username !== '' || url.password !== '') throw new ReturnToRefused('not_allowed', 'returnTo must not carry a user name or password.');
  const allowed = entries.some((e) => e.protocol === url.protocol && e.host === url.host && under(url.pathname, e.pathname));
  if (!allowed) throw new ReturnToRefused('not_allowed', `returnTo ${url.origin}${url.pathname} is not one of this tenant's redirect URLs (settings sso.redirectUrls).`);
  return url;
}
