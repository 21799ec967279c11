// How a policy setting names a group the identity provider pushes: by its displayName (compared
// case-insensitively, as Rollcall keeps displayNames unique: RFC 7643 §4.2 leaves that to the
// service provider) or by its id. A name follows renames in the IdP's hands; an id survives them.

export type GroupRef = { displayName: string } | { id: string };

export const GROUP_REF_LIMIT = 255;

// A name the database cannot hold as text (NUL, a lone surrogate: PostgreSQL refuses both) or that
// no IdP sends (other control characters) is refused when the settings are checked, not met as a 500.
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const UNSTORABLE = /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const unstorable = (v: string): boolean => UNSTORABLE.test(v);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether a group (its id and displayName) is the one the reference names. */
export function refMatches(ref: GroupRef, id: string, displayName: unknown): boolean {
  if ('id' in ref) return ref.id === id;
  return typeof displayName === 'string' && displayName.toLowerCase() === ref.displayName.toLowerCase();
}

export const describeRef = (ref: GroupRef): string => ('id' in ref ? `id ${ref.id}` : ref.displayName);

/** Reads a group reference at `at`; reports a problem and returns undefined when it is not one. */
export function checkGroupRef(input: unknown, at: string, problem: (pointer: string, message: string) => void): GroupRef | undefined {
  const shape = 'must be {"displayName": "<group name>"} or {"id": "<group id>"}';
  if (!isObject(input)) { problem(at, shape); return undefined; }
  const keys = Object.keys(input);
  if (keys.length !== 1 || (keys[0] !== 'displayName' && keys[0] !== 'id')) { problem(at, shape); return undefined; }
  const key = keys[0];
  const v = input[key];
  if (typeof v !== 'string' || v.trim() === '') { problem(`${at}/${key}`, 'must be a non-empty string'); return undefined; }
  if (v.length > GROUP_REF_LIMIT) { problem(`${at}/${key}`, `is longer than ${GROUP_REF_LIMIT} characters`); return undefined; }
  if (unstorable(v)) { problem(`${at}/${key}`, 'cannot hold control characters or unpaired surrogates'); return undefined; }
  return key === 'id' ? { id: v } : { displayName: v };
}

export const groupRefJsonSchema = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['displayName'], properties: { displayName: { type: 'string', minLength: 1, maxLength: GROUP_REF_LIMIT, description: 'The group\'s displayName (case-insensitive)' } } },
    { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: GROUP_REF_LIMIT, description: 'The group\'s id' } } },
  ],
} as const;
