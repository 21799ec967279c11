// @ts-check
// A tenant's custom attributes (the customSchemas of its settings, docs/custom-attributes.md), each
// with what the identity provider's admin types to send it: in Okta's Profile Editor the External
// namespace (the schema URN) and the External name (the attribute alone); in Entra ID the target
// attribute (the URN and the name joined by a colon). Admin keys add and remove attributes; a
// removal that would drop stored values says so and asks again.
import { api, ApiError } from '../lib/api.js';
import { confirmed, settingsPath, updateSettings } from '../lib/details.js';
import { h, replace } from '../lib/dom.js';
import { badge, button, copyButton, emptyState, errorBox, field, form, input, pageTitle, section, select } from '../lib/ui.js';

/** @typedef {import('../console.js').PageContext} PageContext */

const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** @param {PageContext} ctx */
export async function render(ctx) {
  const tenant = ctx.params.tenant;
  const read = await api('GET', settingsPath(tenant));
  /** @type {any[]} */
  const schemas = read.settings.customSchemas ?? [];
  const count = schemas.reduce((n, s) => n + (s.attributes?.length ?? 0), 0);
  const notice = h('div');
  return h('div', null,
    pageTitle('Custom attributes'),
    h('p', null, 'Attributes this tenant adds to users and groups beyond the SCIM standard ones. For each, the values the IdP admin types are shown with copy buttons: ',
      'in Okta\'s Profile Editor (Applications → the app → Provisioning → To App → Go to Profile Editor → Add Attribute) the External name and External namespace, ',
      'in Entra ID (Provisioning → Mappings → Show advanced options → Edit attribute list) the attribute name, which is also the mapping\'s target attribute.'),
    notice,
    count === 0
      ? emptyState(ctx.canWrite
        ? 'This tenant defines no custom attributes. Add one below; then the IdP admin adds it in Okta\'s Profile Editor or Entra ID\'s attribute list with the values this page shows.'
        : 'This tenant defines no custom attributes. Someone with an admin key can add them here.')
      : h('div', null, ...schemas.map((s, i) => schemaView(ctx, read.version, s, i, notice))),
    section('Enterprise attributes', h('p', null, 'The standard enterprise extension (manager, employeeNumber, costCenter, …) needs no definition. In Okta its External namespace is ',
      h('code', null, ENTERPRISE_USER), ' ', copyButton(ENTERPRISE_USER, 'enterprise External namespace'),
      '; in Entra ID the attributes are already listed, e.g. ', h('code', null, `${ENTERPRISE_USER}:manager`), '.')),
    ctx.canWrite ? section('Add an attribute', addForm(ctx, read.version, schemas)) : null);
}

/** @param {PageContext} ctx @param {number} version @param {any} schema @param {number} index @param {HTMLElement} notice */
function schemaView(ctx, version, schema, index, notice) {
  /** @type {any[]} */
  const attrs = schema.attributes ?? [];
  const resource = /:Group$/.test(schema.id) ? 'groups' : 'users';
  const captionId = `schema-${index}`;
  return h('section', { 'aria-labelledby': captionId },
    h('h2', { id: captionId }, schema.name ?? schema.id, h('span', { class: 'muted' }, ` (${resource})`)),
    h('p', { class: 'mono' }, schema.id),
    h('table', null,
      h('caption', { class: 'visually-hidden' }, `Attributes of ${schema.id}`),
      h('thead', null, h('tr', null, ...['Attribute', 'Type', 'Okta External name', 'Okta External namespace', 'Entra ID target attribute', ctx.canWrite ? 'Actions' : null]
        .filter((l) => l !== null).map((l) => h('th', { scope: 'col' }, l)))),
      h('tbody', null, ...attrs.map((a) => h('tr', null,
        h('th', { scope: 'row' }, a.name),
        h('td', null, a.type, a.multiValued ? ' (multi-valued)' : '', ' ', a.required ? badge('required', 'warn') : null, ' ', a.uniqueness === 'server' ? badge('unique', 'info') : null, ' ', a.mutability === 'immutable' ? badge('set once', 'muted') : null),
        h('td', null, h('code', null, a.name), ' ', copyButton(a.name, `Okta External name of ${a.name}`)),
        h('td', null, h('code', null, schema.id), ' ', copyButton(schema.id, `Okta External namespace of ${a.name}`)),
        h('td', null, h('code', null, `${schema.id}:${a.name}`), ' ', copyButton(`${schema.id}:${a.name}`, `Entra ID target attribute of ${a.name}`)),
        ctx.canWrite ? h('td', null, button('Remove', () => remove(ctx, version, schema.id, a.name, notice), { kind: 'danger', label: `Remove attribute ${a.name}` })) : null)))));
}

/** @param {PageContext} ctx @param {number} version @param {string} schemaId @param {string} name @param {HTMLElement} notice */
async function remove(ctx, version, schemaId, name, notice) {
  replace(notice);
  if (!confirmed(`Remove the attribute ${name} of ${schemaId}? The IdP's values for it will be ignored from now on.`)) return;
  /** @param {Record<string, any>} s */
  const without = (s) => {
    s.customSchemas = (s.customSchemas ?? []).map((/** @type {any} */ sc) => (sc.id === schemaId ? { ...sc, attributes: sc.attributes.filter((/** @type {any} */ a) => a.name !== name) } : sc))
      .filter((/** @type {any} */ sc) => sc.attributes.length > 0);
    return s;
  };
  try {
    await updateSettings(ctx, without, { version });
    ctx.refresh();
  } catch (err) {
    if (err instanceof ApiError && err.status === 409 && err.problem.reason === 'valuesHeld') {
      if (!confirmed(`${err.message}\n\nRemove the attribute and delete these values from every user or group that holds them?`)) {
        replace(notice, errorBox(err, `${name} was not removed`));
        return;
      }
      try {
        await updateSettings(ctx, without, { version, dropValues: true });
        ctx.refresh();
      } catch (again) { replace(notice, errorBox(again, `${name} was not removed`)); }
      return;
    }
    replace(notice, errorBox(err, `${name} was not removed`));
  }
}

/** @param {PageContext} ctx @param {number} version @param {any[]} schemas */
function addForm(ctx, version, schemas) {
  const NEW = '(new)';
  const schemaSelect = select('schema', [...schemas.map((s) => /** @type {[string, string]} */ ([s.id, s.id])), [NEW, 'A new schema…']], schemas[0]?.id ?? NEW);
  const newSchema = input({ name: 'newSchema', placeholder: 'urn:ietf:params:scim:schemas:extension:acme:2.0:User' });
  const newSchemaField = h('div', null, field('New schema URN', newSchema, 'urn:ietf:params:scim:schemas:extension:<your name>:2.0:User (or :Group for group attributes). This is what Okta calls the External namespace.'));
  const toggle = () => { newSchemaField.hidden = schemaSelect.value !== NEW; };
  schemaSelect.addEventListener('change', toggle);
  toggle();
  const multi = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', name: 'multiValued' }));
  const required = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', name: 'required' }));
  const unique = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', name: 'unique' }));
  return form({
    label: 'Add an attribute', submit: 'Add attribute',
    onSubmit: async (values) => {
      const schemaId = schemaSelect.value === NEW ? (values.newSchema ?? '').trim() : schemaSelect.value;
      if (!schemaId) throw new ApiError(400, { detail: 'Give the new schema\'s URN, e.g. urn:ietf:params:scim:schemas:extension:acme:2.0:User.', field: 'schema' });
      const name = (values.name ?? '').trim();
      /** @type {Record<string, unknown>} */
      const attr = { name, type: values.type };
      if (multi.checked) attr.multiValued = true;
      if (required.checked) attr.required = true;
      if (unique.checked) attr.uniqueness = 'server';
      await updateSettings(ctx, (s) => {
        const list = s.customSchemas ?? [];
        const found = list.find((/** @type {any} */ sc) => sc.id === schemaId);
        if (found) found.attributes = [...(found.attributes ?? []), attr];
        else list.push({ id: schemaId, attributes: [attr] });
        s.customSchemas = list;
        return s;
      }, { version });
      ctx.refresh();
    },
  },
  field('Schema', schemaSelect, 'Attributes of one schema share the Okta External namespace.'),
  newSchemaField,
  field('Attribute name', input({ name: 'name', required: true, maxLength: 64, placeholder: 'badge' }), 'A letter, then letters, digits, - or _. This is the Okta External name.'),
  field('Type', select('type', [['string', 'string'], ['integer', 'integer'], ['decimal', 'decimal'], ['boolean', 'boolean'], ['dateTime', 'dateTime'], ['reference', 'reference']], 'string')),
  h('div', { class: 'field checkbox' }, h('label', null, multi, ' Multi-valued (a list of values)')),
  h('div', { class: 'field checkbox' }, h('label', null, required, ' Required on every new user or group')),
  h('div', { class: 'field checkbox' }, h('label', null, unique, ' Unique within the tenant')));
}
