// @ts-check
// The guided Microsoft Entra ID page: numbered steps in our words (docs/setup-link-guide.md,
// docs/connect-entra.md) with this tenant's values: the non-gallery enterprise application, single
// sign-on (the SP values, the federation metadata, a test sign-in) and automatic provisioning (the
// Tenant URL, a token created here, the matching attribute the tenant's policy names, the mappings
// incl. the manager and the tenant's custom attributes as Entra targets, groups), each part only when
// the link is for it.
import { h } from '../lib/dom.js';
import { copyField } from '../lib/ui.js';
import { connectionStep, entraAttributeTable, finishSection, firstRequestWatch, part, spValues, step, tenantFacts, tokenStep } from './parts.js';

/** @param {import('../setup.js').SetupContext} ctx */
export async function render(ctx) {
  document.title = 'Set up with Microsoft Entra ID';
  const facts = await tenantFacts(ctx);
  const scim = ctx.setup.purposes.includes('scim');
  const sso = ctx.setup.purposes.includes('sso');
  const email = facts.identifier === 'email';
  const b = (/** @type {string} */ t) => h('strong', null, t);

  const app = part('Create the application in Entra', [
    step('Create a non-gallery enterprise application',
      h('p', null, 'In the Microsoft Entra admin center go to ', b('Identity → Applications → Enterprise applications'), ', select ', b('New application'), ', then ', b('Create your own application'), '. Give it a name and choose ', b('Integrate any other application you don\'t find in the gallery (Non-gallery)'), '.')),
  ]);

  const ssoPart = sso ? part('Single sign-on (SAML)', [
    step('Enter these values in the Basic SAML Configuration',
      h('p', null, 'In the application open ', b('Single sign-on'), ', choose ', b('SAML'), ', and edit ', b('Basic SAML Configuration'), ':'),
      spValues(ctx, 'entra'),
      h('p', null, 'Under ', b('Attributes & Claims'), ' set the ', b('Unique User Identifier (Name ID)'), ' to ', email ? h('code', null, 'user.mail') : h('code', null, 'user.userprincipalname'), '.'),
      h('p', { class: 'hint' }, `This organisation finds users by ${email ? 'their email address' : 'their userName'}, so the Name ID must carry the same value provisioning sends as ${email ? 'the email' : 'userName'}.`)),
    step('Upload the federation metadata',
      h('p', null, 'Under ', b('SAML Certificates'), ' copy the ', b('App Federation Metadata Url'), ' (or download the ', b('Federation Metadata XML'), ') and give it here.'),
      connectionStep(ctx, 'entra')),
    step('Try a sign-in',
      h('p', null, 'Assign yourself to the application (', b('Users and groups'), '), then select ', b('Test sign-in'), ' above. Microsoft\'s sign-in opens in a new tab; afterwards the tab shows what Entra sent and which user of this organisation it matched, or what to change.')),
  ]) : null;

  const scimPart = scim ? part('User provisioning (SCIM)', [
    step('Create a SCIM token',
      h('p', null, 'Entra authenticates with a token made for this organisation. Create it here and copy it: it is shown once.'),
      tokenStep(ctx, 'entra')),
    step('Enter the admin credentials',
      h('p', null, 'In the application open ', b('Provisioning'), ', select ', b('New configuration'), ' (or ', b('Get started'), '), set ', b('Provisioning Mode'), ' to ', b('Automatic'), ' and fill in ', b('Admin Credentials'), ':'),
      copyField('Tenant URL', facts.scimUrl),
      h('p', null, b('Secret Token: '), 'the token you created above.')),
    step('Test the connection',
      h('p', null, 'Select ', b('Test Connection'), ' in Entra. Its first request appears here:'),
      firstRequestWatch(ctx, 'entra'),
      h('p', null, 'Then ', b('Save'), '.')),
    step('Check how users are matched',
      h('p', null, 'Under ', b('Mappings → Provision Microsoft Entra ID Users'), ', the attribute with ', b('Matching precedence 1'), ' must be:'),
      copyField('Target attribute used for matching', email ? 'emails[type eq "work"].value' : 'userName', email
        ? 'This organisation identifies users by email: map mail to it and make it the matching attribute.'
        : 'Mapped from userPrincipalName (the default). Keep it as the matching attribute.'),
      h('p', null, 'Keep the target actions ', b('Create'), ', ', b('Update'), ' and ', b('Delete'), ' ticked: Entra\'s delete is sent as a deactivation (active: false).')),
    step('Map the manager and this organisation\'s own attributes',
      h('p', null, 'In the same mapping select ', b('Show advanced options → Edit attribute list for the app'), ', add each custom attribute below with its full name and type and ', b('Save'), '; then ', b('Add New Mapping'), ' with the attribute as its target.'),
      entraAttributeTable(facts),
      facts.custom.length === 0 ? h('p', { class: 'hint' }, 'This organisation has no custom attributes: keep the manager mapping.') : null),
    step('Provision groups, assign, and start',
      h('p', null, 'Keep ', b('Provision Microsoft Entra ID Groups'), ' enabled to send groups and their members. Under ', b('Users and groups'), ' assign the people and groups to provision, then set ', b('Provisioning Status'), ' to ', b('On'), ' and ', b('Save'), '.'),
      h('p', { class: 'hint' }, 'Entra sends changes in cycles of about 40 minutes; ', 'use Provision on demand to try one user now.')),
  ]) : null;

  return h('div', null,
    h('h1', null, 'Set up with Microsoft Entra ID'),
    h('p', null, 'Follow the steps in order in the Microsoft Entra admin center. The values to paste are this organisation\'s; each has a copy button.'),
    app, ssoPart, scimPart, finishSection(ctx));
}
