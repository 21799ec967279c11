// @ts-check
// Webhook endpoints (docs/events.md "Webhooks"): /webhooks lists the global ones (every tenant's
// events), /tenants/:tenant/webhooks one tenant's. Each shows its URL, event filter, whether it is
// enabled and whether it is failing; admin keys create one (its signing secret shown once), rotate
// its secret (the new one shown once, the old one signing beside it for the overlap), enable or
// disable it, and delete it. An endpoint's deliveries are on its own page (webhook.js).
import { api, seg } from '../lib/api.js';
import { confirmed } from '../lib/details.js';
import { h, replace } from '../lib/dom.js';
import { badge, button, emptyState, errorBox, field, form, input, link, pageTitle, pager, secretOnce, section, select, table, time } from '../lib/ui.js';

/** @typedef {import('../console.js').PageContext} PageContext */

/**
 * The admin API path of the endpoints a page shows, and the console path of one endpoint's page.
 * @param {string | undefined} tenant
 */
export function webhookPaths(tenant) {
  const list = tenant === undefined ? '/webhooks' : `/tenants/${seg(tenant)}/webhooks`;
  /** @param {string} id */
  const page = (id) => `/webhooks/${seg(id)}${tenant === undefined ? '' : `?tenant=${seg(tenant)}`}`;
  return { api: list, page };
}

/** @param {any} e endpoint */
export function stateBadge(e) {
  if (!e.enabled) return badge('disabled', 'muted');
  if (e.state === 'failing') return badge('failing', 'bad');
  if (e.state === 'gone') return badge('gone (receiver answered 410)', 'bad');
  return badge('ok', 'ok');
}

/** @param {PageContext} ctx */
export async function render(ctx) {
  const tenant = ctx.params.tenant;
  const paths = webhookPaths(tenant);
  const notice = h('div', { class: 'notice' });
  const listBox = h('div');
  const showList = () => replace(listBox, endpointList(ctx, paths, notice, showList));
  showList();
  return h('div', null,
    pageTitle(tenant === undefined ? 'Global webhooks' : 'Webhooks'),
    h('p', null, tenant === undefined
      ? 'Endpoints that receive the events of every tenant, signed with the Standard Webhooks scheme. A tenant\'s own endpoints are on its Webhooks tab.'
      : 'Endpoints that receive this tenant\'s events, signed with the Standard Webhooks scheme. ',
    tenant === undefined ? null : link('/webhooks', 'Endpoints for every tenant are the global webhooks.')),
    notice,
    section('Endpoints', listBox),
    ctx.canWrite ? section('Add an endpoint', createForm(paths, notice, showList)) : null);
}

/**
 * @param {PageContext} ctx @param {ReturnType<typeof webhookPaths>} paths @param {HTMLElement} notice @param {() => void} reload
 */
function endpointList(ctx, paths, notice, reload) {
  return pager({
    label: 'webhook endpoints',
    load: (after) => api('GET', paths.api, { query: { after, limit: 50 } }),
    empty: () => emptyState(ctx.canWrite
      ? 'No endpoint yet. Add one below with the https URL of the app that should receive the events.'
      : 'No endpoint yet. Someone with an admin key adds one.'),
    render: (rows) => table({
      caption: 'Webhook endpoints', captionHidden: true, rows,
      columns: [
        { label: 'URL', cell: (e) => h('span', null, link(paths.page(e.id), h('span', { class: 'mono' }, e.url)), e.description ? h('div', { class: 'muted' }, e.description) : null) },
        { label: 'Events', cell: (e) => (e.types === null ? 'all events' : e.types.join(', ')) },
        { label: 'State', cell: (e) => h('span', null, stateBadge(e), e.stateReason ? h('div', { class: 'muted' }, e.stateReason) : null) },
        { label: 'Previous secret signs until', cell: (e) => time(e.previousSecretUntil) },
        ...(ctx.canWrite ? [{ label: 'Actions', cell: (/** @type {any} */ e) => actions(paths, e, notice, reload) }] : []),
      ],
    }),
  });
}

/** @param {ReturnType<typeof webhookPaths>} paths @param {any} e @param {HTMLElement} notice @param {() => void} reload */
function actions(paths, e, notice, reload) {
  const path = `${paths.api}/${seg(e.id)}`;
  /** @param {() => Promise<unknown>} step @param {string} what */
  const run = async (step, what) => {
    replace(notice);
    try { await step(); } catch (err) { replace(notice, errorBox(err, what)); }
  };
  const toggle = () => run(async () => { await api('PATCH', path, { body: { enabled: !e.enabled } }); reload(); }, `Could not ${e.enabled ? 'disable' : 'enable'} ${e.url}`);
  const remove = () => run(async () => {
    if (!confirmed(`Delete the endpoint ${e.url} and its delivery history? It receives nothing more.`)) return;
    await api('DELETE', path);
    reload();
  }, `Could not delete ${e.url}`);
  const rotate = () => { replace(notice, rotateForm(path, e, notice, reload)); notice.querySelector('select')?.focus(); };
  return h('div', { class: 'row-actions' },
    button('Rotate secret', rotate, { label: `Rotate secret of ${e.url}` }),
    button(e.enabled ? 'Disable' : 'Enable', toggle, { label: `${e.enabled ? 'Disable' : 'Enable'} ${e.url}` }),
    button('Delete', remove, { kind: 'danger', label: `Delete ${e.url}` }));
}

/** @param {string} path @param {any} e @param {HTMLElement} notice @param {() => void} reload */
function rotateForm(path, e, notice, reload) {
  return h('section', { class: 'card', 'aria-label': `Rotate the secret of ${e.url}` },
    h('h3', null, `Rotate the signing secret of ${e.url}`),
    h('p', null, 'A new secret is made and shown once. During the overlap every delivery is signed with both the old and the new secret, so the receiver can switch to the new one at its own pace; then only the new one signs.'),
    form({
      label: 'Rotate secret', submit: 'Rotate secret',
      onSubmit: async (values) => {
        const rotated = await api('POST', `${path}/rotate-secret`, { body: { overlap: values.overlap } });
        replace(notice, secretOnce('New signing secret', rotated.secret,
          rotated.previousSecretUntil ? `The old secret keeps signing beside it until ${new Date(rotated.previousSecretUntil).toLocaleString()}. Deploy the new one at the receiver before then.` : 'The old secret no longer signs: deploy the new one at the receiver now.'));
        reload();
      },
    }, field('Overlap (how long the old secret keeps signing)', select('overlap', [['24h', '24 hours (default)'], ['1h', '1 hour'], ['7d', '7 days (longest)'], ['0', 'None: the old secret stops at once']], '24h'))));
}

/** @param {ReturnType<typeof webhookPaths>} paths @param {HTMLElement} notice @param {() => void} reload */
function createForm(paths, notice, reload) {
  return form({
    label: 'Add an endpoint', submit: 'Add endpoint',
    onSubmit: async (values, f) => {
      const types = (values.types ?? '').split(',').map((t) => t.trim()).filter(Boolean);
      /** @type {Record<string, unknown>} */
      const body = { url: (values.url ?? '').trim(), types: types.length ? types : null };
      if ((values.description ?? '').trim()) body.description = values.description.trim();
      const created = await api('POST', paths.api, { body });
      replace(notice, h('div', { class: 'card' },
        h('p', null, 'Endpoint added: ', link(paths.page(created.id), created.url), '.'),
        secretOnce('Signing secret', created.secret, 'The receiver verifies every delivery with it (docs/events.md "Verifying a request").')));
      f.reset();
      reload();
      notice.scrollIntoView({ block: 'nearest' });
    },
  },
  field('URL', input({ name: 'url', type: 'url', required: true, placeholder: 'https://app.example.com/rollcall/webhook' }), 'Where events are posted. https:// (plain http and private addresses only where the server allows them).'),
  field('Event types', input({ name: 'types', placeholder: 'user.*, group.member_added' }), 'Comma-separated types or patterns ("user.*"); leave empty for every event.'),
  field('Description', input({ name: 'description', maxLength: 1000 })));
}
