// @ts-check
// A tenant's setup links (docs/console.md "Setup links for your customers"): the links made for the
// customer's IT admin with their status, a form to make one (what it sets up, how long it works, who
// it is for) whose URL is shown once with a copy button, and revoke (confirmed in place).
import { api, ApiError, seg } from '../lib/api.js';
import { h, replace, uid } from '../lib/dom.js';
import { announce, badge, button, emptyState, errorBox, field, form, input, pageTitle, secretOnce, section, select, table, time } from '../lib/ui.js';

const PURPOSE_WORDS = /** @type {const} */ ({ scim: 'SCIM provisioning', sso: 'Single sign-on' });
/** @type {Record<string, 'ok' | 'warn' | 'bad' | 'info' | 'muted'>} */
const STATUS_KIND = { active: 'ok', expired: 'muted', revoked: 'bad', completed: 'info' };

/**
 * @typedef {{ id: string, purposes: Array<'scim' | 'sso'>, note: string | null, status: 'active' | 'expired' | 'revoked' | 'completed',
 *   createdAt: string, expiresAt: string, revokedAt: string | null, completedAt: string | null, lastUsedAt: string | null }} SetupLink
 */

/** @param {import('../console.js').PageContext} ctx */
export async function render(ctx) {
  const slug = ctx.params.tenant;
  const path = `/tenants/${seg(slug)}/setup-links`;
  const listBox = h('div');
  const created = h('div', { role: 'status', 'aria-live': 'polite' });

  const load = async () => {
    listBox.setAttribute('aria-busy', 'true');
    try {
      /** @type {{ items: SetupLink[] }} */
      const page = await api('GET', path);
      replace(listBox, page.items.length === 0
        ? emptyState('No setup links yet. Make one below and send it to the customer\'s IT admin: it opens a guided page where they connect Okta or Entra themselves.')
        : table({
          caption: 'Setup links', captionHidden: true,
          columns: [
            { label: 'For', cell: (l) => l.note ?? h('span', { class: 'muted' }, '(no note)') },
            { label: 'Sets up', cell: (l) => l.purposes.map((p) => PURPOSE_WORDS[p]).join(', ') },
            { label: 'Status', cell: (l) => badge(l.status, STATUS_KIND[l.status] ?? 'info') },
            { label: 'Created', cell: (l) => time(l.createdAt) },
            { label: 'Expires', cell: (l) => time(l.expiresAt) },
            { label: 'Last opened', cell: (l) => time(l.lastUsedAt) },
            { label: 'Actions', cell: (l) => l.status === 'active' && ctx.canWrite ? revokeControl(l) : null },
          ],
          rows: page.items,
        }));
    } catch (err) {
      replace(listBox, errorBox(err, 'Could not load the setup links'));
    } finally {
      listBox.removeAttribute('aria-busy');
    }
  };

  /** Revoke, confirmed in place (no dialog): the button becomes "Confirm revoke" and "Cancel". @param {SetupLink} l */
  const revokeControl = (l) => {
    const box = h('div', { class: 'revoke' });
    const who = l.note ?? l.id;
    const ask = () => {
      const out = h('div');
      const confirm = button('Confirm revoke', async () => {
        confirm.disabled = true;
        try {
          await api('DELETE', `${path}/${seg(l.id)}`);
          announce(`Setup link for ${who} revoked`);
          await load();
        } catch (err) {
          replace(out, errorBox(err, 'Could not revoke the link'));
          confirm.disabled = false;
        }
      }, { kind: 'danger', label: `Confirm revoking the setup link for ${who}` });
      replace(box,
        h('p', null, 'The link stops working at once, and a page opened with it stops too.'),
        confirm, ' ', button('Cancel', () => replace(box, initial()), { label: `Keep the setup link for ${who}` }), out);
      confirm.focus();
    };
    const initial = () => button('Revoke', ask, { label: `Revoke the setup link for ${who}` });
    replace(box, initial());
    return box;
  };

  const purposeId = uid('purposes');
  const scim = h('input', { type: 'checkbox', name: 'scim', value: 'on', checked: true, id: uid('p') });
  const sso = h('input', { type: 'checkbox', name: 'sso', value: 'on', checked: true, id: uid('p') });
  const purposes = h('fieldset', { 'aria-describedby': `${purposeId}-hint` },
    h('legend', null, 'What the link sets up'),
    h('div', null, scim, ' ', h('label', { for: scim.id }, PURPOSE_WORDS.scim), ' — the customer creates their SCIM token and connects provisioning'),
    h('div', null, sso, ' ', h('label', { for: sso.id }, PURPOSE_WORDS.sso), ' — the customer uploads their IdP metadata and tests a sign-in'),
    h('p', { class: 'hint', id: `${purposeId}-hint` }, 'Choose at least one.'));
  const expiry = select('expiresInHours', [['24', '1 day'], ['72', '3 days'], ['168', '7 days'], ['336', '14 days'], ['720', '30 days']], '168');
  const note = input({ name: 'note', maxLength: 200, placeholder: 'Acme IT, Jane Doe' });

  const makeForm = form({
    label: 'Create a setup link', submit: 'Create setup link',
    onSubmit: async (values, f) => {
      /** @type {Array<'scim' | 'sso'>} */
      const chosen = [];
      if (scim.checked) chosen.push('scim');
      if (sso.checked) chosen.push('sso');
      if (chosen.length === 0) throw new ApiError(400, { detail: 'Choose what the link sets up: SCIM provisioning, single sign-on, or both.' });
      const body = { purposes: chosen, expiresInHours: Number(values.expiresInHours), ...(values.note?.trim() ? { note: values.note.trim() } : {}) };
      const link = await api('POST', path, { body });
      f.reset();
      expiry.value = '168'; // reset() would pick the first option: the default is a property, not markup
      replace(created, secretOnce('Setup link', link.url, `Send it to ${link.note ?? 'the customer\'s IT admin'} through a private channel. It works until ${new Date(link.expiresAt).toLocaleString()}, for this tenant only, until it is revoked or the customer finishes.`));
      announce('Setup link created. Copy it now: it is shown once.');
      const urlField = created.querySelector('input');
      if (urlField instanceof HTMLInputElement) urlField.focus();
      await load();
    },
  }, purposes, field('Works for', expiry, 'After this the link opens only a page saying it has expired.'), field('For whom (note)', note, 'Shown in this list and in the audit log, never to anyone else.'));

  void load();
  return h('div', null,
    pageTitle(`Setup links · ${slug}`),
    h('p', null, 'A setup link lets the customer\'s IT admin set up their own SCIM provisioning and single sign-on, without an admin key: they see only this tenant, follow a guided Okta or Entra page, create their own SCIM token, upload their IdP metadata and try a sign-in.'),
    created,
    section('Links', listBox),
    ctx.canWrite ? section('New setup link', makeForm) : h('p', { class: 'hint' }, 'Signed in with a read-only key: you can see the links but not make or revoke them.'));
}
