// @ts-check
// A tenant's settings document (GET/PUT /admin/v1/tenants/{t}/settings) read as sections in words
// (docs/policies.md), an editor of the whole document for admin keys (replaced whole, with
// If-Match: the version shown, so another person's change is never overwritten silently), and the
// presets (GET /admin/v1/presets): applying one writes its sections over the current document.
import { api, ApiError, seg } from '../lib/api.js';
import { confirmed, jsonBlock, kvList, listOf, putSettings, settingsPath, yesNo } from '../lib/details.js';
import { docUrl } from '../lib/docs.js';
import { h, replace } from '../lib/dom.js';
import { badge, button, errorBox, field, input, link, pageTitle, section } from '../lib/ui.js';

/** @typedef {import('../console.js').PageContext} PageContext */

/** @param {PageContext} ctx */
export async function render(ctx) {
  const tenant = ctx.params.tenant;
  const [read, presets] = await Promise.all([api('GET', settingsPath(tenant)), api('GET', '/presets')]);
  /** @type {Record<string, any>} */
  const s = read.settings;
  const p = s.policies ?? {};
  return h('div', null,
    pageTitle('Policies', badge(`version ${read.version}`, 'muted')),
    h('p', null, 'How Rollcall treats this tenant\'s identity provider: which attribute identifies a user, what deprovisioning does, which groups and roles exist. ',
      'Each setting is explained in docs/policies.md.'),
    section('Identifier and attribute changes', kvList([
      ['Unique identifier', p.attributes?.uniqueIdentifier === 'email' ? 'the primary email' : 'userName'],
      ['userName may change', p.attributes?.userNameImmutable ? 'no (refused)' : 'yes'],
      ['Attributes the IdP may change', p.attributes?.changeable === null || p.attributes?.changeable === undefined ? 'all' : listOf(p.attributes.changeable)],
      ['Other changes', p.attributes?.otherChanges === 'ignore' ? 'ignored' : 'refused'],
      ['Account linking (IdP takes over existing local users)', yesNo(p.linking?.enabled)],
    ], 'Identifier and attribute changes')),
    section('Deprovisioning', kvList([
      ['When the IdP deactivates or removes a user', deprovisioningWords(p.deprovisioning?.mode)],
    ], 'Deprovisioning')),
    section('Required groups and guards', kvList([
      ['Groups that must keep a member', listOf(p.guards?.requiredGroups)],
      ['Protect a group\'s only member', yesNo(p.guards?.protectOnlyMembers)],
    ], 'Required groups and guards')),
    section('Groups', kvList([
      ['Reserved group names', listOf(p.groups?.reservedNames)],
      ['Longest group name', p.groups?.maxNameLength ?? 'no limit'],
      ['One group per user', yesNo(p.groups?.oneGroupPerUser)],
      ['Default group', p.groups?.defaultGroup ?? 'none'],
    ], 'Groups')),
    section('Roles', rolesView(p.roles)),
    section('Approval webhook', kvList([
      ['Asks before a change', p.approval?.webhook ? h('span', { class: 'mono' }, String(p.approval.webhook.url ?? '')) : 'no: changes are not sent for approval'],
    ], 'Approval webhook')),
    section('Welcome email', kvList([
      ['Sent to new users', yesNo(s.welcomeEmail?.enabled)],
      ['Subject', s.welcomeEmail?.subject],
      ['Link', s.welcomeEmail?.link ?? 'none'],
    ], 'Welcome email')),
    section('SCIM answers', kvList([
      ['PATCH of a user answered with', s.scim?.patchResponse?.users === 204 ? '204, no body' : '200 and the user'],
      ['PATCH of a group answered with', s.scim?.patchResponse?.groups === 200 ? '200 and the group' : '204, no body'],
      ['Custom attribute schemas', h('span', null, String((s.customSchemas ?? []).length), ' (', link(`/tenants/${seg(tenant)}/attributes`, 'see the custom attributes'), ')')],
    ], 'SCIM answers')),
    section('SCIM request limits', limitsView(s.limits, read.limitsInForce)),
    section('Single sign-on', kvList([
      ['SSO required', yesNo(s.sso?.ssoRequired)],
      ['Just-in-time users', yesNo(s.sso?.justInTime)],
      ['NameID matched with', s.sso?.matchBy],
      ['Allowed return URLs', listOf(s.sso?.redirectUrls)],
    ], 'Single sign-on'), h('p', { class: 'hint' }, link(`/tenants/${seg(tenant)}/sso`, 'Connections and sign-in values are on the Single sign-on page.'))),
    ctx.canWrite ? section('Edit the settings document', editor(ctx, read)) : section('The settings document', jsonBlock(s, 'Settings document'), h('p', { class: 'hint' }, 'Sign in with an admin key to change it.')),
    section('Presets', presetsView(ctx, read, presets.data ?? [])));
}

/** @param {unknown} mode */
function deprovisioningWords(mode) {
  switch (mode) {
    case 'deactivate': return 'the user is deactivated (active: false) and keeps its groups';
    case 'remove-memberships': return 'the user is deactivated and removed from every group';
    case 'delete': return 'the user is deleted';
    default: return typeof mode === 'string' ? mode : 'the user is deactivated (active: false) and keeps its groups';
  }
}

/**
 * The limits in force, each said with where it comes from: this tenant's own value or the server's
 * default (docs/rate-limits.md). Over either, the IdP is answered 429 and retries later.
 * @param {any} own the document's `limits` @param {any} inForce the read's `limitsInForce`
 */
function limitsView(own, inForce) {
  const docs = h('p', { class: 'hint' }, 'Counted per Rollcall process. Over a limit the identity provider is answered 429 with Retry-After, and Okta and Entra retry later. ',
    h('a', { href: docUrl('rate-limits.md', 'changing-a-tenants-limits') }, 'Changing a tenant\'s limits (docs/rate-limits.md)'),
    '. Set them in the document below, under "limits".');
  if (!inForce) return h('div', null, kvList([['This tenant\'s own values', h('span', { class: 'mono' }, JSON.stringify(own ?? {}))]], 'SCIM request limits'), docs);
  if (!inForce.enabled) return h('div', null, h('p', null, 'Off: this server runs with ROLLCALL_RATE_LIMIT=off, so no tenant\'s SCIM requests are limited.'), docs);
  /** @param {string} key @param {string} words */
  const from = (key, words) => h('span', null, words, ' ', badge(own?.[key] === undefined ? 'server default' : 'this tenant', own?.[key] === undefined ? 'muted' : 'info'));
  return h('div', null, kvList([
    ['Sustained rate', from('requestsPerSecond', `${inForce.requestsPerSecond} requests per second`)],
    ['Burst', from('burst', `${inForce.burst} requests at once above the rate`)],
    ['Requests in progress', from('concurrentRequests', `${inForce.concurrentRequests} at a time`)],
  ], 'SCIM request limits'), docs);
}

/** @param {any} roles */
function rolesView(roles) {
  const names = Array.isArray(roles?.roles) ? roles.roles : [];
  const mappings = Array.isArray(roles?.mappings) ? roles.mappings : [];
  if (!names.length && !mappings.length) return h('p', { class: 'muted' }, 'No roles are defined: users get no role from their groups.');
  return h('div', null,
    kvList([['Roles', listOf(names.map((/** @type {any} */ r) => (typeof r === 'string' ? r : r?.name ?? JSON.stringify(r))))]], 'Roles'),
    mappings.length ? jsonBlock(mappings, 'Role mappings') : null);
}

/** @param {PageContext} ctx @param {{ version: number, settings: any }} read */
function editor(ctx, read) {
  const text = h('textarea', { rows: 24, spellcheck: false, class: 'settings-json' }, JSON.stringify(read.settings, null, 2));
  const drop = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox' }));
  const status = h('div', { class: 'form-status' });
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save settings');
  const f = h('form', {
    'aria-label': 'Edit the settings document',
    on: {
      submit: (/** @type {SubmitEvent} */ e) => {
        e.preventDefault();
        void (async () => {
          replace(status);
          save.disabled = true;
          try {
            let doc;
            try { doc = JSON.parse(text.value); } catch (err) {
              throw new ApiError(400, { detail: `The document is not valid JSON: ${err instanceof Error ? err.message : String(err)}. Nothing was saved.` });
            }
            await putSettings(ctx, doc, read.version, drop.checked);
            ctx.refresh();
          } catch (err) {
            replace(status, errorBox(err, 'The settings were not saved'), held(err));
          } finally {
            save.disabled = false;
          }
        })();
      },
    },
  },
  field('Settings document (JSON)', text, `The whole document, version ${read.version}. It replaces the current one; a field left out gets its default.`),
  h('div', { class: 'field checkbox' }, h('label', null, drop, ' Also delete the values of custom attributes this change removes')),
  status,
  h('div', { class: 'form-actions' }, save));
  return f;
}

/** When a removal is refused because resources hold values: which ones, in words. @param {unknown} err */
function held(err) {
  if (!(err instanceof ApiError) || !Array.isArray(err.problem.held)) return null;
  return h('p', { class: 'hint' }, 'To go ahead, tick "Also delete the values of custom attributes this change removes" and save again: the values are removed from every user or group in the same step.');
}

/** @param {PageContext} ctx @param {{ version: number, settings: any }} read @param {any[]} presets */
function presetsView(ctx, read, presets) {
  return h('div', null,
    h('p', null, 'A preset is a bundle of settings reproducing a vendor\'s documented behaviour. Applying one replaces the sections it names (usually "policies") and keeps the rest; it is a starting point you can edit afterwards.'),
    h('div', { class: 'cards' }, ...presets.map((preset) => presetCard(ctx, read, preset))));
}

/** @param {PageContext} ctx @param {{ version: number, settings: any }} read @param {any} preset */
function presetCard(ctx, read, preset) {
  const status = h('div');
  const headingId = `preset-${preset.name}`;
  const wantsLink = Array.isArray(preset.options) && preset.options.includes('welcomeLink');
  const welcome = wantsLink ? input({ name: 'welcomeLink', type: 'url', placeholder: 'https://app.example.com/welcome' }) : null;
  const apply = async () => {
    replace(status);
    try {
      if (!confirmed(`Apply the preset "${preset.name}"? It replaces the ${Object.keys(preset.settings ?? {}).join(' and ')} section(s) of this tenant's settings.`)) return;
      /** @type {Record<string, any>} */
      const next = { ...structuredClone(read.settings), ...structuredClone(preset.settings ?? {}) };
      const linkValue = welcome?.value.trim();
      if (linkValue) next.welcomeEmail = { ...(next.welcomeEmail ?? {}), enabled: true, link: linkValue };
      await putSettings(ctx, next, read.version);
      ctx.refresh();
    } catch (err) {
      replace(status, errorBox(err, `The preset ${preset.name} was not applied`));
    }
  };
  return h('article', { class: 'card', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, preset.name),
    h('p', { class: 'muted' }, `As ${preset.pattern} does it.`),
    h('p', null, preset.description),
    h('details', null, h('summary', null, 'The settings it writes'), jsonBlock(preset.settings, `Settings of the preset ${preset.name}`)),
    welcome ? field('Welcome link (optional)', welcome, 'With a link, new users get the welcome email pointing there.') : null,
    ctx.canWrite ? button('Apply', apply, { label: `Apply preset ${preset.name}` }) : null,
    status);
}
