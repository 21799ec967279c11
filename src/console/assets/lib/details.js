// @ts-check
// Small read-only building blocks shared by the settings, SSO, webhook, event and audit pages: a
// list of labelled values, a JSON document shown as text, a question before a destructive step,
// and the settings document's read-modify-write with its version (If-Match).
import { api, ApiError, seg } from './api.js';
import { h } from './dom.js';

/** @typedef {import('./dom.js').Children} Children */

/**
 * Labelled values as a description list; rows whose value is undefined are left out.
 * @param {Array<[string, Children | undefined]>} rows
 * @param {string} [label] the list's accessible name
 */
export function kvList(rows, label) {
  return h('dl', { class: 'kv', 'aria-label': label },
    ...rows.filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

/**
 * A JSON value as indented text, in a region that can be scrolled with the keyboard.
 * @param {unknown} value
 * @param {string} label what it is, e.g. 'Payload of event evt_…'
 */
export function jsonBlock(value, label) {
  return h('pre', { class: 'json', tabIndex: 0, role: 'region', 'aria-label': label }, JSON.stringify(value, null, 2));
}

/** 'yes' / 'no' for a boolean setting. @param {unknown} v */
export const yesNo = (v) => (v === true ? 'yes' : v === false ? 'no' : v === null || v === undefined ? 'not set' : JSON.stringify(v));

/** A list as words: 'a, b, c', or `none` when empty. @param {unknown} list @param {string} [none] */
export const listOf = (list, none = 'none') => (Array.isArray(list) && list.length ? list.map(word).join(', ') : none);

/** One item of a settings list in words: a string, or an object's name (groups: { displayName } or { id }). @param {unknown} x */
function word(x) {
  if (typeof x === 'string') return x;
  if (x && typeof x === 'object') {
    const o = /** @type {Record<string, unknown>} */ (x);
    for (const k of ['displayName', 'name', 'id']) if (typeof o[k] === 'string') return /** @type {string} */ (o[k]);
  }
  return JSON.stringify(x);
}

/**
 * Asks before a step that cannot be undone. The browser's own confirm dialog: keyboard and
 * screen-reader friendly without any code of ours.
 * @param {string} question
 */
export const confirmed = (question) => window.confirm(question);

/** The path of a tenant's settings. @param {string} tenant */
export const settingsPath = (tenant) => `/tenants/${seg(tenant)}/settings`;

/**
 * Where settings are written: the tenant, and the session whose CSRF token goes with the write (the
 * page's ctx has both: { params: { tenant }, session: { csrfToken } }).
 * @typedef {{ params: Record<string, string>, session: { csrfToken: string } }} SettingsTarget
 */

/**
 * Reads the tenant's settings, lets `change` make the new document from them, and replaces them
 * with If-Match: the version read, so a change made meanwhile by someone else is refused (412)
 * rather than overwritten. Resolves with the API's answer ({ version, settings, dropped? }).
 * @param {SettingsTarget} ctx
 * @param {(settings: Record<string, any>) => Record<string, any>} change
 * @param {{ dropValues?: boolean, version?: number }} [o] version: the one the page showed (else the one read now)
 */
export async function updateSettings(ctx, change, o = {}) {
  const read = await api('GET', settingsPath(ctx.params.tenant));
  if (o.version !== undefined && read.version !== o.version) throw staleError(o.version, read.version);
  const next = change(structuredClone(read.settings));
  return putSettings(ctx, next, read.version, o.dropValues);
}

/**
 * PUT the settings document with If-Match (what makes a concurrent change a 412 instead of a silent
 * overwrite); a 412 becomes a sentence saying what happened and what to do.
 * @param {SettingsTarget} ctx @param {unknown} settings @param {number} version @param {boolean} [dropValues]
 */
export async function putSettings(ctx, settings, version, dropValues) {
  try {
    return await api('PUT', settingsPath(ctx.params.tenant), { body: settings, query: { dropValues: dropValues ? 'true' : undefined }, headers: { 'if-match': String(version) } });
  } catch (err) {
    if (err instanceof ApiError && err.status === 412) throw staleError(version, null);
    throw err;
  }
}

/** @param {number} seen @param {number | null} now */
function staleError(seen, now) {
  return new ApiError(412, {
    type: 'urn:rollcall:problem:version-mismatch',
    detail: `Someone changed these settings after you opened this page (you read version ${seen}${now === null ? '' : `, they are now at version ${now}`}). Nothing was saved. Reload the page to see their change, then make yours again.`,
  });
}
