// Rollcall's secrets: a prefix + 43 base62 characters (256 random bits) + 6 checksum characters.
// SCIM bearer tokens start "rcs_", admin API keys "rca_": the prefix makes a leaked secret
// recognisable to secret scanners and lets each surface say which kind it was handed; the checksum
// lets us tell a pasted secret that was truncated or altered from one that is merely unknown,
// without a lookup. Only the SHA-256 of a secret is stored (a 256-bit random secret needs no slow hash).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'rcs_';
export const ADMIN_KEY_PREFIX = 'rca_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43; // ceil(256 / log2(62))
const CHECK_LENGTH = 6;
/** Both prefixes have four characters, so both kinds of secret have this length. */
export const TOKEN_LENGTH = TOKEN_PREFIX.length + BODY_LENGTH + CHECK_LENGTH;

function base62(bytes: Buffer, length: number): string {
  let n = BigInt('0x' + bytes.toString('hex'));
  let out = '';
  for (let i = 0; i < length; i++) { out = ALPHABET[Number(n % 62n)] + out; n /= 62n; }
  return out;
}

function checksum(prefix: string, body: string): string {
  return base62(createHash('sha256').update(prefix + body).digest().subarray(0, 8), CHECK_LENGTH);
}

export function generateToken(prefix = TOKEN_PREFIX): string {
  const body = base62(randomBytes(33), BODY_LENGTH); // 264 random bits, 43 base62 digits keep 256 of them
  return prefix + body + checksum(prefix, body);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Where a token or admin key stands at `now`: revoked wins over expired. */
export type SecretState = 'live' | 'expired' | 'revoked';
export function secretState(r: { revokedAt: string | null; expiresAt: string | null }, now: number): SecretState {
  if (r.revokedAt) return 'revoked';
  return r.expiresAt && Date.parse(r.expiresAt) <= now ? 'expired' : 'live';
}

export type TokenShape = { ok: true; token: string } | { ok: false; reason: string };

const KINDS = {
  [TOKEN_PREFIX]: { what: 'bearer token', plural: 'SCIM tokens', other: ADMIN_KEY_PREFIX, otherWhat: 'an admin API key, which works only on /admin/v1' },
  [ADMIN_KEY_PREFIX]: { what: 'admin API key', plural: 'admin API keys', other: TOKEN_PREFIX, otherWhat: "a tenant's SCIM token, which works only on /scim/v2/<tenant>" },
} as const;

/** Checks a presented secret's shape and checksum; says precisely what is wrong with it. */
export function checkTokenShape(presented: string, prefix: typeof TOKEN_PREFIX | typeof ADMIN_KEY_PREFIX = TOKEN_PREFIX): TokenShape {
  const token = presented.trim();
  const kind = KINDS[prefix];
  if (token.startsWith(kind.other)) return { ok: false, reason: `This is ${kind.otherWhat}; this endpoint takes ${kind.plural} ("${prefix}…").` };
  if (!token.startsWith(prefix)) return { ok: false, reason: `The ${kind.what} is not a Rollcall token: Rollcall ${kind.plural} start with "${prefix}".` };
  if (/\s/.test(token)) return { ok: false, reason: `The ${kind.what} contains white space; copy it again without line breaks or spaces.` };
  if (!/^[0-9A-Za-z]+$/.test(token.slice(prefix.length))) return { ok: false, reason: `The ${kind.what} contains characters a Rollcall ${kind.what} never has; copy it again.` };
  if (token.length < TOKEN_LENGTH) return { ok: false, reason: `The ${kind.what} is ${token.length} characters long, a Rollcall ${kind.what} has ${TOKEN_LENGTH}: it looks truncated; copy it again.` };
  if (token.length > TOKEN_LENGTH) return { ok: false, reason: `The ${kind.what} is ${token.length} characters long, a Rollcall ${kind.what} has ${TOKEN_LENGTH}: something was appended to it.` };
  const body = token.slice(prefix.length, prefix.length + BODY_LENGTH);
  if (checksum(prefix, body) !== token.slice(-CHECK_LENGTH)) return { ok: false, reason: `The ${kind.what} fails its checksum: it was altered when copied; copy it again.` };
  return { ok: true, token };
}
