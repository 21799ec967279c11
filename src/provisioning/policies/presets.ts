// Presets: named bundles of settings a tenant can be created with (`rollcall tenant create --preset`,
// POST /admin/v1/tenants {"preset"}), one per vendor pattern of the seed articles (docs/policies.md,
// "Presets"). A preset is only a starting point: it is an ordinary settings document, written with
// the tenant, and replaced as usual afterwards (PUT /admin/v1/tenants/{tenant}/settings).
import { checkSettings, type TenantSettings } from '../tenants/settings-document.ts';

export interface PresetOptions {
  /** The welcome email's link (presets whose pattern sends one: `teams`). */
  welcomeLink?: string;
}

export interface Preset {
  name: string;
  /** The vendor pattern it reproduces (the seed article). */
  pattern: string;
  description: string;
  /** The options this preset takes (others are refused). */
  options: (keyof PresetOptions)[];
  /** The settings document it writes, as the settings endpoint takes it. */
  document(options: PresetOptions): Record<string, unknown>;
}

/** The name of the group that grants on-call's Global Admin role (the article names only the role). */
export const ON_CALL_ADMIN_GROUP = 'Global Admins';

const PRESET_LIST: readonly Preset[] = [
  {
    name: 'on-call',
    pattern: 'Splunk On-Call',
    description: 'Links existing users by email, removes a deactivated user from every team, keeps a last Global Admin and a team\'s only member.',
    options: [],
    document: () => ({
      policies: {
        linking: { enabled: true },
        deprovisioning: { mode: 'remove-memberships' },
        attributes: { uniqueIdentifier: 'email' },
        roles: {
          roles: [{ name: 'Global Admin', admin: true }],
          mappings: [{ group: { displayName: ON_CALL_ADMIN_GROUP }, role: 'Global Admin' }],
        },
        guards: { protectOnlyMembers: true },
      },
    }),
  },
  {
    name: 'strict-groups',
    pattern: 'Split',
    description: 'Reserves and requires the Administrators group, limits group names to 24 characters, identifies users by email.',
    options: [],
    document: () => ({
      policies: {
        attributes: { uniqueIdentifier: 'email' },
        groups: { reservedNames: ['Administrators'], maxNameLength: 24 },
        guards: { requiredGroups: [{ displayName: 'Administrators' }] },
      },
    }),
  },
  {
    name: 'single-group',
    pattern: 'Splashtop',
    description: 'One group per user with a Default group, only names may change, a user removed from the app is deleted.',
    options: [],
    document: () => ({
      policies: {
        deprovisioning: { mode: 'delete' },
        attributes: { userNameImmutable: true, changeable: ['name', 'displayName'], otherChanges: 'refuse' },
        groups: { oneGroupPerUser: true, defaultGroup: 'Default' },
      },
    }),
  },
  {
    name: 'teams',
    pattern: 'OpsLevel',
    description: 'Pushed groups are the app\'s teams, deactivation keeps the user; with a welcome link, new users get the welcome email.',
    options: ['welcomeLink'],
    document: (o) => ({
      policies: { deprovisioning: { mode: 'deactivate' } },
      ...(o.welcomeLink === undefined ? {} : { welcomeEmail: { enabled: true, link: o.welcomeLink } }),
    }),
  },
];

export const PRESETS: ReadonlyMap<string, Preset> = new Map(PRESET_LIST.map((p) => [p.name, p]));
export const PRESET_NAMES: readonly string[] = PRESET_LIST.map((p) => p.name);

/** Why a preset cannot be applied; `field` names the input at fault ("preset", "welcomeLink"). */
export class PresetError extends Error {
  constructor(message: string, readonly field: 'preset' | 'welcomeLink') { super(message); this.name = 'PresetError'; }
}

const optionWord = (key: keyof PresetOptions) => (key === 'welcomeLink' ? 'a welcome link' : key);

/**
 * The settings a preset writes, checked as any settings replacement is (defaults filled in), or a
 * PresetError: an unknown name (listing the known ones), an option the preset does not take, or an
 * option the settings check refuses (a welcome link that is not https).
 */
export function presetSettings(name: string, options: PresetOptions = {}): { document: Record<string, unknown>; settings: TenantSettings } {
  const preset = PRESETS.get(name);
  if (!preset) throw new PresetError(`There is no preset "${name}"; the presets are ${PRESET_NAMES.map((n) => `"${n}"`).join(', ')}.`, 'preset');
  for (const key of Object.keys(options) as (keyof PresetOptions)[]) {
    // Only the presets that list an option take it: a link given to another preset would be silently unused.
    if (options[key] !== undefined && !preset.options.includes(key)) {
      throw new PresetError(`The preset "${name}" does not take ${optionWord(key)}; only ${PRESET_LIST.filter((p) => p.options.includes(key)).map((p) => `"${p.name}"`).join(', ')} does.`, key);
    }
  }
  const document = preset.document(options);
  const checked = checkSettings(document);
  if (!checked.settings) {
    const problems = checked.problems.map((p) => `${p.pointer} ${p.message}`).join('; ');
    throw new PresetError(`The preset "${name}" cannot be applied with these options: ${problems}.`, options.welcomeLink !== undefined ? 'welcomeLink' : 'preset');
  }
  return { document, settings: checked.settings };
}

/** Every preset as listed by `rollcall tenant presets` and GET /admin/v1/presets. */
export function listPresets(): { name: string; pattern: string; description: string; options: string[]; settings: Record<string, unknown> }[] {
  return PRESET_LIST.map((p) => ({ name: p.name, pattern: p.pattern, description: p.description, options: [...p.options], settings: p.document({}) }));
}
