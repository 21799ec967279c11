// @ts-check
// The start of the setup page: what the link is for (SCIM, single sign-on, or both), for which
// organisation, and the choice of identity provider, each leading to its guided page.
import { h } from '../lib/dom.js';

/** @param {import('../setup.js').SetupContext} ctx */
export function render(ctx) {
  document.title = 'Set up provisioning and single sign-on';
  const { purposes, tenant, note } = ctx.setup;
  const what = purposes.includes('scim') && purposes.includes('sso') ? 'user provisioning (SCIM) and single sign-on (SAML)'
    : purposes.includes('scim') ? 'user provisioning (SCIM)' : 'single sign-on (SAML)';
  /** @param {'okta' | 'entra'} idp @param {string} name @param {string} text */
  const choice = (idp, name, text) => h('div', { class: 'card' },
    h('h3', null, h('a', { href: `${location.pathname.replace(/\/+$/, '')}/${idp}`, on: { click: (/** @type {MouseEvent} */ e) => { e.preventDefault(); ctx.navigate(idp); } } }, `Set up with ${name}`)),
    h('p', null, text));
  return h('div', null,
    h('h1', null, `Connect ${tenant.name || tenant.slug} to your identity provider`),
    h('p', null, `This page walks you through setting up ${what} for ${tenant.name || tenant.slug}. It shows this organisation's values only, and creates what you need here as you go.`),
    note ? h('p', { class: 'hint' }, `Note from the sender: ${note}`) : null,
    h('h2', null, 'Which identity provider do you use?'),
    h('div', { class: 'cards' },
      choice('okta', 'Okta', 'A SAML 2.0 app integration in the Okta Admin Console, with SCIM provisioning.'),
      choice('entra', 'Microsoft Entra ID', 'An enterprise application (non-gallery) in the Microsoft Entra admin center, with automatic provisioning.')),
    h('p', { class: 'hint' }, 'Another identity provider? The values on either page apply to any SAML 2.0 and SCIM 2.0 identity provider; the Okta page is the closer fit for most.'));
}
