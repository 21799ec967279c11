// @ts-check
// The events feed (GET /admin/v1/events, docs/events.md "The events feed"): /events for every
// tenant (with a tenant filter), /tenants/:tenant/events for one. Events come newest first (the
// feed's order=desc) and page back in time by cursor; each one opens to its JSON payload,
// exactly as webhooks receive it. Filters live in the page's address, so a filtered view can be
// linked to.
import { api, seg } from '../lib/api.js';
import { jsonBlock } from '../lib/details.js';
import { h, replace } from '../lib/dom.js';
import { button, emptyState, errorBox, field, form, input, pageTitle, time } from '../lib/ui.js';

/** @typedef {import('../console.js').PageContext} PageContext */

const LIMIT = 50;

/** @param {PageContext} ctx */
export async function render(ctx) {
  const fixedTenant = ctx.params.tenant;
  const tenant = fixedTenant ?? (ctx.query.get('tenant') || undefined);
  const types = ctx.query.get('types') || undefined;
  const here = fixedTenant === undefined ? '/events' : `/tenants/${seg(fixedTenant)}/events`;
  const filters = form({
    label: 'Filter events', submit: 'Show events',
    onSubmit: (values) => {
      const q = new URLSearchParams();
      if (fixedTenant === undefined && values.tenant?.trim()) q.set('tenant', values.tenant.trim());
      if (values.types?.trim()) q.set('types', values.types.trim());
      const qs = q.toString();
      ctx.navigate(qs ? `${here}?${qs}` : here);
    },
  },
  fixedTenant === undefined ? field('Tenant', input({ name: 'tenant', value: tenant ?? '', placeholder: 'acme' }), 'A tenant\'s slug (or id, which still works once it is deleted); empty for every tenant.') : null,
  field('Event types', input({ name: 'types', value: types ?? '', placeholder: 'user.*, group.member_added' }), 'Comma-separated types or patterns; empty for every type. The list is in docs/events.md.'));

  const box = h('div', { class: 'events' });
  /** @type {Array<string | undefined>} */
  const stack = [];
  /** @param {string | undefined} before */
  const show = async (before) => {
    box.setAttribute('aria-busy', 'true');
    try {
      const page = await api('GET', '/events', { query: { tenant, types, order: 'desc', before, limit: LIMIT } });
      /** @type {any[]} */
      const rows = page.data ?? [];
      const more = rows.length === LIMIT;
      replace(box,
        rows.length === 0
          ? emptyState(stack.length
            ? 'No older events: the oldest kept (30 days by default) was on the previous page.'
            : 'No events yet. They appear as the identity provider creates, changes and removes users and groups, and as tokens and tenants change.')
          : h('ol', { class: 'event-list', 'aria-label': 'Events, newest first' }, ...rows.map((e) => eventItem(e, fixedTenant === undefined))),
        h('nav', { class: 'pager-nav', 'aria-label': 'Events pages' },
          stack.length === 0
            ? button('Check for newer events', () => show(undefined))
            : h('button', { type: 'button', class: 'btn btn-plain', on: { click: () => { void show(stack.pop()); } } }, 'Newer events'),
          h('button', { type: 'button', class: 'btn btn-plain', disabled: !more, on: { click: () => { stack.push(before); void show(page.next); } } }, 'Older events')));
    } catch (err) {
      replace(box, errorBox(err, 'Could not load the events'));
    } finally {
      box.removeAttribute('aria-busy');
    }
  };
  void show(undefined);
  return h('div', null,
    pageTitle(fixedTenant === undefined ? 'Events' : 'Events of this tenant'),
    h('p', null, 'Every change Rollcall recorded, newest first, as apps read them from the events feed and webhooks receive them. Open an event to see its payload.'),
    filters,
    box);
}

/** @param {any} e @param {boolean} showTenant */
function eventItem(e, showTenant) {
  return h('li', null, h('details', null,
    h('summary', null,
      h('strong', null, e.type), subjectOf(e), ' · ', time(e.timestamp),
      showTenant && e.tenant ? h('span', null, ` · ${e.tenant.slug ?? e.tenant.id}`) : null,
      ' · ', h('span', { class: 'mono muted' }, e.id)),
    jsonBlock(e, `Payload of event ${e.id}`)));
}

/** Whom an event is about, from its data: the user's userName, the group's name, the token's id. @param {any} e */
function subjectOf(e) {
  const d = e.data ?? {};
  const what = d.user?.userName ?? d.group?.displayName ?? d.token?.id ?? d.tenant?.slug;
  return typeof what === 'string' ? ` ${what}` : '';
}
