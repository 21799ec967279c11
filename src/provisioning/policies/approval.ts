// The approval policy of a tenant's settings document (docs/policies.md "App vetoes"): an optional
// webhook the vendor's app answers, synchronously, before each change the identity provider makes
// is committed (policies/vetoes.ts calls it). Its shape, defaults, JSON Schema fragment and check live
// here; settings-document.ts only places it under "policies".
//
// The secret is write-only: the settings document read back (GET settings, the CLI) never carries
// it (withoutSecrets); a replacement without "secret" keeps the stored one (keepSecrets), one with
// "secret" replaces it at once (rotation). A replacement that changes the URL must send a new
// secret: the stored one was given to the receiver at the old URL, and a new receiver (another
// service, another owner on the same host) must not verify with, nor be handed, the old one.
import { SECRET_PREFIX } from '../../events/webhook-signing.ts';
import { CHANGE_KINDS, type ChangeKind } from './change-kinds.ts';

export const APPROVAL_FAILURE_MODES = ['refuse', 'allow'] as const;
export type ApprovalFailureMode = (typeof APPROVAL_FAILURE_MODES)[number];

export interface ApprovalWebhook {
  /** Where proposed changes are POSTed: https, a public address (config.webhooks, as event webhooks). */
  url: string;
  /** "whsec_" + base64 of 24 to 64 random bytes, as Standard Webhooks secrets. Absent only in a document read back. */
  secret?: string;
  /** How long the receiver may take to answer, ms. */
  timeoutMs: number;
  /** When the receiver is down, slow, or answers anything but a decision: refuse the change (503) or let it through. */
  onFailure: ApprovalFailureMode;
  /** The change kinds sent to the receiver; null: every kind. */
  kinds: ChangeKind[] | null;
}

export interface ApprovalPolicy { webhook: ApprovalWebhook | null }
export interface ApprovalPolicies { approval: ApprovalPolicy }

export const APPROVAL_POLICY_KEYS = ['approval'] as const;
export const APPROVAL_LIMITS = { urlLength: 2000, minTimeoutMs: 100, maxTimeoutMs: 30_000, defaultTimeoutMs: 5000, secretMinBytes: 24, secretMaxBytes: 64 } as const;

export const DEFAULT_APPROVAL_POLICIES: Readonly<ApprovalPolicies> = Object.freeze({ approval: Object.freeze({ webhook: null }) });

/** The properties of "policies" this file owns, as JSON Schema (2020-12) for the OpenAPI document. */
export const approvalPoliciesJsonSchema = {
  approval: {
    type: 'object',
    additionalProperties: false,
    description: 'App vetoes: a webhook the application answers before each change the identity provider makes is committed; it may refuse the change with its own message (docs/policies.md).',
    properties: {
      webhook: {
        type: ['object', 'null'],
        default: null,
        additionalProperties: false,
        properties: {
          url: { type: 'string', maxLength: APPROVAL_LIMITS.urlLength, description: 'https URL of the receiver (the event webhooks\' address rules apply).' },
          secret: { type: 'string', description: 'Write-only: "whsec_" + base64 of 24 to 64 random bytes. Never read back; omit it to keep the current one, send a new one to rotate.' },
          timeoutMs: { type: 'integer', minimum: APPROVAL_LIMITS.minTimeoutMs, maximum: APPROVAL_LIMITS.maxTimeoutMs, default: APPROVAL_LIMITS.defaultTimeoutMs },
          onFailure: { enum: [...APPROVAL_FAILURE_MODES], default: 'refuse', description: 'When the receiver is down, slow or answers garbage: refuse the change (SCIM 503, the IdP retries) or allow it.' },
          kinds: { type: ['array', 'null'], default: null, items: { enum: [...CHANGE_KINDS] }, description: 'The change kinds sent; null for all.' },
        },
      },
    },
  },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
type Problem = (pointer: string, message: string) => void;
type Known = (obj: Record<string, unknown>, at: string, keys: string[]) => void;

/** Reads this file's keys of a "policies" object (unknown keys are the caller's to refuse). */
export function checkApprovalPolicies(policies: Record<string, unknown>, problem: Problem, known: Known): ApprovalPolicies {
  const v = policies.approval;
  if (v === undefined) return DEFAULT_APPROVAL_POLICIES;
  const at = '/policies/approval';
  if (!isObject(v)) { problem(at, 'must be an object such as {"webhook": {"url": "https://app.example.com/scim-approval", "secret": "whsec_…"}}'); return DEFAULT_APPROVAL_POLICIES; }
  known(v, at, ['webhook']);
  if (v.webhook === undefined || v.webhook === null) return { approval: { webhook: null } };
  const w = v.webhook;
  const wat = `${at}/webhook`;
  if (!isObject(w)) { problem(wat, 'must be an object with url and secret, or null'); return DEFAULT_APPROVAL_POLICIES; }
  known(w, wat, ['url', 'secret', 'timeoutMs', 'onFailure', 'kinds']);
  const out: ApprovalWebhook = { url: '', timeoutMs: APPROVAL_LIMITS.defaultTimeoutMs, onFailure: 'refuse', kinds: null };
  out.url = checkUrl(w.url, `${wat}/url`, problem);
  if (w.secret !== undefined) {
    if (typeof w.secret !== 'string' || !isSecret(w.secret)) {
      problem(`${wat}/secret`, `must be "${SECRET_PREFIX}" followed by the base64 of ${APPROVAL_LIMITS.secretMinBytes} to ${APPROVAL_LIMITS.secretMaxBytes} random bytes (e.g. the output of: node -e "console.log('whsec_'+crypto.randomBytes(32).toString('base64'))")`);
    } else out.secret = w.secret;
  }
  if (w.timeoutMs !== undefined) {
    const t = w.timeoutMs;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < APPROVAL_LIMITS.minTimeoutMs || t > APPROVAL_LIMITS.maxTimeoutMs) {
      problem(`${wat}/timeoutMs`, `must be an integer from ${APPROVAL_LIMITS.minTimeoutMs} to ${APPROVAL_LIMITS.maxTimeoutMs} (milliseconds), got ${JSON.stringify(t)}`);
    } else out.timeoutMs = t;
  }
  if (w.onFailure !== undefined) {
    if (w.onFailure === 'refuse' || w.onFailure === 'allow') out.onFailure = w.onFailure;
    else problem(`${wat}/onFailure`, `must be "refuse" or "allow", got ${JSON.stringify(w.onFailure)}`);
  }
  if (w.kinds !== undefined && w.kinds !== null) {
    if (!Array.isArray(w.kinds)) problem(`${wat}/kinds`, 'must be a list of change kinds such as ["user.deactivate", "user.delete"], or null for all');
    else {
      const kinds: ChangeKind[] = [];
      w.kinds.forEach((k, i) => {
        if (typeof k === 'string' && (CHANGE_KINDS as readonly string[]).includes(k)) { if (!kinds.includes(k as ChangeKind)) kinds.push(k as ChangeKind); }
        else problem(`${wat}/kinds/${i}`, `must be one of ${CHANGE_KINDS.join(', ')}, got ${JSON.stringify(k)}`);
      });
      out.kinds = kinds;
    }
  }
  return { approval: { webhook: out } };
}

function checkUrl(v: unknown, at: string, problem: Problem): string {
  if (typeof v !== 'string' || v === '') { problem(at, 'is required: the https URL the proposed changes are sent to'); return ''; }
  if (v.length > APPROVAL_LIMITS.urlLength) { problem(at, `is longer than ${APPROVAL_LIMITS.urlLength} characters`); return ''; }
  let url: URL;
  try { url = new URL(v); } catch { problem(at, `must be an absolute URL such as https://app.example.com/scim-approval, got ${JSON.stringify(v.slice(0, 200))}`); return ''; }
  // The address rules that depend on the server's configuration (https only, public addresses) are
  // applied on every call, as for event webhooks: a refused address is a failure (onFailure).
  if (url.protocol !== 'https:' && url.protocol !== 'http:') problem(at, `must be an https:// URL, got ${url.protocol}`);
  if (url.username || url.password) problem(at, 'must not contain a user name or password; the receiver verifies the signature instead');
  return v;
}

function isSecret(s: string): boolean {
  if (!s.startsWith(SECRET_PREFIX)) return false;
  const b64 = s.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return false;
  const bytes = Buffer.from(b64, 'base64').length;
  return bytes >= APPROVAL_LIMITS.secretMinBytes && bytes <= APPROVAL_LIMITS.secretMaxBytes;
}

/** The policies as read back: the webhook without its secret. */
export function withoutSecrets<T extends ApprovalPolicies>(policies: T): T {
  const w = policies.approval.webhook;
  if (!w || w.secret === undefined) return policies;
  const { secret: _secret, ...rest } = w;
  return { ...policies, approval: { ...policies.approval, webhook: rest } };
}

/**
 * A replacement's policies with the stored secret kept where none was sent, for the same URL.
 * Returns the problem when a webhook is left without a secret (first configured without one), or
 * would keep the secret for another URL.
 */
export function keepSecrets<T extends ApprovalPolicies>(next: T, stored: ApprovalPolicies): { policies: T; problem?: { pointer: string; message: string } } {
  const w = next.approval.webhook;
  if (!w || w.secret !== undefined) return { policies: next };
  const secret = stored.approval.webhook?.secret;
  if (secret === undefined) {
    return { policies: next, problem: { pointer: '/policies/approval/webhook/secret', message: `is required when the webhook is first set: "${SECRET_PREFIX}" followed by the base64 of 32 random bytes (it is never read back; later replacements may omit it to keep it)` } };
  }
  // Neither URL is repeated in the message: a receiver's URL may carry its own token.
  if (stored.approval.webhook?.url !== w.url) {
    return { policies: next, problem: { pointer: '/policies/approval/webhook/secret', message: `is required when the URL changes: the stored secret belongs to the receiver at the previous URL; send a new one ("${SECRET_PREFIX}" followed by the base64 of 32 random bytes) with the new URL, and give it to the new receiver` } };
  }
  return { policies: { ...next, approval: { ...next.approval, webhook: { ...w, secret } } } };
}
