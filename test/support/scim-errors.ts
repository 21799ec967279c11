// The one check that an answer is a SCIM error as RFC 7644 §3.12 defines it: the HTTP status, the
// Error schema, "status" repeating the HTTP status as a string, a non-empty human-readable
// "detail", the scimType when one applies, and application/scim+json (RFC 7644 §3.1).
import assert from 'node:assert/strict';
import { ERROR_SCHEMA } from '../../src/scim/errors.ts';

export interface ScimErrorBody { schemas: string[]; status: string; scimType?: string; detail: string }

/** An answer already read: what the tests' small SCIM clients return. */
export interface Answer { status: number; headers: Headers; body: unknown }

/**
 * Asserts a SCIM error with this status (any 4xx for '4xx'), this scimType when given (RFC 7644
 * Table 9), and a detail matching `detail` when given; returns the body for further checks.
 */
export function assertScimError(res: Answer, status: number | '4xx', scimType?: string, detail?: RegExp): ScimErrorBody {
  const shown = JSON.stringify(res.body)?.slice(0, 300);
  if (status === '4xx') assert.ok(res.status >= 400 && res.status < 500, `expected a 4xx, got ${res.status}: ${shown}`);
  else assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${shown}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/scim\+json/, `a SCIM error is application/scim+json: ${shown}`);
  assert.ok(typeof res.body === 'object' && res.body !== null, `the error body is a JSON object: ${shown}`);
  const body = res.body as ScimErrorBody;
  assert.deepEqual(body.schemas, [ERROR_SCHEMA]);
  assert.equal(body.status, String(res.status), 'status is the HTTP status as a string');
  assert.equal(typeof body.detail, 'string');
  assert.ok(body.detail.trim().length > 0, 'the error carries a detail');
  if (scimType) assert.equal(body.scimType, scimType, body.detail);
  if (detail) assert.match(body.detail, detail);
  return body;
}

/** assertScimError for a fetch Response not yet read. */
export async function expectScimError(res: Response, status: number | '4xx', scimType?: string, detail?: RegExp): Promise<ScimErrorBody> {
  const text = await res.text();
  let body: unknown;
  try { body = JSON.parse(text); } catch { assert.fail(`the error body is not JSON (${res.status}): ${text.slice(0, 300)}`); }
  return assertScimError({ status: res.status, headers: res.headers, body }, status, scimType, detail);
}
