// Reading a user's attribute by the path an SSO setting names (connectionAttribute), and the
// attributes a just-in-time user is created with from a validated SAML response.
import type { AttrDoc } from '../../scim/resource.ts';
import type { ValidatedResponse } from '../../saml/validate.ts';
import type { SsoSettings } from './settings.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The key of `obj` equal to `name` ignoring case (SCIM attribute names are case-insensitive, RFC 7643 §2.1). */
function keyOf(obj: Record<string, unknown>, name: string): string | undefined {
  if (name in obj) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function walk(obj: Record<string, unknown>, dotted: string): unknown {
  let at: unknown = obj;
  for (const part of dotted.split('.')) {
    if (!isObject(at)) return undefined;
    const k = keyOf(at, part);
    if (k === undefined) return undefined;
    at = at[k];
  }
  return at;
}

/**
 * A string attribute of a user document by path: "ssoName" (a core attribute, or one of any
 * extension's), "name.givenName", or "urn:…:User:ssoName" (an extension's, under its URN). Undefined
 * when absent, empty or not a string.
 */
export function userAttributeValue(doc: AttrDoc, attrPath: string): string | undefined {
  let value: unknown;
  const colon = attrPath.lastIndexOf(':');
  if (attrPath.toLowerCase().startsWith('urn:') && colon > 0) {
    const urn = keyOf(doc, attrPath.slice(0, colon));
    const ext = urn === undefined ? undefined : doc[urn];
    value = isObject(ext) ? walk(ext, attrPath.slice(colon + 1)) : undefined;
  } else {
    value = walk(doc, attrPath);
    if (value === undefined) {
      for (const [k, ext] of Object.entries(doc)) {
        if (!k.toLowerCase().startsWith('urn:') || !isObject(ext)) continue;
        value = walk(ext, attrPath);
        if (value !== undefined) break;
      }
    }
  }
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

// The attribute names Okta and Entra send by default (docs/sso.md "Attribute statements / claims"),
// then the LDAP OIDs some IdPs (Shibboleth, ADFS setups) use.
const GIVEN = ['firstName', 'givenName', 'given_name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', 'urn:oid:2.5.4.42'];
const FAMILY = ['lastName', 'surname', 'sn', 'family_name', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', 'urn:oid:2.5.4.4'];
const DISPLAY = ['displayName', 'http://schemas.microsoft.com/identity/claims/displayname', 'urn:oid:2.16.840.1.113730.3.1.241'];
const EMAIL = ['email', 'mail', 'emailAddress', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'urn:oid:0.9.2342.19200300.100.1.3'];
const LOOKS_LIKE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The SCIM attributes of a user created at sign-in: userName is the identifier the sign-in looked
 * for (so the next sign-in finds it), the email that identifier or the response's email attribute,
 * and a name when the response carries one.
 */
export function jitAttributes(key: string, v: ValidatedResponse, settings: SsoSettings): AttrDoc {
  const first = (names: string[]): string | undefined => {
    for (const n of names) {
      const found = v.attributes[n]?.find((x) => x.trim() !== '');
      if (found !== undefined) return found.trim();
    }
    return undefined;
  };
  const email = settings.matchBy === 'email' || LOOKS_LIKE_EMAIL.test(key) ? key : first(EMAIL);
  const given = first(GIVEN);
  const family = first(FAMILY);
  const display = first(DISPLAY) ?? ([given, family].filter(Boolean).join(' ') || undefined);
  return {
    userName: key,
    ...(email ? { emails: [{ value: email, type: 'work', primary: true }] } : {}),
    ...(given || family ? { name: { ...(given ? { givenName: given } : {}), ...(family ? { familyName: family } : {}) } } : {}),
    ...(display ? { displayName: display } : {}),
    active: true,
  };
}
