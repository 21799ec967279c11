// @ts-check
// Tenants: every tenant with its SCIM health at a glance (the last 24 hours as bars, the last
// request, the error rate), searched by slug and name, paged; and, for an admin key, the form that
// creates a tenant (optionally from a settings preset, GET /presets). Health is loaded per tenant,
// a few at a time (lib/chart.js loadHealth), after the list is shown.
import { api, seg } from '../lib/api.js';
import { hourlyChart, loadHealth, percent } from '../lib/chart.js';
import { h, replace } from '../lib/dom.js';
import { badge, button, emptyState, field, form, input, link, pageTitle, pager, section, select, table, time } from '../lib/ui.js';

const PAGE = 50;

/**
 * @typedef {{ id: string, slug: string, name: string, createdAt: string, scimUrl: string, scimEnabled: boolean }} Tenant
 * @typedef {{ name: string, pattern: string, description: string, options: string[] }} Preset
 */

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  const search = (ctx.query.get('search') ?? '').trim();

  const searchInput = input({ name: 'search', value: search, type: 'search', placeholder: 'slug or name' });
  const searchForm = h('form', {
    role: 'search', 'aria-label': 'Tenant search',
    on: { submit: (/** @type {SubmitEvent} */ e) => { e.preventDefault(); const q = searchInput.value.trim(); ctx.navigate(q ? `/tenants?search=${encodeURIComponent(q)}` : '/tenants'); } },
  }, field('Search tenants', searchInput, 'Matches the slug or the name.'), h('div', { class: 'form-actions' },
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Search'),
    search ? button('Clear search', () => ctx.navigate('/tenants')) : null));

  const list = pager({
    label: 'tenants',
    load: (after) => api('GET', '/tenants', { query: { search, after, limit: PAGE } }),
    render: (/** @type {Tenant[]} */ rows) => tenantTable(rows),
    empty: () => (search
      ? emptyState(`No tenant's slug or name matches “${search}”.`, button('Clear search', () => ctx.navigate('/tenants')))
      : emptyState(ctx.canWrite
        ? 'There are no tenants yet. Create the first one with “Create a tenant”; then give its SCIM base URL and a token to the customer\'s identity provider.'
        : 'There are no tenants yet. Someone with an admin-scope key creates them.')),
  });

  /** @type {HTMLElement | null} */
  let create = null;
  /** @type {HTMLButtonElement | null} */
  let toggle = null;
  if (ctx.canWrite) {
    create = createTenantForm(ctx);
    create.id = 'create-tenant';
    create.classList.add('card');
    create.hidden = true;
    const panel = create;
    toggle = h('button', {
      type: 'button', class: 'btn btn-primary', 'aria-expanded': 'false', 'aria-controls': 'create-tenant',
      on: {
        click: () => {
          panel.hidden = !panel.hidden;
          toggle?.setAttribute('aria-expanded', String(!panel.hidden));
          if (!panel.hidden) panel.querySelector('input')?.focus();
        },
      },
    }, 'Create a tenant');
  }

  return h('div', null,
    pageTitle('Tenants', toggle),
    create,
    searchForm,
    list);
}

/** @param {Tenant[]} rows */
function tenantTable(rows) {
  /** @type {Map<string, { chart: HTMLElement, last: HTMLElement, rate: HTMLElement }>} */
  const cells = new Map();
  for (const t of rows) {
    cells.set(t.slug, {
      chart: h('span', { class: 'loading' }, 'Loading…'), last: h('span', { class: 'muted' }, '…'), rate: h('span', { class: 'muted' }, '…'),
    });
  }
  const tbl = table({
    caption: 'Tenants and their SCIM health',
    captionHidden: true,
    rows,
    columns: [
      { label: 'Tenant', cell: (t) => [link(`/tenants/${seg(t.slug)}`, t.name || t.slug), h('div', { class: 'hint mono' }, t.slug)] },
      { label: 'SCIM', cell: (t) => (t.scimEnabled ? badge('SCIM on', 'ok') : badge('SCIM off', 'muted')) },
      { label: 'Requests and errors, 24 h', cell: (t) => cells.get(t.slug)?.chart },
      { label: 'Last request', cell: (t) => cells.get(t.slug)?.last },
      { label: 'Error rate, 24 h', cell: (t) => cells.get(t.slug)?.rate },
    ],
  });
  for (const t of rows) {
    const c = /** @type {{ chart: HTMLElement, last: HTMLElement, rate: HTMLElement }} */ (cells.get(t.slug));
    loadHealth(t.slug).then((hl) => {
      replace(c.chart, hourlyChart(hl.hourly, { label: `${t.slug}: ${hl.last24Hours.requests} requests and ${hl.last24Hours.clientErrors + hl.last24Hours.serverErrors} errors in the last 24 hours` }));
      replace(c.last, hl.lastRequestAt ? time(hl.lastRequestAt) : h('span', { class: 'muted' }, hl.recording ? 'Never' : 'Not recorded'));
      const errors = hl.last24Hours.clientErrors + hl.last24Hours.serverErrors;
      replace(c.rate, hl.last24Hours.errorRate === null ? h('span', { class: 'muted' }, '—')
        : errors > 0 ? badge(percent(hl.last24Hours.errorRate), hl.last24Hours.errorRate >= 0.1 ? 'bad' : 'warn') : badge('0%', 'ok'));
    }, (err) => {
      const why = err instanceof Error ? err.message : 'unknown error';
      replace(c.chart, h('span', { class: 'muted', title: why }, 'Health unavailable'));
      replace(c.last); replace(c.rate);
    });
  }
  return tbl;
}

/** @param {import('../console.js').PageContext} ctx */
function createTenantForm(ctx) {
  const slug = input({ name: 'slug', required: true, maxLength: 100, placeholder: 'acme' });
  const name = input({ name: 'name', maxLength: 1000, placeholder: 'Acme Corporation' });
  const preset = select('preset', [['', 'No preset: the default settings']]);
  const presetHint = h('p', { class: 'hint', id: 'preset-about' }, 'A preset sets the tenant\'s policies as a known product does; the settings can be changed afterwards.');
  preset.setAttribute('aria-describedby', 'preset-about');
  const welcome = input({ name: 'welcomeLink', maxLength: 2000, type: 'url', placeholder: 'https://app.example.com/welcome' });
  const welcomeField = field('Welcome email link', welcome, 'The link the welcome email sends new users to.');
  welcomeField.hidden = true;
  /** @type {Preset[]} */
  let presets = [];
  api('GET', '/presets').then((/** @type {{ data: Preset[] }} */ r) => {
    presets = r.data;
    for (const p of presets) preset.append(h('option', { value: p.name }, `${p.name} (as ${p.pattern})`));
  }, () => { presetHint.textContent = 'The presets could not be loaded; the tenant can still be created with the default settings.'; });
  preset.addEventListener('change', () => {
    const p = presets.find((x) => x.name === preset.value);
    presetHint.textContent = p ? p.description : 'The default settings; they can be changed afterwards.';
    welcomeField.hidden = !p?.options.includes('welcomeLink');
  });

  const f = form({
    label: 'Create a tenant', submit: 'Create tenant',
    onSubmit: async (values) => {
      /** @type {Record<string, string>} */
      const body = { slug: (values.slug ?? '').trim() };
      if (values.name?.trim()) body.name = values.name.trim();
      if (values.preset) body.preset = values.preset;
      if (values.preset && !welcomeField.hidden && values.welcomeLink?.trim()) body.welcomeLink = values.welcomeLink.trim();
      /** @type {Tenant} */
      const t = await api('POST', '/tenants', { body });
      ctx.navigate(`/tenants/${seg(t.slug)}/scim?created=1`);
    },
  },
  field('Slug', slug, 'Names the tenant in URLs (/scim/v2/<slug>): up to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit. It cannot be changed later.'),
  field('Name', name, 'Shown to people; the slug is used when empty.'),
  h('div', { class: 'field' }, h('label', { for: preset.id || (preset.id = 'preset') }, 'Settings preset'), preset, presetHint),
  welcomeField);
  return section('Create a tenant', f);
}
