// @ts-check
// The parts the Okta and Entra setup guides share: the tenant's settings read once (the unique
// identifier, the custom attributes), the SCIM step (base URL, a token created here and shown once,
// the live "first request received"), and the single sign-on step (the SP values to paste, the IdP
// metadata uploaded from a file or a URL, a test sign-in). Everything calls the admin API with the
// setup session, which may call only these routes, for this tenant only.
import { absoluteUrl, api, ApiError, seg, setCsrfToken } from '../lib/api.js';
import { h, replace, uid } from '../lib/dom.js';
import { announce, badge, button, copyField, errorBox, field, form, input, secretOnce, table, time } from '../lib/ui.js';

/** @typedef {import('../setup.js').SetupContext} SetupContext */
/** @typedef {'okta' | 'entra'} Idp */

export const IDP_NAMES = /** @type {const} */ ({ okta: 'Okta', entra: 'Microsoft Entra ID' });
/** How often the "first request" watch asks, while the page is visible (ms). */
const POLL_MS = 2000;
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/**
 * What the guides need to know of the tenant: its SCIM base URL, the unique identifier its policy
 * names, and its custom User attributes (schema URN and name).
 * @typedef {{ scimUrl: string, identifier: 'userName' | 'email', custom: Array<{ schema: string, name: string, type: string, multiValued: boolean }> }} TenantFacts
 */

/** @param {SetupContext} ctx @returns {Promise<TenantFacts>} */
export async function tenantFacts(ctx) {
  const [tenant, settings] = await Promise.all([
    api('GET', `/tenants/${seg(ctx.slug)}`),
    api('GET', `/tenants/${seg(ctx.slug)}/settings`),
  ]);
  const doc = settings?.settings ?? {};
  const identifier = doc.policies?.attributes?.uniqueIdentifier === 'email' ? 'email' : 'userName';
  /** @type {TenantFacts['custom']} */
  const custom = [];
  for (const schema of Array.isArray(doc.customSchemas) ? doc.customSchemas : []) {
    if (typeof schema?.id !== 'string' || !schema.id.endsWith(':User')) continue;
    for (const a of Array.isArray(schema.attributes) ? schema.attributes : []) {
      if (typeof a?.name === 'string') custom.push({ schema: schema.id, name: a.name, type: typeof a.type === 'string' ? a.type : 'string', multiValued: a.multiValued === true });
    }
  }
  return { scimUrl: tenant.scimUrl, identifier, custom };
}

/** The Okta Profile Editor values of the manager and each custom attribute. @param {TenantFacts} facts */
export function oktaAttributeTable(facts) {
  const rows = [{ schema: ENTERPRISE, name: 'manager', type: 'string', multiValued: false, source: 'user.managerId' }, ...facts.custom.map((c) => ({ ...c, source: '(the Okta field you choose)' }))];
  return table({
    caption: 'Attributes to add in the Okta Profile Editor',
    columns: [
      { label: 'External name', cell: (r) => h('code', null, r.name) },
      { label: 'External namespace', cell: (r) => h('code', null, r.schema) },
      { label: 'Data type', cell: (r) => `${r.type}${r.multiValued ? ' (array)' : ''}` },
      { label: 'Map from', cell: (r) => r.source },
    ],
    rows,
  });
}

/** The Entra target attributes of the manager and each custom attribute. @param {TenantFacts} facts */
export function entraAttributeTable(facts) {
  const rows = [{ schema: ENTERPRISE, name: 'manager', type: 'Reference', multiValued: false, note: 'usually listed already: keep the mapping manager → this' }, ...facts.custom.map((c) => ({ ...c, type: entraType(c.type), note: 'add it to the attribute list first' }))];
  return table({
    caption: 'Target attributes to map in Entra',
    columns: [
      { label: 'Target attribute', cell: (r) => h('code', null, `${r.schema}:${r.name}`) },
      { label: 'Type', cell: (r) => `${r.type}${r.multiValued ? ' (multi-value)' : ''}` },
      { label: 'Note', cell: (r) => r.note },
    ],
    rows,
  });
}

/** @param {string} t */
const entraType = (t) => ({ string: 'String', integer: 'Integer', boolean: 'Boolean', dateTime: 'DateTime', reference: 'Reference', decimal: 'String' })[t] ?? 'String';

/**
 * "Create SCIM token": the token shown once, with its copy button. Keyboard: the button, then the
 * token field, then its copy button.
 * @param {SetupContext} ctx
 * @param {Idp} idp
 */
export function tokenStep(ctx, idp) {
  const out = h('div', { class: 'token-out' });
  const create = button('Create SCIM token', async () => {
    create.disabled = true;
    replace(out, h('p', { class: 'loading' }, 'Creating the token…'));
    try {
      const made = await api('POST', `/tenants/${seg(ctx.slug)}/tokens`, { body: { name: `${IDP_NAMES[idp]} (setup link)` } });
      replace(out, secretOnce('SCIM token', made.token, `Paste it into ${IDP_NAMES[idp]} (${idp === 'okta' ? 'Authorization (Bearer)' : 'Secret Token'}): the token only, without the word Bearer.`));
      announce('SCIM token created. Copy it now: it is shown once.');
      const fieldEl = out.querySelector('input');
      if (fieldEl instanceof HTMLInputElement) fieldEl.focus();
    } catch (err) {
      replace(out, errorBox(err, 'Could not create the token'));
    } finally {
      create.disabled = false;
    }
  }, { kind: 'primary' });
  return h('div', null, create, out);
}

/**
 * The live "first request received from Okta / Entra": GET /tenants/{t}/health every 2 s while the
 * page is visible and on screen; announced (aria-live) when a request newer than the page arrives.
 * @param {SetupContext} ctx
 * @param {Idp} idp
 */
export function firstRequestWatch(ctx, idp) {
  const status = h('div', { role: 'status', 'aria-live': 'polite', class: 'first-request' },
    h('p', { class: 'muted' }, `Waiting for the first request from ${IDP_NAMES[idp]}… It appears here when you test the connection there.`));
  /** @type {number | null} The newest request seen before this page (server time); null: none yet. */
  let baseline = null;
  let first = true;
  let done = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const schedule = () => { if (!done) timer = setTimeout(() => { void poll(); }, POLL_MS); };
  const poll = async () => {
    timer = undefined;
    if (!status.isConnected && !first) { done = true; return; }
    if (document.visibilityState !== 'visible') return; // resumed by visibilitychange
    try {
      const health = await api('GET', `/tenants/${seg(ctx.slug)}/health`);
      if (health.recording === false) {
        replace(status, h('p', { class: 'muted' }, 'This server does not record requests, so it cannot show when the first one arrives. Use the test in your identity provider instead.'));
        done = true;
        return;
      }
      const last = health.lastRequestAt ? Date.parse(health.lastRequestAt) : null;
      if (first) {
        // What the server had seen when this page opened does not count (a previous attempt's).
        // Compared in the server's own times, so the browser's clock does not matter.
        baseline = last;
        first = false;
        schedule();
        return;
      }
      if (last !== null && (baseline === null || last > baseline)) {
        const name = health.identityProvider?.name ?? 'your identity provider';
        const agent = health.identityProvider?.userAgent;
        replace(status, h('p', { class: 'ok' }, badge('Connected', 'ok'), ' ', h('strong', null, `First request received from ${name}`), ' at ', time(health.lastRequestAt), '.'),
          agent ? h('p', { class: 'hint' }, `User-Agent: ${agent}`) : null,
          health.lastError && Date.parse(health.lastError.at) > (baseline ?? 0) ? h('p', { class: 'hint' }, `The last request that failed: ${health.lastError.status} ${health.lastError.detail ?? ''}`) : null);
        done = true;
        return;
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) { done = true; return; }
      // A passing network error: keep waiting.
    }
    schedule();
  };
  const onVisibility = () => {
    if (done) { document.removeEventListener('visibilitychange', onVisibility); return; }
    if (document.visibilityState === 'visible' && timer === undefined) void poll();
  };
  document.addEventListener('visibilitychange', onVisibility);
  void poll();
  return status;
}

/** The SP values to paste at the IdP (this tenant's, as every connection's `sp` shows them). @param {SetupContext} ctx @param {Idp} idp */
export function spValues(ctx, idp) {
  const b = `/saml/${seg(ctx.slug)}`;
  return h('div', null,
    copyField(idp === 'okta' ? 'Single sign-on URL (ACS URL)' : 'Reply URL (Assertion Consumer Service URL)', absoluteUrl(`${b}/acs`)),
    copyField(idp === 'okta' ? 'Audience URI (SP Entity ID)' : 'Identifier (Entity ID)', absoluteUrl(`${b}/metadata`)),
    copyField('SP metadata URL', absoluteUrl(`${b}/metadata`), 'For identity providers that import the service provider\'s metadata.'));
}

/**
 * The IdP's metadata (a file, or the URL where it publishes it) → a SAML connection; the tenant's
 * connections, each with "Test sign-in".
 * @param {SetupContext} ctx
 * @param {Idp} idp
 */
export function connectionStep(ctx, idp) {
  const list = h('div', { class: 'connections' });
  const testOut = h('div', { role: 'status', 'aria-live': 'polite' });
  const load = async () => {
    try {
      const page = await api('GET', `/tenants/${seg(ctx.slug)}/saml/connections`);
      /** @type {any[]} */
      const rows = page.data ?? [];
      replace(list, rows.length === 0
        ? h('p', { class: 'muted' }, 'No identity provider is connected yet: upload its metadata below.')
        : table({
          caption: 'Connected identity providers',
          columns: [
            { label: 'Name', cell: (c) => c.name },
            { label: 'Entity id', cell: (c) => h('code', null, c.entityId) },
            { label: 'Status', cell: (c) => [c.enabled ? badge('Enabled', 'ok') : badge('Disabled', 'muted'), ...(c.warnings ?? []).map((/** @type {string} */ w) => h('p', { class: 'hint' }, w))] },
            { label: 'Try it', cell: (c) => button('Test sign-in', () => testSignIn(ctx, c, testOut), { label: `Test sign-in with ${c.name}` }) },
          ],
          rows,
        }));
    } catch (err) {
      replace(list, errorBox(err, 'Could not load the connections'));
    }
  };
  void load();

  const file = h('input', { type: 'file', name: 'file', accept: '.xml,application/xml,text/xml,application/samlmetadata+xml' });
  const url = input({ name: 'metadataUrl', type: 'url', placeholder: 'https://…' });
  const name = input({ name: 'name', value: IDP_NAMES[idp], required: true, maxLength: 100 });
  const done = h('div', { role: 'status', 'aria-live': 'polite' });
  const upload = form({
    label: 'Connect the identity provider', submit: 'Connect',
    onSubmit: async (values, f) => {
      replace(done);
      const chosen = file.files?.[0];
      const metadataUrl = (values.metadataUrl ?? '').trim();
      if (!chosen && !metadataUrl) throw new ApiError(400, { detail: 'Choose the metadata file, or paste the metadata URL.' });
      if (chosen && metadataUrl) throw new ApiError(400, { detail: 'Give the metadata once: the file or the URL, not both.' });
      /** @type {Record<string, string>} */
      const body = { name: (values.name ?? '').trim() };
      if (chosen) {
        if (chosen.size > 1024 * 1024) throw new ApiError(400, { detail: `The file ${chosen.name} is larger than 1 MB: it is not an IdP metadata document.` });
        body.metadataXml = await chosen.text();
      } else {
        body.metadataUrl = metadataUrl;
      }
      const made = await api('POST', `/tenants/${seg(ctx.slug)}/saml/connections`, { body });
      f.reset();
      replace(done, h('p', null, badge('Connected', 'ok'), ` ${made.name} is connected (entity id ${made.entityId}). Test it below.`),
        ...(made.warnings ?? []).map((/** @type {string} */ w) => h('p', { class: 'hint' }, w)));
      announce(`${made.name} connected`);
      await load();
    },
  },
  field('Connection name', name, 'Shown to you and the vendor; any name.'),
  field('IdP metadata file', file, idp === 'okta' ? 'Okta: Sign On tab → SAML Signing Certificates → Actions → View IdP metadata, saved as a file.' : 'Entra: Single sign-on → SAML Certificates → Federation Metadata XML → Download.'),
  field('Or the metadata URL', url, idp === 'okta' ? 'Okta: the "Metadata URL" on the Sign On tab. Rollcall refreshes it daily.' : 'Entra: the "App Federation Metadata Url" under SAML Certificates. Rollcall refreshes it daily.'));

  return h('div', null, list, testOut, h('h3', null, 'Upload the identity provider\'s metadata'), upload, done);
}

/**
 * Starts a test sign-in: the IdP opens in a new tab; its answer comes back to Rollcall, which shows
 * there whether it worked (the NameID, the attributes, the user matched) or what to change.
 * @param {SetupContext} ctx
 * @param {{ id: string, name: string }} c
 * @param {HTMLElement} out
 */
async function testSignIn(ctx, c, out) {
  replace(out, h('p', { class: 'loading' }, `Starting a test sign-in with ${c.name}…`));
  try {
    const started = await api('POST', `/tenants/${seg(ctx.slug)}/saml/connections/${seg(c.id)}/test`);
    // A tab of its own, with no way back to this page (noopener): the result shows there.
    window.open(started.url, '_blank', 'noopener,noreferrer');
    replace(out,
      h('p', null, `${c.name} opens in a new tab. Sign in there; that tab then shows the result of the test. `,
        'No new tab? ', h('a', { href: started.url, target: '_blank', rel: 'noopener noreferrer' }, `Open ${c.name} to sign in`), '.'),
      h('p', { class: 'hint' }, 'A test signs nobody in to the app and creates nobody.'));
  } catch (err) {
    replace(out, errorBox(err, 'Could not start the test sign-in'));
  }
}

/**
 * A numbered step: a heading (h3) and its content.
 * @param {string} title
 * @param {...import('../lib/dom.js').Children} children
 */
export function step(title, ...children) {
  const id = uid('step');
  return h('li', { 'aria-labelledby': id }, h('h3', { id }, title), ...children);
}

/**
 * A guide's steps for the purposes of the link: an ordered list per part.
 * @param {string} title
 * @param {HTMLLIElement[]} steps
 */
export function part(title, steps) {
  const id = uid('part');
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), h('ol', { class: 'steps' }, ...steps));
}

/** "Finish setup": the link is used up and the session ends; then the done page. @param {SetupContext} ctx */
export function finishSection(ctx) {
  const out = h('div');
  const b = button('Finish setup', async () => {
    b.disabled = true;
    try {
      await api('POST', '/setup/complete');
      setCsrfToken(null);
      ctx.navigate('done');
    } catch (err) {
      replace(out, errorBox(err, 'Could not finish the setup'));
      b.disabled = false;
    }
  }, { kind: 'primary' });
  const id = uid('finish');
  return h('section', { 'aria-labelledby': id, class: 'finish' },
    h('h2', { id }, 'Finish'),
    h('p', null, 'When everything works, finish the setup. The link then stops working: nobody else can use it. If you need to change something later, ask for a new link.'),
    b, out);
}
