// @ts-check
// A tenant's single sign-on: the SP values the customer's IT admin copies into the identity
// provider, the tenant's SAML connections (added from the IdP's metadata file, pasted XML, a
// metadata URL, or typed in), their certificates and refresh state, a test sign-in, and the sso
// section of the tenant's settings (docs/sso.md).
import { absoluteUrl, api, seg } from '../lib/api.js';
import { confirmed, kvList, yesNo } from '../lib/details.js';
import { h, replace } from '../lib/dom.js';
import { badge, button, copyField, emptyState, errorBox, field, form, input, link, pageTitle, section, select, time } from '../lib/ui.js';

/** @typedef {import('../console.js').PageContext} PageContext */

/** @param {PageContext} ctx */
export async function render(ctx) {
  const tenant = ctx.params.tenant;
  const base = `/tenants/${seg(tenant)}/saml/connections`;
  const [list, settings] = await Promise.all([api('GET', base), api('GET', `/tenants/${seg(tenant)}/settings`)]);
  /** @type {any[]} */
  const connections = list.data ?? [];
  const notice = h('div', { class: 'notice' });
  return h('div', null,
    pageTitle('Single sign-on'),
    h('p', null, `The identity providers (IdPs) this tenant's users sign in with over SAML. Give the IdP admin the values below, add the IdP's metadata as a connection, then try a test sign-in.`),
    notice,
    spValues(tenant, connections[0]?.sp),
    section('Connections',
      connections.length === 0
        ? emptyState(ctx.canWrite
          ? 'No identity provider is connected yet. Create the SAML app in the IdP with the values above, then add its metadata below.'
          : 'No identity provider is connected yet. Someone with an admin key adds one from the IdP\'s metadata.')
        : h('div', { class: 'connections' }, ...connections.map((c) => connectionCard(ctx, base, c, notice)))),
    ctx.canWrite ? section('Add a connection', addForm(ctx, base)) : null,
    ssoSettings(ctx, settings.settings?.sso ?? {}));
}

/**
 * The values the IdP admin enters. From a connection's `sp` when there is one (the server's public
 * URL); before the first connection, the same URLs on the address this console is reached at.
 * @param {string} tenant @param {any} sp
 */
function spValues(tenant, sp) {
  const values = sp ?? {
    entityId: absoluteUrl(`/saml/${seg(tenant)}/metadata`), acsUrl: absoluteUrl(`/saml/${seg(tenant)}/acs`),
    metadataUrl: absoluteUrl(`/saml/${seg(tenant)}/metadata`), loginUrl: absoluteUrl(`/saml/${seg(tenant)}/login`),
  };
  return section('Values for the identity provider',
    sp ? null : h('p', { class: 'hint' }, 'These are built from the address you reached the console at. If the server\'s public URL (ROLLCALL_PUBLIC_URL) is another address, use that one; each connection shows the exact values once added.'),
    copyField('SP entity ID', values.entityId, 'Okta: Audience URI (SP Entity ID). Entra ID: Identifier (Entity ID).'),
    copyField('ACS URL', values.acsUrl, 'Okta: Single sign-on URL. Entra ID: Reply URL (Assertion Consumer Service URL). The IdP posts its responses here.'),
    copyField('SP metadata URL', values.metadataUrl, 'For IdPs that import the service provider\'s metadata (Entra ID: "Upload metadata file").'),
    copyField('Login URL', values.loginUrl, 'Where your app sends users to sign in (add ?returnTo=…). Entra ID: Sign on URL (optional).'));
}

/** @param {PageContext} ctx @param {string} base @param {any} c @param {HTMLElement} notice */
function connectionCard(ctx, base, c, notice) {
  const path = `${base}/${seg(c.id)}`;
  const status = h('div');
  /** @param {() => Promise<unknown>} step @param {string} what */
  const run = async (step, what) => {
    replace(status);
    try { await step(); } catch (err) { replace(status, errorBox(err, what)); }
  };
  const testSignIn = () => run(async () => {
    const { url } = await api('POST', `${path}/test`);
    if (typeof url !== 'string') throw new Error('the server answered without a URL to go to');
    location.assign(url);
  }, 'Could not start a test sign-in');
  const refresh = () => run(async () => {
    const after = await api('POST', `${path}/refresh`);
    if (after.refreshError) { replace(notice, h('div', { class: 'error', role: 'alert' }, `Refreshing ${c.name} failed; the last good metadata is kept: ${after.refreshError}`)); return; }
    ctx.refresh();
  }, 'Could not refresh the metadata');
  const toggle = () => run(async () => {
    await api('PATCH', path, { body: { enabled: !c.enabled } });
    ctx.refresh();
  }, `Could not ${c.enabled ? 'disable' : 'enable'} the connection`);
  const remove = () => run(async () => {
    if (!confirmed(`Delete the connection ${c.name}? Its users can no longer sign in through it.`)) return;
    await api('DELETE', path);
    ctx.refresh();
  }, 'Could not delete the connection');
  const headingId = `conn-${c.id}`;
  return h('article', { class: 'card connection', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, c.name, ' ', c.enabled ? badge('enabled', 'ok') : badge('disabled', 'muted')),
    kvList([
      ['IdP entity ID', h('span', { class: 'mono' }, c.entityId)],
      ['IdP sign-in URL', h('span', { class: 'mono' }, c.ssoUrl)],
      ['Metadata', c.metadataUrl ? h('span', null, 'refreshed daily from ', h('span', { class: 'mono' }, c.metadataUrl)) : 'uploaded or typed in (not refreshed)'],
      ['Last refreshed', c.metadataUrl ? time(c.refreshedAt) : undefined],
      ['Next refresh', c.metadataUrl ? time(c.nextRefreshAt) : undefined],
      ['Signature required on', c.signed],
      ['IdP-initiated sign-in', yesNo(c.idpInitiated)],
      ['SHA-1 signatures', c.allowSha1 ? 'accepted' : 'refused'],
      ['Certificates', h('ul', { class: 'plain' }, ...(c.certificates ?? []).map((/** @type {any} */ cert) => h('li', null,
        h('span', { class: 'mono' }, cert.fingerprint), ' ', cert.expired ? badge('expired', 'bad') : null, h('br'),
        h('span', { class: 'muted' }, `${cert.subject} · valid until `), time(cert.notAfter))))],
    ], `Connection ${c.name}`),
    c.refreshError ? h('div', { class: 'error' }, h('strong', null, 'The last metadata refresh failed'), ' (', time(c.refreshFailedAt), '): ', c.refreshError, ' The last good metadata is still used.') : null,
    (c.warnings ?? []).length ? h('ul', { class: 'warnings', 'aria-label': `Warnings of ${c.name}` }, ...c.warnings.map((/** @type {string} */ w) => h('li', null, w))) : null,
    ctx.canWrite && !c.metadataUrl ? replaceMetadata(ctx, path, c) : null,
    ctx.canWrite ? h('div', { class: 'form-actions' },
      button('Test sign-in', testSignIn, { kind: 'primary', label: `Test sign-in with ${c.name}` }),
      c.metadataUrl ? button('Refresh metadata', refresh, { label: `Refresh metadata of ${c.name}` }) : null,
      button(c.enabled ? 'Disable' : 'Enable', toggle, { label: `${c.enabled ? 'Disable' : 'Enable'} connection ${c.name}` }),
      button('Delete', remove, { kind: 'danger', label: `Delete connection ${c.name}` })) : null,
    status);
}

/**
 * For an uploaded connection: a new metadata file (the IdP's next certificate during a rollover; the
 * server keeps every certificate the document lists).
 * @param {PageContext} ctx @param {string} path @param {any} c
 */
function replaceMetadata(ctx, path, c) {
  const file = /** @type {HTMLInputElement} */ (h('input', { type: 'file', name: 'file', accept: '.xml,application/xml,application/samlmetadata+xml,text/xml' }));
  return h('details', { class: 'replace-metadata' },
    h('summary', null, 'Replace the metadata'),
    form({
      label: `Replace the metadata of ${c.name}`, submit: 'Replace metadata',
      onSubmit: async () => {
        const f = file.files?.[0];
        if (!f) throw new Error('choose the new metadata file first');
        await api('PATCH', path, { body: { metadataXml: await f.text() } });
        ctx.refresh();
      },
    }, field(`New metadata file for ${c.name}`, file, 'When the IdP publishes a new signing certificate, download its metadata again and upload it here.')));
}

/** @param {PageContext} ctx @param {string} base */
function addForm(ctx, base) {
  const source = select('source', [['file', 'Metadata file (XML)'], ['xml', 'Metadata XML, pasted'], ['url', 'Metadata URL'], ['manual', 'Typed in by hand']], 'file');
  const file = /** @type {HTMLInputElement} */ (h('input', { type: 'file', name: 'file', accept: '.xml,application/xml,application/samlmetadata+xml,text/xml' }));
  const xml = h('textarea', { name: 'metadataXml', rows: 8, spellcheck: false });
  const url = input({ name: 'metadataUrl', type: 'url', placeholder: 'https://example.okta.com/app/…/sso/saml/metadata' });
  const entityId = input({ name: 'entityId' });
  const ssoUrl = input({ name: 'ssoUrl', type: 'url' });
  const cert = h('textarea', { name: 'certificate', rows: 6, spellcheck: false });
  const parts = {
    file: h('div', null, field('Metadata file', file, 'The XML file the IdP offers for download (Okta: "Identity Provider metadata"; Entra ID: "Federation Metadata XML").')),
    xml: h('div', { hidden: true }, field('Metadata XML', xml, 'Paste the whole document, from <?xml … or <EntityDescriptor … to its end.')),
    url: h('div', { hidden: true }, field('Metadata URL', url, 'An https:// URL; Rollcall fetches it now and refreshes it daily, so certificate rollovers are picked up.')),
    manual: h('div', { hidden: true },
      field('IdP entity ID', entityId, 'The IdP\'s Issuer (Okta: Identity Provider Issuer; Entra ID: Microsoft Entra Identifier).'),
      field('IdP single sign-on URL', ssoUrl, 'Where users are sent to sign in (HTTP-Redirect).'),
      field('Signing certificate', cert, 'PEM (-----BEGIN CERTIFICATE-----…) or base64. During a rollover, paste both, one after the other.')),
  };
  source.addEventListener('change', () => {
    for (const [k, el] of Object.entries(parts)) el.hidden = k !== source.value;
  });
  const signed = select('signed', [['assertion', 'The assertion (usual)'], ['response', 'The response'], ['either', 'Either'], ['both', 'Both']], 'assertion');
  const idpInitiated = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', name: 'idpInitiated', value: 'yes' }));
  return form({
    label: 'Add a connection', submit: 'Add connection',
    onSubmit: async (values) => {
      /** @type {Record<string, unknown>} */
      const body = { name: values.name?.trim() ?? '', signed: values.signed, idpInitiated: idpInitiated.checked };
      if (source.value === 'file') {
        const f = file.files?.[0];
        if (!f) throw new Error('choose the metadata file first');
        body.metadataXml = await f.text();
      } else if (source.value === 'xml') body.metadataXml = values.metadataXml ?? '';
      else if (source.value === 'url') body.metadataUrl = values.metadataUrl?.trim() ?? '';
      else {
        body.entityId = values.entityId?.trim() ?? '';
        body.ssoUrl = values.ssoUrl?.trim() ?? '';
        body.certificates = splitCertificates(values.certificate ?? '');
      }
      await api('POST', base, { body });
      ctx.refresh();
    },
  },
  field('Name', input({ name: 'name', required: true, maxLength: 100, placeholder: 'Okta' }), 'Shown to users who pick a connection at sign-in, e.g. "Okta" or "Entra ID".'),
  field('Add from', source),
  parts.file, parts.xml, parts.url, parts.manual,
  field('Signature required on', signed, 'Which part of the IdP\'s response must be signed. Okta and Entra ID sign the assertion by default.'),
  h('div', { class: 'field checkbox' }, h('label', null, idpInitiated, ' Accept sign-ins started at the IdP (IdP-initiated)')));
}

/**
 * PEM certificates pasted one after another, or a single base64 value.
 * @param {string} text
 */
function splitCertificates(text) {
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (pems) return pems;
  const t = text.trim();
  return t ? [t] : [];
}

/** @param {PageContext} ctx @param {Record<string, any>} sso */
function ssoSettings(ctx, sso) {
  return section('Sign-in settings',
    kvList([
      ['Allowed return URLs', Array.isArray(sso.redirectUrls) && sso.redirectUrls.length ? h('ul', { class: 'plain' }, ...sso.redirectUrls.map((/** @type {string} */ u) => h('li', { class: 'mono' }, u))) : 'none: sign-ins cannot return to the app until one is added'],
      ['Default return URL', sso.defaultRedirectUrl ?? 'not set'],
      ['Hand-off to the app', sso.handoff === 'jwt' ? 'a signed JWT posted to the app' : 'a one-time code the app exchanges (POST /admin/v1/sso/token)'],
      ['SSO required', yesNo(sso.ssoRequired)],
      ['Create unknown users at sign-in (just in time)', yesNo(sso.justInTime)],
      ['NameID matched with', sso.matchBy],
      ['NameID taken from attribute', sso.nameIdAttribute ?? 'the NameID itself'],
      ['Clock skew allowed', sso.clockSkewSeconds === undefined ? undefined : `${sso.clockSkewSeconds} seconds`],
    ], 'Sign-in settings'),
    h('p', { class: 'hint' }, 'These are the "sso" section of the tenant\'s settings; ', link(`/tenants/${seg(ctx.params.tenant)}/policies`, 'change them on the Policies page'), '.'));
}
