// @ts-check
// The guided Okta page: numbered steps in our words (docs/setup-link-guide.md, docs/connect-okta.md),
// with this tenant's values to paste: the SAML app integration, single sign-on (the SP values, the
// IdP metadata, a test sign-in) and SCIM provisioning (the base URL, a token created here, the unique
// identifier the tenant's policy names, the provisioning actions, the attribute mappings incl. the
// manager and the tenant's custom attributes, pushing groups), each part only when the link is for it.
import { h } from '../lib/dom.js';
import { copyField } from '../lib/ui.js';
import { connectionStep, finishSection, firstRequestWatch, oktaAttributeTable, part, spValues, step, tenantFacts, tokenStep } from './parts.js';

/** @param {import('../setup.js').SetupContext} ctx */
export async function render(ctx) {
  document.title = 'Set up with Okta';
  const facts = await tenantFacts(ctx);
  const scim = ctx.setup.purposes.includes('scim');
  const sso = ctx.setup.purposes.includes('sso');
  const email = facts.identifier === 'email';
  const b = (/** @type {string} */ t) => h('strong', null, t);

  const app = part('Create the app in Okta', [
    step('Create a SAML 2.0 app integration',
      h('p', null, 'In the Okta Admin Console go to ', b('Applications → Applications'), ' and select ', b('Create App Integration'), '. Choose ', b('SAML 2.0'), ' and give the app a name your users recognise.'),
      h('p', { class: 'hint' }, 'Provisioning (SCIM) can be added to SAML 2.0 and SWA app integrations only, not to OIDC ones. If you already have a SAML app for this service, use it.')),
  ]);

  const ssoPart = sso ? part('Single sign-on (SAML)', [
    step('Enter these values in the SAML settings',
      h('p', null, 'In the wizard\'s ', b('Configure SAML'), ' step (later: the ', b('General'), ' tab → ', b('SAML Settings'), ' → ', b('Edit'), '), paste:'),
      spValues(ctx, 'okta'),
      h('p', null, b('Name ID format: '), email ? 'EmailAddress, and Application username: Email.' : 'Unspecified or EmailAddress, and Application username: the same value Okta sends as userName (Okta username by default).'),
      h('p', { class: 'hint' }, `This organisation finds users by ${email ? 'their email address' : 'their userName'}, so the Name ID must carry that value.`)),
    step('Upload the Okta metadata',
      h('p', null, 'On the app\'s ', b('Sign On'), ' tab, copy the ', b('Metadata URL'), ' (or save the IdP metadata as a file) and give it here.'),
      connectionStep(ctx, 'okta')),
    step('Try a sign-in',
      h('p', null, 'Assign yourself to the app (', b('Assignments'), ' tab), then select ', b('Test sign-in'), ' above. Okta opens in a new tab; after you sign in, the tab shows what Okta sent and which user of this organisation it matched, or what to change.')),
  ]) : null;

  const scimPart = scim ? part('User provisioning (SCIM)', [
    step('Turn on SCIM provisioning',
      h('p', null, 'On the app\'s ', b('General'), ' tab, under ', b('App Settings'), ' select ', b('Edit'), ', set ', b('Provisioning'), ' to ', b('SCIM'), ' (older consoles: tick ', b('Enable SCIM provisioning'), ') and ', b('Save'), '. A ', b('Provisioning'), ' tab appears.')),
    step('Create a SCIM token',
      h('p', null, 'Okta authenticates with a token made for this organisation. Create it here and copy it: it is shown once.'),
      tokenStep(ctx, 'okta')),
    step('Fill in the connection settings',
      h('p', null, 'On ', b('Provisioning → Settings → Integration'), ' select ', b('Edit'), ' and fill in:'),
      copyField('SCIM connector base URL', facts.scimUrl),
      copyField('Unique identifier field for users', facts.identifier, email
        ? 'This organisation identifies users by email: type email exactly like that, and map a stable email address.'
        : 'Type userName exactly like that (capital N).'),
      h('ul', null,
        h('li', null, b('Supported provisioning actions: '), 'Push New Users, Push Profile Updates, Push Groups (and Import New Users and Profile Updates if you want Okta to read users back).'),
        h('li', null, b('Authentication Mode: '), 'HTTP Header.'),
        h('li', null, b('Authorization (Bearer): '), 'the token you created above, without the word Bearer (Okta adds it).'))),
    step('Test the connection',
      h('p', null, 'Select ', b('Test Connector Configuration'), ' in Okta. Its first request appears here:'),
      firstRequestWatch(ctx, 'okta'),
      h('p', null, 'Then close Okta\'s dialog and select ', b('Save'), '.')),
    step('Choose what Okta sends',
      h('p', null, 'On ', b('Provisioning → Settings → To App'), ' select ', b('Edit'), ' and enable ', b('Create Users'), ', ', b('Update User Attributes'), ' and ', b('Deactivate Users'), '. Leave ', b('Sync Password'), ' off: users sign in through single sign-on.')),
    step('Map the manager and this organisation\'s own attributes',
      h('p', null, 'In ', b('Provisioning → To App → Go to Profile Editor → Add Attribute'), ', add each attribute below with exactly this External name and External namespace, then map it under ', b('Mappings → Okta User to the app'), ' and ', b('Apply updates'), '.'),
      oktaAttributeTable(facts),
      facts.custom.length === 0 ? h('p', { class: 'hint' }, 'This organisation has no custom attributes: only the manager needs adding.') : null),
    step('Assign people and push groups',
      h('p', null, 'On the ', b('Assignments'), ' tab assign people or groups: each is created here. On the ', b('Push Groups'), ' tab choose ', b('Push Groups → Find groups by name'), ' to send groups and their members.'),
      h('p', { class: 'hint' }, 'Okta\'s rule: do not use the same group both to assign the app and to push. Members of a pushed group must be assigned to the app too.')),
  ]) : null;

  return h('div', null,
    h('h1', null, 'Set up with Okta'),
    h('p', null, 'Follow the steps in order in the Okta Admin Console. The values to paste are this organisation\'s; each has a copy button.'),
    app, ssoPart, scimPart, finishSection(ctx));
}
