// Standard Webhooks signatures ("Signature scheme", standard-webhooks/standard-webhooks spec): the
// HMAC-SHA256, keyed by the secret's bytes, of "<webhook-id>.<webhook-timestamp>.<body>", base64,
// sent as "v1,<signature>". Several signatures are separated by spaces: during a rotation's overlap
// both the new and the previous secret sign, so a receiver with either verifies.
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** The spec asks for 24 to 64 random bytes; 32 is the size of the HMAC-SHA256 block's half, as its senders use. */
const SECRET_BYTES = 32;

/** A new secret: "whsec_" and the base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The HMAC key a secret stands for: its base64 part, decoded. */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

/** One "v1,<base64>" signature of these exact bytes. */
export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  return 'v1,' + createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
}

/** The webhook-signature header: one signature per secret, space-separated. */
export function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((s) => sign(s, id, timestampSeconds, body)).join(' ');
}
