// @ts-check
// SCIM setup of a tenant: the base URL to give the identity provider (with a copy button), the
// tenant's SCIM tokens (create: shown once; rotate with an overlap during which the old token still
// works; revoke, after a confirmation), and the tenant's SCIM mode with what switching it does.
// A secret lives only in this page's DOM, in the notice where it was shown: reloading the page, or
// leaving it, loses it for good (the server keeps only its hash).
import { absoluteUrl, api, seg } from '../lib/api.js';
import { h, replace } from '../lib/dom.js';
import { announce, async, badge, button, copyField, emptyState, errorBox, field, form, input, link, pageTitle, section, secretOnce, select, table, time } from '../lib/ui.js';

/**
 * @typedef {{ id: string, name: string | null, hint: string, createdAt: string, expiresAt: string | null, revokedAt: string | null, lastUsedAt: string | null, status: 'live' | 'expired' | 'revoked' }} Token
 * @typedef {Token & { token: string, scimUrl: string }} IssuedToken
 */

/** How long a token lives, as createToken's expiresIn takes it ('' for the server's default). @type {Array<[string, string]>} */
const LIFETIMES = [['', 'The server\'s default'], ['30d', '30 days'], ['90d', '90 days'], ['365d', '1 year'], ['never', 'Never expires']];
/** How long the old token keeps working after a rotation, in hours. @type {Array<[string, string]>} */
const OVERLAPS = [['1', '1 hour'], ['24', '1 day'], ['168', '7 days'], ['720', '30 days']];

/** A token's name for people: its name, or the last characters it ends with. @param {Token} t */
const tokenName = (t) => t.name ?? `ending in ${t.hint}`;

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  const slug = ctx.params.tenant;
  const base = `/tenants/${seg(slug)}`;
  /** @type {import('./tenants.js').Tenant} */
  const tenant = await api('GET', base);
  const scimUrl = absoluteUrl(`/scim/v2/${tenant.slug}`);

  /** Where a secret just issued is shown (once), with what to do with it. */
  const notice = h('div', { class: 'notice' });
  const tokensBox = h('div');
  const reloadTokens = () => replace(tokensBox, async('tokens', () => tokensView(ctx, base, notice, reloadTokens, tenant.scimEnabled)));
  reloadTokens();
  const modeBox = h('div');
  /** After SCIM is turned on or off: the mode and the tokens drawn again; the notice keeps a token just issued. @param {boolean} enabled */
  const modeChanged = (enabled) => { tenant.scimEnabled = enabled; replace(modeBox, scimMode(ctx, tenant, base, notice, modeChanged)); reloadTokens(); };
  replace(modeBox, scimMode(ctx, tenant, base, notice, modeChanged));

  return h('div', null,
    pageTitle(`SCIM setup: ${tenant.name || tenant.slug}`),
    ctx.query.get('created') ? h('p', { class: 'ok', role: 'status' }, `Tenant ${tenant.slug} created. Next: create a SCIM token below, then give the base URL and the token to the customer's identity provider.`) : null,
    section('SCIM base URL',
      copyField('SCIM base URL', scimUrl, 'Paste this into the identity provider\'s SCIM connector (Okta: SCIM connector base URL; Entra ID: Tenant URL).'),
      h('p', { class: 'hint' }, 'Then watch the ', link(`${base}/requests`, 'request log'), ': the identity provider\'s connection test appears there within seconds.')),
    section('Tokens',
      h('p', null, 'The identity provider authenticates with a bearer token. Each token is shown once when created; Rollcall keeps only its hash.'),
      notice,
      tokensBox),
    section('SCIM mode', modeBox));
}

/**
 * @param {import('../console.js').PageContext} ctx
 * @param {string} base
 * @param {HTMLElement} notice
 * @param {() => void} reload
 * @param {boolean} scimEnabled
 */
async function tokensView(ctx, base, notice, reload, scimEnabled) {
  /** @type {{ data: Token[] }} */
  const { data } = await api('GET', `${base}/tokens`);
  // Live tokens first, then expired, then revoked; newest first within each.
  const rank = { live: 0, expired: 1, revoked: 2 };
  const tokens = [...data].sort((a, b) => rank[a.status] - rank[b.status] || b.createdAt.localeCompare(a.createdAt));
  /** Where a row's confirmation or rotation form opens. */
  const panel = h('div', { class: 'token-panel' });

  /** @param {Token} t */
  const revoke = (t) => {
    const yes = button('Revoke token', async () => {
      try {
        await api('DELETE', `${base}/tokens/${seg(t.id)}`);
        announce(`Token ${tokenName(t)} revoked`);
        replace(notice, h('p', { class: 'ok', role: 'status' }, `Token ${tokenName(t)} revoked. The identity provider's next request with it is refused (401).`));
        reload();
      } catch (err) { replace(panel, errorBox(err, 'Could not revoke the token')); }
    }, { kind: 'danger' });
    replace(panel, h('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm revoking' },
      h('p', null, `Revoke token ${tokenName(t)}? Requests that use it fail from the next one on; the identity provider needs a new token to go on provisioning.`),
      h('div', { class: 'form-actions' }, yes, button('Cancel', () => replace(panel)))));
    yes.focus();
  };

  /** @param {Token} t */
  const rotate = (t) => {
    const overlap = select('overlap', OVERLAPS, '168');
    const lifetime = select('expiresIn', LIFETIMES, '');
    const f = form({
      label: `Rotate token ${tokenName(t)}`, submit: 'Rotate token',
      onSubmit: async (values) => {
        const oldExpiresAt = new Date(Date.now() + Number(values.overlap) * 3600_000).toISOString();
        /** @type {IssuedToken & { previous: Token }} */
        const r = await api('POST', `${base}/tokens/${seg(t.id)}/rotate`, { body: { oldExpiresAt, ...(values.expiresIn ? { expiresIn: values.expiresIn } : {}) } });
        replace(panel);
        showIssued(notice, r, h('p', null, `The old token ${tokenName(t)} keeps working until `, time(r.previous.expiresAt), ', then it is refused as expired. Replace it in the identity provider before then.'));
        reload();
      },
    }, field('The old token keeps working for', overlap, 'Time to paste the new token into the identity provider.'), field('New token expires', lifetime));
    replace(panel, h('div', { class: 'confirm' }, h('h3', null, `Rotate token ${tokenName(t)}`), f, button('Cancel', () => replace(panel))));
    overlap.focus();
  };

  const list = tokens.length === 0
    ? emptyState(scimEnabled
      ? (ctx.canWrite ? 'This tenant has no SCIM token yet. Create one below and paste it into the identity provider with the base URL.' : 'This tenant has no SCIM token yet. Someone with an admin key creates one.')
      : 'No tokens: SCIM is off for this tenant. Turning SCIM on (below) issues its token.')
    : table({
      caption: 'SCIM tokens', captionHidden: true, rows: tokens,
      columns: [
        { label: 'Name', cell: (t) => t.name ?? h('span', { class: 'muted' }, 'Unnamed') },
        { label: 'Ends with', cell: (t) => h('code', null, `…${t.hint}`) },
        { label: 'Status', cell: (t) => badge(t.status === 'live' ? 'Live' : t.status === 'expired' ? 'Expired' : 'Revoked', t.status === 'live' ? 'ok' : t.status === 'expired' ? 'warn' : 'muted') },
        { label: 'Created', cell: (t) => time(t.createdAt) },
        { label: 'Expires', cell: (t) => (t.revokedAt ? [h('span', { class: 'muted' }, 'Revoked '), time(t.revokedAt)] : t.expiresAt ? time(t.expiresAt) : 'Never') },
        { label: 'Last used', cell: (t) => (t.lastUsedAt ? time(t.lastUsedAt) : h('span', { class: 'muted' }, 'Never')) },
        ...(ctx.canWrite ? [{
          label: 'Actions',
          cell: (/** @type {Token} */ t) => (t.status === 'live' ? h('div', { class: 'row-actions' },
            button('Rotate', () => rotate(t), { label: `Rotate token ${tokenName(t)}` }),
            button('Revoke', () => revoke(t), { kind: 'danger', label: `Revoke token ${tokenName(t)}` })) : null),
        }] : []),
      ],
    });

  /** @type {HTMLElement | null} */
  let create = null;
  if (ctx.canWrite && scimEnabled) {
    create = h('div', null, h('h3', null, 'Create a token'), form({
      label: 'Create a token', submit: 'Create token',
      onSubmit: async (values, f) => {
        /** @type {IssuedToken} */
        const r = await api('POST', `${base}/tokens`, { body: { ...(values.name?.trim() ? { name: values.name.trim() } : {}), ...(values.expiresIn ? { expiresIn: values.expiresIn } : {}) } });
        f.reset();
        showIssued(notice, r);
        reload();
      },
    }, field('Token name', input({ name: 'name', maxLength: 100, placeholder: 'Okta production' }), 'Optional: which identity provider or connection uses it.'),
    field('Expires', select('expiresIn', LIFETIMES, ''))));
  }
  return h('div', null, list, panel, create);
}

/**
 * Shows a token just issued, once, with what to do next.
 * @param {HTMLElement} notice
 * @param {IssuedToken} r
 * @param {Node} [extra]
 */
function showIssued(notice, r, extra) {
  replace(notice, secretOnce('SCIM token', r.token, 'Paste it into the identity provider\'s SCIM connector (Okta: API Token; Entra ID: Secret Token).'),
    h('p', null, `Token ${r.name ?? `ending in ${r.hint}`} created`, r.expiresAt ? [', expires ', time(r.expiresAt)] : ', never expires', '.'),
    extra ?? null);
  notice.querySelector('input')?.focus();
  announce('SCIM token created: copy it now, it is shown once');
}

/**
 * @param {import('../console.js').PageContext} ctx
 * @param {import('./tenants.js').Tenant} tenant
 * @param {string} base
 * @param {HTMLElement} notice
 * @param {(enabled: boolean) => void} changed
 */
function scimMode(ctx, tenant, base, notice, changed) {
  const about = tenant.scimEnabled
    ? h('p', null, badge('On', 'ok'), ' The identity provider provisions this tenant. The users and groups it created are read-only in the console and the admin API (change them in the identity provider); local users stay editable; nobody can be invited.')
    : h('p', null, badge('Off', 'muted'), ' Nothing provisions this tenant: every user and group is local and editable here, and no token works. Turning SCIM on issues the tenant\'s token (shown once) and revokes pending invitations.');
  if (!ctx.canWrite) return h('div', null, about);
  if (!tenant.scimEnabled) {
    return h('div', null, about, form({
      label: 'Turn SCIM on', submit: 'Turn SCIM on',
      onSubmit: async () => {
        /** @type {IssuedToken & { invitationsRevoked: number }} */
        const r = await api('POST', `${base}/scim/enable`, { body: {} });
        showIssued(notice, r, h('p', null, `SCIM is on. ${r.invitationsRevoked} pending invitations revoked.`));
        changed(true);
      },
    }));
  }
  const confirm = input({ name: 'confirm', required: true, maxLength: 100, placeholder: 'DISABLE' });
  return h('div', null, about, h('details', null, h('summary', null, 'Turn SCIM off…'),
    h('p', null, 'Every user and group the identity provider manages becomes local, and every SCIM token is revoked, at once. The identity provider\'s next request fails. To hand the tenant back later, turn SCIM on and set the identity provider up again with the new token.'),
    form({
      label: 'Turn SCIM off', submit: 'Turn SCIM off', danger: true,
      onSubmit: async (values) => {
        /** @type {{ usersConverted: number, groupsConverted: number, tokensRevoked: number }} */
        const r = await api('POST', `${base}/scim/disable`, { body: { confirm: values.confirm ?? '' } });
        replace(notice, h('p', { class: 'ok', role: 'status' }, `SCIM is off: ${r.usersConverted} users and ${r.groupsConverted} groups made local, ${r.tokensRevoked} tokens revoked.`));
        changed(false);
      },
    }, field('Type DISABLE to confirm', confirm))));
}
