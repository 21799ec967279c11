// The `limits` section of a tenant's settings: the tenant's own values for the SCIM request limits
// (http/scim/rate-limit.ts, docs/rate-limits.md). Every value is optional: one left out follows the
// server's default (ROLLCALL_RATE_LIMIT_*), so a server-wide change reaches every tenant that did
// not choose otherwise.

export interface LimitsSettings {
  /** Sustained SCIM requests per second (a token bucket refilling at this rate); fractions allowed. */
  requestsPerSecond?: number;
  /** Requests that may come at once above the sustained rate (the bucket's size). */
  burst?: number;
  /** SCIM requests of the tenant in progress at the same time. */
  concurrentRequests?: number;
}

/** Bounds of each value: far above any identity provider's pace, so a typo cannot switch a limit off. */
export const LIMIT_BOUNDS = {
  requestsPerSecond: { min: 0.01, max: 1_000_000 },
  burst: { min: 1, max: 10_000_000 },
  concurrentRequests: { min: 1, max: 100_000 },
} as const;

export const DEFAULT_LIMITS: Readonly<LimitsSettings> = Object.freeze({});

export const limitsJsonSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Limits on this tenant\'s SCIM requests, counted per Rollcall process (docs/rate-limits.md). A value left out follows the server default (ROLLCALL_RATE_LIMIT_*). Over a limit, a request is answered 429 with Retry-After.',
  properties: {
    requestsPerSecond: { type: 'number', minimum: LIMIT_BOUNDS.requestsPerSecond.min, maximum: LIMIT_BOUNDS.requestsPerSecond.max, description: 'Sustained requests per second (server default 100). A /Bulk request counts once per operation.' },
    burst: { type: 'integer', minimum: LIMIT_BOUNDS.burst.min, maximum: LIMIT_BOUNDS.burst.max, description: 'Requests accepted at once above the sustained rate (server default 1000).' },
    concurrentRequests: { type: 'integer', minimum: LIMIT_BOUNDS.concurrentRequests.min, maximum: LIMIT_BOUNDS.concurrentRequests.max, description: 'Requests in progress at the same time (server default 20).' },
  },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkLimits(
  input: unknown,
  at: string,
  problem: (pointer: string, message: string) => void,
  known: (obj: Record<string, unknown>, at: string, keys: string[]) => void,
): LimitsSettings {
  if (input === undefined) return DEFAULT_LIMITS;
  if (!isObject(input)) { problem(at, 'must be an object such as {"requestsPerSecond": 50, "burst": 500, "concurrentRequests": 10}'); return DEFAULT_LIMITS; }
  known(input, at, Object.keys(LIMIT_BOUNDS));
  const out: LimitsSettings = {};
  for (const key of Object.keys(LIMIT_BOUNDS) as (keyof typeof LIMIT_BOUNDS)[]) {
    const v = input[key];
    if (v === undefined) continue;
    const { min, max } = LIMIT_BOUNDS[key];
    const whole = key !== 'requestsPerSecond';
    if (typeof v !== 'number' || !Number.isFinite(v) || (whole && !Number.isInteger(v)) || v < min || v > max) {
      problem(`${at}/${key}`, `must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max.toLocaleString('en-US')}, got ${JSON.stringify(v)}`);
      continue;
    }
    out[key] = v;
  }
  return out;
}
