// @ts-check
// One webhook endpoint (/webhooks/:id, ?tenant=<slug> for a tenant's endpoint): its delivery
// attempts (status, latency, error, outcome; newest first) and its dead letters (events given up on
// after the retry schedule) with replay: one dead letter, or an event and every later one of its
// tenant, in order (docs/events.md "Retries, ordering, dead letters").
import { api, seg } from '../lib/api.js';
import { confirmed, kvList } from '../lib/details.js';
import { h, replace } from '../lib/dom.js';
import { badge, button, emptyState, errorBox, field, form, input, link, pageTitle, pager, section, select, table, time } from '../lib/ui.js';
import { stateBadge, webhookPaths } from './webhooks.js';

/** @typedef {import('../console.js').PageContext} PageContext */

/** @param {string} outcome */
const outcomeBadge = (outcome) => badge(outcome, outcome === 'delivered' ? 'ok' : outcome === 'skipped' ? 'muted' : outcome === 'failed' ? 'warn' : 'bad');

/** @param {PageContext} ctx */
export async function render(ctx) {
  const tenant = ctx.query.get('tenant') || undefined;
  const paths = webhookPaths(tenant);
  const path = `${paths.api}/${seg(ctx.params.id)}`;
  const e = await api('GET', path);
  const notice = h('div', { class: 'notice' });
  const attemptsBox = h('div');
  const outcome = select('outcome', [['', 'Every outcome'], ['delivered', 'Delivered'], ['failed', 'Failed (will retry)'], ['dead', 'Dead (given up)'], ['skipped', 'Skipped']], '');
  const showAttempts = () => replace(attemptsBox, pager({
    label: 'delivery attempts',
    load: (after) => api('GET', `${path}/attempts`, { query: { after, limit: 50, outcome: outcome.value } }),
    empty: () => emptyState(outcome.value
      ? 'No attempt with this outcome.'
      : 'No delivery yet. Events are sent as they happen: make a change in the tenant (e.g. the IdP provisions a user) and it appears here.'),
    render: (rows) => table({
      caption: 'Delivery attempts, newest first', rows,
      columns: [
        { label: 'Time', cell: (a) => time(a.at) },
        { label: 'Event', cell: (a) => h('span', { class: 'mono' }, a.eventId) },
        { label: 'Outcome', cell: (a) => outcomeBadge(a.outcome) },
        { label: 'HTTP status', cell: (a) => (a.status === null ? 'no answer' : String(a.status)) },
        { label: 'Latency', cell: (a) => (a.latencyMs === null ? '—' : `${a.latencyMs} ms`) },
        { label: 'Error', cell: (a) => a.error ?? '' },
      ],
    }),
  }));
  outcome.addEventListener('change', showAttempts);
  showAttempts();
  const deadBox = h('div');
  const showDead = () => replace(deadBox, pager({
    label: 'dead letters',
    load: (after) => api('GET', `${path}/dead-letters`, { query: { after, limit: 50 } }),
    empty: () => emptyState('No dead letter: every event was delivered or is still being retried.'),
    render: (rows) => table({
      caption: 'Dead letters, newest first', rows,
      columns: [
        { label: 'Given up', cell: (d) => time(d.at) },
        { label: 'Event', cell: (d) => h('span', { class: 'mono' }, d.eventId) },
        { label: 'Attempts', cell: (d) => String(d.attempts) },
        { label: 'Last error', cell: (d) => d.lastError ?? '' },
        { label: 'Replay', cell: (d) => (d.replayedAt ? h('span', null, 'delivered by replay ', time(d.replayedAt)) : d.replayAt ? h('span', null, 'replay pending, next try ', time(d.replayAt)) : 'not replayed') },
        ...(ctx.canWrite ? [{ label: 'Actions', cell: (/** @type {any} */ d) => replayButtons(path, d, notice, showDead) }] : []),
      ],
    }),
  }));
  showDead();
  const back = tenant === undefined ? link('/webhooks', 'All global webhooks') : link(`/tenants/${seg(tenant)}/webhooks`, `Webhooks of ${tenant}`);
  return h('div', null,
    h('p', null, back),
    pageTitle('Webhook endpoint', stateBadge(e)),
    kvList([
      ['URL', h('span', { class: 'mono' }, e.url)],
      ['Description', e.description ?? undefined],
      ['Receives', tenant === undefined ? 'the events of every tenant' : `the events of ${tenant}`],
      ['Event types', e.types === null ? 'all' : e.types.join(', ')],
      ['Enabled', e.enabled ? 'yes' : 'no'],
      ['State', h('span', null, e.state, e.stateReason ? ` — ${e.stateReason}` : '')],
      ['Previous secret signs until', e.previousSecretUntil ? time(e.previousSecretUntil) : undefined],
      ['Created', time(e.createdAt)],
    ], 'Endpoint'),
    notice,
    section('Deliveries', field('Show', outcome), attemptsBox),
    section('Dead letters', h('p', { class: 'hint' }, 'An event is dead-lettered after about 3 days of failed retries; the endpoint then moves on to the next event. Replay sends it again once the receiver is fixed.'), deadBox),
    ctx.canWrite ? section('Change the endpoint', editForm(ctx, path, e)) : null,
    ctx.canWrite ? section('Replay from an event', replayFromForm(path, notice)) : null);
}

/** @param {string} path @param {any} d @param {HTMLElement} notice @param {() => void} reload */
function replayButtons(path, d, notice, reload) {
  /** @param {object} body @param {string} what */
  const replay = async (body, what) => {
    replace(notice);
    try {
      await api('POST', `${path}/replay`, { body });
      replace(notice, h('p', { class: 'ok', role: 'status' }, `${what}: the delivery is queued.`));
      reload();
    } catch (err) { replace(notice, errorBox(err, 'The replay was not started')); }
  };
  return h('div', { class: 'row-actions' },
    button('Replay', () => replay({ deadLetter: d.id }, `Replaying ${d.eventId}`), { label: `Replay ${d.eventId}` }),
    button('Replay from here', () => {
      if (!confirmed(`Send ${d.eventId} and every later event of its tenant again, in order?`)) return;
      return replay({ fromEvent: d.eventId }, `Replaying from ${d.eventId} on`);
    }, { label: `Replay from here: ${d.eventId} and every later event` }));
}

/**
 * URL, event types and description (PATCH); an empty types field means every event. The secret is
 * unchanged (rotated from the endpoints list).
 * @param {PageContext} ctx @param {string} path @param {any} e
 */
function editForm(ctx, path, e) {
  return form({
    label: 'Change the endpoint', submit: 'Save endpoint',
    onSubmit: async (values) => {
      const types = (values.types ?? '').split(',').map((t) => t.trim()).filter(Boolean);
      const description = (values.description ?? '').trim();
      await api('PATCH', path, { body: { url: (values.url ?? '').trim(), types: types.length ? types : null, description: description || null } });
      ctx.refresh();
    },
  },
  field('URL', input({ name: 'url', type: 'url', required: true, value: e.url })),
  field('Event types', input({ name: 'types', value: e.types === null ? '' : e.types.join(', ') }), 'Comma-separated types or patterns ("user.*"); leave empty for every event. Patterns are saved expanded to the types they cover.'),
  field('Description', input({ name: 'description', value: e.description ?? '', maxLength: 1000 })));
}

/** @param {string} path @param {HTMLElement} notice */
function replayFromForm(path, notice) {
  return form({
    label: 'Replay from an event', submit: 'Replay from this event',
    onSubmit: async (values) => {
      const id = (values.fromEvent ?? '').trim();
      await api('POST', `${path}/replay`, { body: { fromEvent: id } });
      replace(notice, h('p', { class: 'ok', role: 'status' }, `Replaying from ${id} on: the endpoint sends it and every later event of its tenant again, in order.`));
    },
  },
  h('p', null, 'After restoring the receiving app from a backup: the endpoint goes back to an event and sends it and every later event of its tenant again, in order.'),
  field('Event ID', input({ name: 'fromEvent', required: true, placeholder: 'evt_…' }), 'Find it on the Events page.'));
}
