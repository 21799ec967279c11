// Tenant bearer tokens: "rcs_" + 43 base62 characters (256 random bits) + 6 checksum characters.
// The prefix makes a leaked token recognisable to secret scanners; the checksum lets us tell a
// pasted token that was truncated or altered from one that is merely unknown, without a lookup.
// Only the SHA-256 of the token is stored (a 256-bit random secret needs no slow hash).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'rcs_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43; // ceil(256 / log2(62))
const CHECK_LENGTH = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + BODY_LENGTH + CHECK_LENGTH;

function base62(bytes: Buffer, length: number): string {
  let n = BigInt('0x' + bytes.toString('hex'));
  let out = '';
  for (let i = 0; i < length; i++) { out = ALPHABET[Number(n % 62n)] + out; n /= 62n; }
  return out;
}

function checksum(body: string): string {
  return base62(createHash('sha256').update(TOKEN_PREFIX + body).digest().subarray(0, 8), CHECK_LENGTH);
}

export function generateToken(): string {
  const body = base62(randomBytes(33), BODY_LENGTH); // 264 random bits, 43 base62 digits keep 256 of them
  return TOKEN_PREFIX + body + checksum(body);
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

export type TokenShape = { ok: true; token: string } | { ok: false; reason: string };

/** Checks a presented token's shape and checksum; says precisely what is wrong with it. */
export function checkTokenShape(presented: string): TokenShape {
  const token = presented.trim();
  if (!token.startsWith(TOKEN_PREFIX)) return { ok: false, reason: `The bearer token is not a Rollcall token: Rollcall tokens start with "${TOKEN_PREFIX}".` };
  if (/\s/.test(token)) return { ok: false, reason: 'The bearer token contains white space; copy it again without line breaks or spaces.' };
  if (!/^[0-9A-Za-z]+$/.test(token.slice(TOKEN_PREFIX.length))) return { ok: false, reason: 'The bearer token contains characters a Rollcall token never has; copy it again.' };
  if (token.length < TOKEN_LENGTH) return { ok: false, reason: `The bearer token is ${token.length} characters long, a Rollcall token has ${TOKEN_LENGTH}: it looks truncated; copy it again.` };
  if (token.length > TOKEN_LENGTH) return { ok: false, reason: `The bearer token is ${token.length} characters long, a Rollcall token has ${TOKEN_LENGTH}: something was appended to it.` };
  const body = token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + BODY_LENGTH);
  if (checksum(body) !== token.slice(-CHECK_LENGTH)) return { ok: false, reason: 'The bearer token fails its checksum: it was altered when copied; copy it again.' };
  return { ok: true, token };
}
