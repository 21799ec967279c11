// @ts-check
// What the users and groups pages share: the list page itself (resourceList), the SCIM filter search (a text field passed as `filter`;
// the admin API's 400 for a bad filter is shown as the pager's error, in its own words), the note
// that IdP-managed resources are read-only while SCIM mode is on, and a SCIM resource's attributes
// as nested lists (core attributes first, then each extension under its schema URN).
import { api, seg } from './api.js';
import { h } from './dom.js';
import { badge, button, emptyState, field, input, link, pageTitle, pager, table } from './ui.js';

/** @typedef {import('./dom.js').Children} Children */

/**
 * A search form for a SCIM filter; submitting it navigates to `path?filter=…`.
 * @param {import('../console.js').PageContext} ctx
 * @param {{ path: string, what: string, examples: string[] }} o
 */
export function filterForm(ctx, o) {
  const current = ctx.query.get('filter') ?? '';
  const text = input({ name: 'filter', value: current, placeholder: o.examples[0], maxLength: 4000 });
  text.classList.add('mono');
  return h('form', {
    role: 'search', 'aria-label': `Search ${o.what}`,
    on: {
      submit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        const f = text.value.trim();
        ctx.navigate(f ? `${o.path}?filter=${encodeURIComponent(f)}` : o.path);
      },
    },
  },
  field('SCIM filter', text, `The SCIM filter grammar (RFC 7644), e.g. ${o.examples.join('  or  ')}. Strings go in double quotes.`),
  h('div', { class: 'form-actions' },
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
    current ? button('Clear filter', () => ctx.navigate(o.path)) : null));
}

/**
 * A users or groups page: the title, the read-only note, the filter search and a pager of the
 * tenant's resources (50 a page) in a table of `columns`; `empty` says why there are none (no filter).
 * @template T
 * @param {import('../console.js').PageContext} ctx
 * @param {{ title: string, what: 'users' | 'groups', examples: string[], columns: (base: string) => Array<{ label: string, cell: (row: T) => Children }>, empty: (tenant: import('../pages/tenants.js').Tenant) => string }} o
 */
export async function resourceList(ctx, o) {
  const base = `/tenants/${seg(ctx.params.tenant)}`;
  const path = `${base}/${o.what}`;
  const filter = ctx.query.get('filter') ?? '';
  /** @type {import('../pages/tenants.js').Tenant} */
  const tenant = await api('GET', base);
  const one = o.what === 'users' ? 'user' : 'group';
  return h('div', null,
    pageTitle(o.title),
    readOnlyNote(tenant.scimEnabled, o.what, `${base}/scim`),
    filterForm(ctx, { path, what: o.what, examples: o.examples }),
    pager({
      label: o.what,
      load: (after) => api('GET', path, { query: { filter, after, limit: 50 } }),
      render: (/** @type {T[]} */ rows) => table({ caption: filter ? `${o.title} matching ${filter}` : o.title, captionHidden: true, rows, columns: o.columns(base) }),
      empty: () => (filter
        ? emptyState(`No ${one} matches the filter ${filter}.`, link(path, `Show every ${one}`))
        : emptyState(o.empty(tenant), link(`${base}/requests`, 'Open the request log'))),
    }));
}

/** @param {boolean} idpManaged */
export const managedBadge = (idpManaged) => (idpManaged ? badge('IdP-managed', 'info') : badge('Local', 'muted'));

/**
 * Why IdP-managed users or groups cannot be changed here, when SCIM mode is on.
 * @param {boolean} scimEnabled
 * @param {string} what 'users' or 'groups'
 * @param {string} scimPath the tenant's SCIM setup page
 */
export function readOnlyNote(scimEnabled, what, scimPath) {
  if (!scimEnabled) return null;
  return h('p', { class: 'note' }, h('strong', null, 'SCIM mode is on. '),
    `${what[0].toUpperCase()}${what.slice(1)} marked IdP-managed are read-only here: the identity provider owns them, and a change made here would be overwritten or refused. Change them in the identity provider. `,
    link(scimPath, 'About SCIM mode'));
}

/** Attributes not shown as attributes: they are shown elsewhere on the page, or are SCIM bookkeeping. */
const HIDDEN = new Set(['schemas', 'id', 'meta', 'members', 'groups']);

/**
 * A value as text: strings as they are, others as JSON.
 * @param {unknown} v
 */
const text = (v) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * A value of any shape as nested lists.
 * @param {unknown} v
 * @returns {Children}
 */
function valueView(v) {
  if (Array.isArray(v)) {
    if (v.length === 0) return h('span', { class: 'muted' }, 'none');
    return h('ol', { class: 'values' }, ...v.map((x) => h('li', null, valueView(x))));
  }
  if (v && typeof v === 'object') {
    const entries = Object.entries(v);
    if (entries.length === 0) return h('span', { class: 'muted' }, 'empty');
    return h('dl', { class: 'attrs' }, ...entries.flatMap(([k, x]) => [h('dt', null, k), h('dd', null, valueView(x))]));
  }
  return v === null ? h('span', { class: 'muted' }, 'null') : text(v);
}

/** A short name for an extension's schema URN. @param {string} urn */
function extensionName(urn) {
  if (urn === 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User') return 'Enterprise attributes';
  return 'Extension attributes';
}

/**
 * A resource's attributes: core attributes, then one part per extension (enterprise, custom).
 * @param {Record<string, unknown>} attrs
 */
export function attributesView(attrs) {
  const core = Object.entries(attrs).filter(([k]) => !HIDDEN.has(k) && !k.startsWith('urn:'));
  const extensions = Object.entries(attrs).filter(([k]) => k.startsWith('urn:'));
  return h('div', { class: 'attributes' },
    h('h3', null, 'Core attributes'),
    core.length ? h('dl', { class: 'attrs' }, ...core.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, valueView(v))])) : h('p', { class: 'muted' }, 'None.'),
    ...extensions.map(([urn, v]) => h('div', null, h('h3', null, extensionName(urn)), h('p', { class: 'hint mono' }, urn), valueView(v))));
}

/**
 * The raw document, pretty-printed, behind a disclosure.
 * @param {unknown} doc
 */
export const rawJson = (doc) => h('details', null, h('summary', null, 'The stored SCIM document (JSON)'), h('pre', null, JSON.stringify(doc, null, 2)));
