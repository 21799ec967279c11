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

export class ScimError extends Error {
  readonly status: number;
  readonly scimType?: ScimType;
  /** Extra response headers (e.g. Retry-After on 429/503, Allow on 405). */
  readonly headers: Record<string, string>;

  constructor(status: number, detail: string, scimType?: ScimType, headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'ScimError';
    this.status = status;
    this.scimType = scimType;
    this.headers = headers;
  }

  toBody(): ScimErrorBody {
    const body: ScimErrorBody = { schemas: [ERROR_SCHEMA], status: String(this.status), detail: this.message };
    if (this.scimType) body.scimType = this.scimType;
    return body;
  }
}

export const invalidFilter = (detail: string) => new ScimError(400, detail, 'invalidFilter');
export const invalidPath = (detail: string) => new ScimError(400, detail, 'invalidPath');
export const invalidValue = (detail: string) => new ScimError(400, detail, 'invalidValue');
export const invalidSyntax = (detail: string) => new ScimError(400, detail, 'invalidSyntax');
export const mutability = (detail: string) => new ScimError(400, detail, 'mutability');
export const noTarget = (detail: string) => new ScimError(400, detail, 'noTarget');
export const tooMany = (detail: string) => new ScimError(400, detail, 'tooMany');
export const uniqueness = (detail: string) => new ScimError(409, detail, 'uniqueness');
export const badRequest = (detail: string) => new ScimError(400, detail);
export const unauthorized = (detail: string) =>
  new ScimError(401, detail, undefined, { 'WWW-Authenticate': 'Bearer realm="rollcall"' });
export const notFound = (detail: string) => new ScimError(404, detail);
export const methodNotAllowed = (detail: string, allow: string[]) =>
  new ScimError(405, detail, undefined, { Allow: allow.join(', ') });
export const preconditionFailed = (detail: string) => new ScimError(412, detail);
export const payloadTooLarge = (detail: string) => new ScimError(413, detail);
export const unsupportedMediaType = (detail: string) => new ScimError(415, detail);
export const notImplemented = (detail: string) => new ScimError(501, detail);
export const serviceUnavailable = (detail: string, retryAfterSeconds: number) =>
  new ScimError(503, detail, undefined, { 'Retry-After': String(retryAfterSeconds) });
