// @ts-check
// What a failed SCIM request means, for the request log's pages: by scimType (RFC 7644 §3.12) when
// the answer had one, else by HTTP status, and a sharper sentence for the reasons Rollcall records
// (docs/errors.md lists every case; these are short explanations in the console's words, each with
// what to do next). Explanations are plain text: they are shown with h(), never as markup.

/**
 * @typedef {{ title: string, meaning: string, fix: string, anchor?: string }} Explanation
 */

/** @type {Record<string, Explanation>} by scimType */
export const BY_SCIM_TYPE = {
  invalidFilter: {
    title: 'The filter could not be used',
    meaning: 'The identity provider sent a filter that does not parse, names an attribute this tenant does not have, or compares a value in a way its type does not allow. The detail gives the position of the problem.',
    fix: 'Check the attribute mapping in the identity provider: the matching attribute (usually userName) must be mapped, and string values go in double quotes.',
  },
  invalidPath: {
    title: 'A PATCH path could not be used',
    meaning: 'A PATCH operation named a path that does not parse or a sub-attribute that does not exist.',
    fix: 'Look at the request body below: the operation\'s "path" names something the schema does not have. Fix the mapping that produces it.',
  },
  invalidValue: {
    title: 'A value was refused',
    meaning: 'A value had the wrong type, a required attribute was missing, a value was too long or held characters that cannot be stored, or a group member named nobody in this tenant. The detail names the attribute.',
    fix: 'Fix the value in the identity provider (or its mapping expression), then retry provisioning for that user or group.',
  },
  invalidSyntax: {
    title: 'The request body was not understood',
    meaning: 'The body was not JSON, or a PATCH had no Operations or an unknown op.',
    fix: 'This is usually a client bug or a proxy that changed the body. Compare the request body below with RFC 7644.',
  },
  mutability: {
    title: 'An attribute that may not change was changed',
    meaning: 'The request tried to change a read-only attribute, or the tenant\'s policies keep this attribute (for example userName, or a required group\'s name) from changing.',
    fix: 'Restore the original value in the identity provider, or stop mapping that attribute.',
  },
  noTarget: {
    title: 'A PATCH had nothing to act on',
    meaning: 'A remove without a path, or a value filter that matched nothing.',
    fix: 'Look at the request body below: the operation must name what it removes or changes.',
  },
  uniqueness: {
    title: 'It would be a duplicate',
    meaning: 'Another user already has this userName (compared without case), another group this name, or a tenant policy (account linking, one group per user, reserved names) refused the change.',
    fix: 'The identity provider should find the existing user (a GET with filter userName eq "…") and update it. Otherwise rename or unlink the duplicate as the detail says.',
  },
  tooMany: {
    title: 'Too many results',
    meaning: 'The query would return more resources than the server answers at once.',
    fix: 'Use a narrower filter or page with startIndex and count.',
  },
  invalidVers: {
    title: 'Unsupported SCIM version',
    meaning: 'The request asked for a protocol version this server does not speak.',
    fix: 'Configure the client for SCIM 2.0.',
  },
  sensitive: {
    title: 'Sensitive data in the URL',
    meaning: 'The request carried a value in its URL that must be sent in a body.',
    fix: 'Use POST …/.search with the filter in the body.',
  },
};

/** @type {Record<number, Explanation>} by HTTP status, when there is no scimType */
export const BY_STATUS = {
  400: { title: 'Bad request', meaning: 'The request could not be used as sent (a malformed URL, or options that cannot go together).', fix: 'Read the detail; it names what to change.' },
  401: {
    title: 'The token was not accepted',
    meaning: 'No token, a token that is not Rollcall\'s, one that is expired or revoked, or a token of another tenant. The detail says which.',
    fix: 'Check that the base URL and the token the identity provider holds belong to this tenant. If the token was revoked or expired, create a new one on the SCIM setup page and paste it into the identity provider.',
  },
  403: { title: 'Refused', meaning: 'The tenant\'s application refused this change.', fix: 'The detail is the application\'s own message: do what it says, then retry.' },
  404: {
    title: 'Not found',
    meaning: 'No user or group with this id in this tenant (it may have been deleted), or an endpoint that does not exist.',
    fix: 'Routine when the identity provider deletes something already gone. If it repeats, the identity provider holds an id this tenant no longer has: re-run provisioning for that user.',
  },
  405: { title: 'Method not allowed', meaning: 'The endpoint does not take this method.', fix: 'The client is calling the wrong URL; check the SCIM base URL it was given.' },
  408: { title: 'The request was too slow', meaning: 'The body did not arrive in time, or was shorter than its Content-Length.', fix: 'Check the client\'s network or a proxy that stalls uploads.' },
  409: {
    title: 'Conflict',
    meaning: 'A tenant guard refused the change (the last admin, a required group\'s last member), or too many changes to the same resource raced.',
    fix: 'Do what the detail says, then retry.', anchor: 'what-each-error-means',
  },
  412: { title: 'Changed in the meantime', meaning: 'The If-Match version is no longer current.', fix: 'The client should read the resource again and retry.' },
  413: { title: 'Too large', meaning: 'The body was larger than the server accepts.', fix: 'Split the request.' },
  431: { title: 'Headers too large', meaning: 'The URL and headers were too long, usually a very long filter.', fix: 'Send the filter in the body of POST …/.search.' },
  500: { title: 'Server error', meaning: 'A bug in Rollcall or the application: nothing about the request was wrong.', fix: 'Report it with the request id; the server log has the cause under the same id.' },
  501: { title: 'Not supported', meaning: 'Bulk and /Me are not supported.', fix: 'Send operations one by one.' },
  503: { title: 'Could not decide now', meaning: 'The application\'s approval check failed or was unreachable; nothing was written.', fix: 'The identity provider retries; if it keeps failing, the application\'s check needs fixing.' },
};

/** Sharper explanations for the reasons Rollcall records (request log `reason`). @type {Record<string, string>} */
export const BY_REASON = {
  lastAdmin: 'The change would remove the last active holder of an admin role. Give another user that role first.',
  requiredGroup: 'The change would remove a group the tenant\'s policies require.',
  requiredGroupEmpty: 'The change would leave a required group without members.',
  onlyMember: 'The change would remove the only member of a group.',
  unknownAttribute: 'The request names an attribute this tenant does not have: add it as a custom attribute, or stop mapping it.',
  unknownMembers: 'A group member id names no user or group of this tenant: provision the member first.',
  unstorableString: 'A value holds a NUL character or half an emoji: fix the value in the directory.',
  valueTooLong: 'A value is longer than the server allows: check the mapping (a photo or a whole list mapped into one attribute).',
  tooManyValues: 'An attribute has more values than the server allows.',
  versionMismatch: 'The resource changed since the client read it.',
};

/**
 * What a failed request means, or null for a success.
 * @param {{ status: number, scimType?: string | null, reason?: string | null }} r
 * @returns {(Explanation & { reasonText: string | null }) | null}
 */
export function explainError(r) {
  if (r.status < 400) return null;
  /** @type {Explanation | undefined} */
  const byType = r.scimType ? BY_SCIM_TYPE[r.scimType] : undefined;
  /** @type {Explanation} */
  const base = byType
    ?? BY_STATUS[r.status]
    ?? (r.status >= 500 ? BY_STATUS[500] : { title: `Answered ${r.status}`, meaning: 'The request was refused.', fix: 'Read the detail: it says what was wrong.' });
  return { ...base, reasonText: (r.reason && BY_REASON[r.reason]) || null };
}
