// Every failure the SCIM surface can report, as RFC 7644 §3.12 defines it: an HTTP status, an
// optional scimType, and a human detail. Errors are SCIM errors from the moment they are thrown;
// one handler (http/error-handler.ts) renders them.

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** scimType values of RFC 7644 §3.12, table 9 (all paired with 400, except uniqueness 409). */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export interface ScimErrorBody {
  schemas: [typeof ERROR_SCHEMA];
  status: string;
  scimType?: ScimType;
  detail: string;
}

/**
 * Why an error was raised, for code rather than people (the detail is for people): callers branch on
 * `code`, never on the detail's text (house rule 2, after jose's JWTClaimValidationFailed). Codes in
 * use: unknownAttribute (a filter, sortBy or path names no attribute of the resource type),
 * uniqueness (`resourceType`, `attribute`), unknownMembers, versionMismatch, invalidFilter and
 * invalidSort (with the filter `clause`), unstorableString (U+0000 or a lone surrogate),
 * valueTooLong and tooManyValues (the configured limits), emptyValue (a null group member); the
 * guards of provisioning/policies/guards.ts: lastAdmin, requiredGroup, requiredGroupEmpty, onlyMember;
 * the per-tenant limits (429, http/scim/rate-limit.ts): requestRate, concurrentRequests and
 * failedAuthentications, with `limit`.
 */
export interface ErrorReason {
  code: string;
  /** The resource type concerned (User, Group). */
  resourceType?: string;
  /** The attribute concerned, as the request named it. */
  attribute?: string;
  /** For filter errors: the offending clause, as a sentence fragment without "Invalid filter:". */
  clause?: string;
  /** For the limits: the limit in force (requests per second, or requests at once). */
  limit?: number;
}

export class ScimError extends Error {
  readonly status: number;
  readonly scimType?: ScimType;
  /** Extra response headers (e.g. Retry-After on 429/503, Allow on 405). */
  readonly headers: Record<string, string>;
  readonly reason?: ErrorReason;

  constructor(status: number, detail: string, scimType?: ScimType, headers: Record<string, string> = {}, reason?: ErrorReason) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.headers = headers;
    this.reason = reason;
  }

  toBody(): ScimErrorBody {
    const body: ScimErrorBody = { schemas: [ERROR_SCHEMA], status: String(this.status), detail: this.message };
    if (this.scimType) body.scimType = this.scimType;
    return body;
  }
}

export const invalidFilter = (detail: string, reason?: ErrorReason) => new ScimError(400, detail, 'invalidFilter', {}, reason);
export const invalidPath = (detail: string) => new ScimError(400, detail, 'invalidPath');
export const invalidValue = (detail: string, reason?: ErrorReason) => new ScimError(400, detail, 'invalidValue', {}, reason);
export const invalidSyntax = (detail: string) => new ScimError(400, detail, 'invalidSyntax');
export const mutability = (detail: string) => new ScimError(400, detail, 'mutability');
export const noTarget = (detail: string) => new ScimError(400, detail, 'noTarget');
export const tooMany = (detail: string) => new ScimError(400, detail, 'tooMany');
export const uniqueness = (detail: string, reason?: ErrorReason) => new ScimError(409, detail, 'uniqueness', {}, reason);
export const badRequest = (detail: string) => new ScimError(400, detail);
export const unauthorized = (detail: string) =>
  new ScimError(401, detail, undefined, { 'WWW-Authenticate': 'Bearer realm="rollcall"' });
export const notFound = (detail: string) => new ScimError(404, detail);
export const methodNotAllowed = (detail: string, allow: string[]) =>
  new ScimError(405, detail, undefined, { Allow: allow.join(', ') });
export const preconditionFailed = (detail: string, reason?: ErrorReason) => new ScimError(412, detail, undefined, {}, reason);
export const payloadTooLarge = (detail: string) => new ScimError(413, detail);
export const unsupportedMediaType = (detail: string) => new ScimError(415, detail);
export const notImplemented = (detail: string) => new ScimError(501, detail);
/**
 * 429 (RFC 6585 §4): a per-tenant limit is reached. RFC 7644 §3.12 defines no scimType for it, so
 * none is sent; reason.code says which limit. Retry-After is whole seconds, at least 1 (RFC 9110 §10.2.3).
 */
export const tooManyRequests = (detail: string, retryAfterSeconds: number, reason: ErrorReason & { code: 'requestRate' | 'concurrentRequests' | 'failedAuthentications' }) =>
  new ScimError(429, detail, undefined, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) }, reason);
export const serviceUnavailable = (detail: string, retryAfterSeconds: number) =>
  new ScimError(503, detail, undefined, { 'Retry-After': String(retryAfterSeconds) });

/** True when a filter, sortBy or attribute path named no attribute of the resource type. */
export const isUnknownAttribute = (err: unknown): err is ScimError => err instanceof ScimError && err.reason?.code === 'unknownAttribute';
