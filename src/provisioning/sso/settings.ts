// Settings "sso" (issue 12, docs/sso.md): how a SAML sign-in is handed to the app (the allow-list of
// app URLs, code or JWT), and how the signed-in person is found among the tenant's users. Checked
// like every other section of the settings document (tenants/settings-document.ts): every problem at
// its JSON pointer, unknown keys refused.
import { checkReturnTo, parseAllowEntry, ReturnToRefused } from './redirects.ts';

export interface SsoSettings {
  /** Allow-list of app URLs (redirects.ts); [] = SSO cannot hand off (login refused with a clear page). */
  redirectUrls: string[];
  /** Where IdP-initiated logins and logins without returnTo land; must match the allow-list. */
  defaultRedirectUrl: string | null;
  /** code: redirect with ?code=; jwt: an auto-submitted form POST of `token` to the URL. */
  handoff: 'code' | 'jwt';
  /** Split's "SSO strict": exposed to the app (settings, profile); Rollcall itself has no password login. */
  ssoRequired: boolean;
  /** Create unknown users at sign-in; only honoured while the tenant's SCIM mode is disabled. */
  justInTime: boolean;
  /** How the NameID (or nameIdAttribute) finds the user, case-insensitively. */
  matchBy: 'userName' | 'email';
  /** A SAML attribute name to use instead of the NameID. */
  nameIdAttribute: string | null;
  /** A user attribute path naming the connection (by name) the user must sign in with. */
  connectionAttribute: string | null;
  /** Tolerated clock difference with the IdP, in seconds (0..600). */
  clockSkewSeconds: number;
}

export const SSO_LIMITS = { redirectUrls: 50, urlLength: 2000, attributeLength: 256, clockSkewSeconds: 600 } as const;
export const SSO_KEYS = ['redirectUrls', 'defaultRedirectUrl', 'handoff', 'ssoRequired', 'justInTime', 'matchBy', 'nameIdAttribute', 'connectionAttribute', 'clockSkewSeconds'] as const;

export const DEFAULT_SSO: Readonly<SsoSettings> = Object.freeze({
  redirectUrls: Object.freeze([]) as unknown as string[],
  defaultRedirectUrl: null,
  handoff: 'code' as const,
  ssoRequired: false,
  justInTime: false,
  matchBy: 'userName' as const,
  nameIdAttribute: null,
  connectionAttribute: null,
  // SAML conditions are minute-grained in practice; a minute covers ordinary NTP drift.
  clockSkewSeconds: 60,
});

const nullableString = (max: number, description: string) => ({ type: ['string', 'null'], minLength: 1, maxLength: max, default: null, description });

export const ssoJsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'SAML single sign-on: where the signed-in user is handed to the app, and how they are found (docs/sso.md).',
  properties: {
    redirectUrls: {
      type: 'array', maxItems: SSO_LIMITS.redirectUrls, default: [],
      items: { type: 'string', minLength: 1, maxLength: SSO_LIMITS.urlLength },
      description: 'App URLs a sign-in may return to: scheme, host, port and path prefix (https; http for localhost only). Empty: sign-in is refused.',
    },
    defaultRedirectUrl: nullableString(SSO_LIMITS.urlLength, 'Where IdP-initiated sign-ins and sign-ins without returnTo land; must be allowed by redirectUrls'),
    handoff: { enum: ['code', 'jwt'], default: 'code', description: 'code: redirect with ?code= (exchanged at POST /admin/v1/sso/token); jwt: a form POST of `token` to the URL' },
    ssoRequired: { type: 'boolean', default: false, description: 'Tells the app that this tenant\'s users must sign in with SSO (in the profile and the JWT)' },
    justInTime: { type: 'boolean', default: false, description: 'Create unknown users at sign-in; honoured only while SCIM is disabled for the tenant' },
    matchBy: { enum: ['userName', 'email'], default: 'userName', description: 'Which user attribute the NameID is matched with, case-insensitively' },
    nameIdAttribute: nullableString(SSO_LIMITS.attributeLength, 'A SAML attribute to match instead of the NameID'),
    connectionAttribute: nullableString(SSO_LIMITS.attributeLength, 'A user attribute naming the connection (by name) each user must sign in with'),
    clockSkewSeconds: { type: 'integer', minimum: 0, maximum: SSO_LIMITS.clockSkewSeconds, default: 60, description: 'Tolerated clock difference with the identity provider' },
  },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// Attribute names and paths: printable, no spaces (SAML attribute names are URIs or plain names).
const ATTRIBUTE_NAME = /^[\x21-\x7e]+$/;

/** `known` refuses keys outside a list, naming each by its pointer (the settings document's own: settings-document.ts). */
export function checkSso(input: unknown, at: string, problem: (pointer: string, message: string) => void, known: (obj: Record<string, unknown>, at: string, keys: string[]) => void): SsoSettings {
  const out: SsoSettings = { ...DEFAULT_SSO, redirectUrls: [] };
  if (input === undefined) return out;
  if (!isObject(input)) { problem(at, 'must be an object such as {"redirectUrls": ["https://app.example.com/sso"], "defaultRedirectUrl": "https://app.example.com/sso"}'); return out; }
  known(input, at, [...SSO_KEYS]);
  const bool = (key: 'ssoRequired' | 'justInTime') => {
    const v = input[key];
    if (v === undefined) return;
    if (typeof v !== 'boolean') problem(`${at}/${key}`, 'must be true or false');
    else out[key] = v;
  };
  bool('ssoRequired');
  bool('justInTime');
  if (input.handoff !== undefined) {
    if (input.handoff !== 'code' && input.handoff !== 'jwt') problem(`${at}/handoff`, `must be "code" or "jwt", got ${JSON.stringify(input.handoff)}`);
    else out.handoff = input.handoff;
  }
  if (input.matchBy !== undefined) {
    if (input.matchBy !== 'userName' && input.matchBy !== 'email') problem(`${at}/matchBy`, `must be "userName" or "email", got ${JSON.stringify(input.matchBy)}`);
    else out.matchBy = input.matchBy;
  }
  for (const key of ['nameIdAttribute', 'connectionAttribute'] as const) {
    const v = input[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || !ATTRIBUTE_NAME.test(v)) problem(`${at}/${key}`, 'must be null or an attribute name without spaces');
    else if (v.length > SSO_LIMITS.attributeLength) problem(`${at}/${key}`, `is longer than ${SSO_LIMITS.attributeLength} characters`);
    else out[key] = v;
  }
  if (input.clockSkewSeconds !== undefined) {
    const v = input.clockSkewSeconds;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > SSO_LIMITS.clockSkewSeconds) problem(`${at}/clockSkewSeconds`, `must be a whole number of seconds from 0 to ${SSO_LIMITS.clockSkewSeconds}`);
    else out.clockSkewSeconds = v;
  }
  let urlsOk = true;
  if (input.redirectUrls !== undefined) {
    const list = input.redirectUrls;
    if (!Array.isArray(list)) { problem(`${at}/redirectUrls`, 'must be an array of URLs'); urlsOk = false; }
    else if (list.length > SSO_LIMITS.redirectUrls) { problem(`${at}/redirectUrls`, `has more than ${SSO_LIMITS.redirectUrls} entries`); urlsOk = false; }
    else {
      list.forEach((v, i) => {
        const where = `${at}/redirectUrls/${i}`;
        if (typeof v !== 'string') { problem(where, 'must be a URL string'); urlsOk = false; return; }
        if (v.length > SSO_LIMITS.urlLength) { problem(where, `is longer than ${SSO_LIMITS.urlLength} characters`); urlsOk = false; return; }
        const parsed = parseAllowEntry(v);
        if (typeof parsed === 'string') { problem(where, parsed); urlsOk = false; return; }
        out.redirectUrls.push(v);
      });
    }
  }
  const d = input.defaultRedirectUrl;
  if (d !== undefined && d !== null) {
    if (typeof d !== 'string' || d === '') problem(`${at}/defaultRedirectUrl`, 'must be null or a URL');
    else if (d.length > SSO_LIMITS.urlLength) problem(`${at}/defaultRedirectUrl`, `is longer than ${SSO_LIMITS.urlLength} characters`);
    else if (urlsOk) {
      try {
        checkReturnTo(out, d);
        out.defaultRedirectUrl = d;
      } catch (err) {
        if (!(err instanceof ReturnToRefused)) throw err;
        problem(`${at}/defaultRedirectUrl`, err.reason === 'no_allow_list'
          ? 'needs redirectUrls: the default must be one of the allowed URLs'
          : `must be allowed by redirectUrls (${err.message})`);
      }
    }
  }
  return out;
}
