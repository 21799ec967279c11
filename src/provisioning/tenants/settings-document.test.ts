// The settings document check: defaults, unknown keys at their own pointer, and agreement with the
// published JSON Schema on what is valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSettings, DEFAULT_SETTINGS, readStoredSettings, tenantSettingsJsonSchema } from './settings-document.ts';

test('an empty document is every default; a partial one keeps the defaults it does not name', () => {
  assert.deepEqual(checkSettings({}).settings, DEFAULT_SETTINGS);
  assert.deepEqual(checkSettings({ scim: { patchResponse: { users: 204 } } }).settings?.scim.patchResponse, { users: 204, groups: 204 });
});

test('unknown keys are refused at their own JSON pointer, every problem at once', () => {
  const r = checkSettings({ scim: { patchResponse: { users: 201, group: 204 } }, webhooks: [] });
  assert.deepEqual(r.problems.map((p) => p.pointer).sort(), ['/scim/patchResponse/group', '/scim/patchResponse/users', '/webhooks']);
  assert.deepEqual(checkSettings([]).problems.map((p) => p.pointer), ['']);
});

test('a stored document this version cannot read falls back to the defaults and says why', () => {
  assert.deepEqual(readStoredSettings(null), { settings: DEFAULT_SETTINGS, problems: [] });
  const r = readStoredSettings({ future: true });
  assert.deepEqual(r.settings, DEFAULT_SETTINGS);
  assert.equal(r.problems[0].pointer, '/future');
});

test('the JSON Schema refuses unknown keys at every level it describes', () => {
  const walk = (node: unknown, at: string, seen: string[]) => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Record<string, unknown>;
    if (n.type === 'object') {
      assert.equal(n.additionalProperties, false, `${at} refuses unknown keys`);
      seen.push(at);
    }
    for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`, seen);
  };
  const seen: string[] = [];
  walk(tenantSettingsJsonSchema, '', seen);
  assert.ok(seen.length >= 5, seen.join());
});
