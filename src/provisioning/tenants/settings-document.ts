// The tenant settings document: its shape (as a JSON Schema the admin API publishes in its OpenAPI
// document), its defaults, and the check every replacement passes. One document per tenant, not a
// row per setting: it is read whole on a settings-version change and replaced whole (If-Match).
// Later issues add their sections (policies, webhooks, SAML) here, each refusing unknown keys.
import {
  checkCustomSchemas, CUSTOM_ATTRIBUTE_TYPES, CUSTOM_LIMITS, CUSTOM_MUTABILITIES, CUSTOM_UNIQUENESS, REFERENCE_TYPES,
  type CustomSchema, type DefinitionProblem,
} from '../../scim/schemas/custom-extension.ts';
import { checkLink, checkTemplate, parseMailbox, PLACEHOLDERS } from '../../events/email-template.ts';
import { checkGroupRules, DEFAULT_GROUP_RULES, groupRulesJsonSchema, type GroupRulesSettings } from '../policies/group-rules-settings.ts';
import { checkGuards, DEFAULT_GUARDS, guardsJsonSchema, type GuardsSettings } from '../policies/guards-settings.ts';
import { checkRoles, DEFAULT_ROLES, rolesJsonSchema, type RolesSettings } from '../policies/roles-settings.ts';
import { checkUserPolicies, DEFAULT_USER_POLICIES, USER_POLICY_KEYS, userPoliciesJsonSchema, type UserPolicies } from '../policies/user-policies.ts';
import { APPROVAL_POLICY_KEYS, approvalPoliciesJsonSchema, checkApprovalPolicies, DEFAULT_APPROVAL_POLICIES, type ApprovalPolicies } from '../policies/approval.ts';
import { checkSso, DEFAULT_SSO, ssoJsonSchema, type SsoSettings } from '../sso/settings.ts';
import { checkLimits, DEFAULT_LIMITS, limitsJsonSchema, type LimitsSettings } from './limits-settings.ts';

export type PatchResponse = 200 | 204;

export interface TenantSettings {
  scim: {
    /**
     * How a PATCH without attributes/excludedAttributes is answered, per resource type: 200 with the
     * resource, or 204 with only the ETag (RFC 7644 §3.5.2 allows both). Groups default to 204: a
     * big group's body is every member, and Okta and Entra never read it.
     */
    patchResponse: { users: PatchResponse; groups: PatchResponse };
  };
  /** The tenant's own extension schemas (scim/schemas/custom-extension.ts). */
  customSchemas: CustomSchema[];
  /** The email sent to a user the identity provider provisions (events/email.ts; off by default). */
  welcomeEmail: WelcomeEmailSettings;
  /** Provisioning policies (docs/policies.md); every default is today's behaviour. */
  policies: Policies;
  /** SAML single sign-on: the hand-off to the app and how users are found (provisioning/sso/settings.ts). */
  sso: SsoSettings;
  /** The tenant's own SCIM request limits; a value left out follows the server default (limits-settings.ts). */
  limits: LimitsSettings;
}

/** The policies, each lane's sub-keys (policies/*.ts). */
export type Policies = UserPolicies & { groups: GroupRulesSettings; roles: RolesSettings; guards: GuardsSettings } & ApprovalPolicies;

/**
 * The welcome email (PRODUCT.md C4). Subject, text and html are templates with {{placeholders}}
 * (events/email-template.ts); link is a URL template, required once enabled. from and replyTo are
 * plain addresses ("Acme IT <it@acme.example>"); without from, the server's ROLLCALL_EMAIL_FROM.
 */
export interface WelcomeEmailSettings {
  enabled: boolean;
  subject: string;
  text: string;
  html?: string;
  link?: string;
  from?: string;
  replyTo?: string;
}

/** Size bounds of the welcome email's templates (characters). */
export const WELCOME_LIMITS = { subject: 500, body: 100_000, link: 2000, address: 320 } as const;

export const DEFAULT_WELCOME_SUBJECT = 'Welcome to {{tenant.name}}';
export const DEFAULT_WELCOME_TEXT = 'Hello {{user.displayName}},\n\nYour {{tenant.name}} account ({{user.userName}}) is ready. Start here:\n{{link}}\n';

/** What a tenant that never set anything has: today's behaviour. */
export const DEFAULT_SETTINGS: Readonly<TenantSettings> = Object.freeze({
  scim: Object.freeze({ patchResponse: Object.freeze({ users: 200 as const, groups: 204 as const }) }),
  customSchemas: Object.freeze([]) as unknown as CustomSchema[],
  welcomeEmail: Object.freeze({ enabled: false, subject: DEFAULT_WELCOME_SUBJECT, text: DEFAULT_WELCOME_TEXT }),
  policies: Object.freeze({ ...DEFAULT_USER_POLICIES, groups: DEFAULT_GROUP_RULES, roles: DEFAULT_ROLES, guards: DEFAULT_GUARDS, ...DEFAULT_APPROVAL_POLICIES }),
  sso: DEFAULT_SSO,
  limits: DEFAULT_LIMITS,
});

/** The settings document as JSON Schema (2020-12), for the admin API's OpenAPI document. */
export const tenantSettingsJsonSchema = {
  $id: 'https://rollcall.dev/schemas/tenant-settings.json',
  title: 'TenantSettings',
  description: 'A tenant\'s settings, replaced whole. Omitted sections take their defaults; unknown keys are refused.',
  type: 'object',
  additionalProperties: false,
  properties: {
    scim: {
      type: 'object',
      additionalProperties: false,
      properties: {
        patchResponse: {
          type: 'object',
          additionalProperties: false,
          description: 'Status of a PATCH answered without attributes/excludedAttributes: 200 with the resource, or 204 without a body.',
          properties: {
            users: { enum: [200, 204], default: 200 },
            groups: { enum: [200, 204], default: 204 },
          },
        },
      },
    },
    customSchemas: {
      type: 'array',
      maxItems: CUSTOM_LIMITS.schemas,
      description: 'Custom SCIM extension schemas, advertised in this tenant\'s /Schemas and /ResourceTypes.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'attributes'],
        properties: {
          id: { type: 'string', pattern: '^urn:ietf:params:scim:schemas:extension:[A-Za-z0-9][A-Za-z0-9_.-]*:2\\.0:(User|Group)$' },
          name: { type: 'string', maxLength: CUSTOM_LIMITS.descriptionLength },
          description: { type: 'string', maxLength: CUSTOM_LIMITS.descriptionLength },
          attributes: {
            type: 'array',
            minItems: 1,
            maxItems: CUSTOM_LIMITS.attributesPerSchema,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'type'],
              properties: {
                name: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]*$', maxLength: CUSTOM_LIMITS.nameLength },
                type: { enum: [...CUSTOM_ATTRIBUTE_TYPES] },
                multiValued: { type: 'boolean', default: false },
                description: { type: 'string', maxLength: CUSTOM_LIMITS.descriptionLength },
                required: { type: 'boolean', default: false },
                caseExact: { type: 'boolean', default: false },
                mutability: { enum: [...CUSTOM_MUTABILITIES], default: 'readWrite' },
                uniqueness: { enum: [...CUSTOM_UNIQUENESS], default: 'none' },
                referenceTypes: { type: 'array', minItems: 1, items: { enum: [...REFERENCE_TYPES] } },
              },
            },
          },
        },
      },
    },
    welcomeEmail: {
      type: 'object',
      additionalProperties: false,
      description: `The email sent when the identity provider first provisions a user (off by default). subject, text, html and link are templates with the placeholders ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}; unknown placeholders are refused.`,
      properties: {
        enabled: { type: 'boolean', default: false },
        subject: { type: 'string', minLength: 1, maxLength: WELCOME_LIMITS.subject, default: DEFAULT_WELCOME_SUBJECT, description: 'One line: no CR or LF; control characters in values become spaces.' },
        text: { type: 'string', minLength: 1, maxLength: WELCOME_LIMITS.body, default: DEFAULT_WELCOME_TEXT, description: 'The plain-text body.' },
        html: { type: 'string', maxLength: WELCOME_LIMITS.body, description: 'An HTML body sent beside the text; values are HTML-escaped.' },
        link: { type: 'string', maxLength: WELCOME_LIMITS.link, description: 'The URL {{link}} renders to: https (http for localhost only), placeholders only after the host, values percent-encoded. Required once enabled.' },
        from: { type: 'string', maxLength: WELCOME_LIMITS.address, description: 'Sender, e.g. "Acme IT <it@acme.example>"; default the server\'s ROLLCALL_EMAIL_FROM.' },
        replyTo: { type: 'string', maxLength: WELCOME_LIMITS.address, description: 'Reply-To address.' },
      },
    },
    policies: {
      type: 'object',
      additionalProperties: false,
      description: 'Provisioning policies (docs/policies.md). Omitted policies keep today\'s behaviour.',
      properties: { ...userPoliciesJsonSchema, groups: groupRulesJsonSchema, roles: rolesJsonSchema, guards: guardsJsonSchema, ...approvalPoliciesJsonSchema },
    },
    sso: ssoJsonSchema,
    limits: limitsJsonSchema,
  },
} as const;

export type SettingsProblem = DefinitionProblem;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escape = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Checks a settings document and returns it complete (defaults filled in), or every problem found,
 * each named by its JSON pointer: an unknown key is refused at its own pointer ("/scim/patchRespons").
 */
export function checkSettings(input: unknown): { settings: TenantSettings; problems: [] } | { settings?: undefined; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  const problem = (pointer: string, message: string) => { problems.push({ pointer, message }); };
  if (!isObject(input)) return { problems: [{ pointer: '', message: 'the settings must be a JSON object' }] };
  const known = (obj: Record<string, unknown>, at: string, keys: string[]) => {
    for (const k of Object.keys(obj)) if (!keys.includes(k)) problem(`${at}/${escape(k)}`, `is not a setting (allowed here: ${keys.join(', ')})`);
  };
  known(input, '', ['scim', 'customSchemas', 'welcomeEmail', 'policies', 'sso', 'limits']);
  const patchResponse = { ...DEFAULT_SETTINGS.scim.patchResponse };
  if (input.scim !== undefined) {
    if (!isObject(input.scim)) problem('/scim', 'must be an object');
    else {
      known(input.scim, '/scim', ['patchResponse']);
      const pr = input.scim.patchResponse;
      if (pr !== undefined) {
        if (!isObject(pr)) problem('/scim/patchResponse', 'must be an object such as {"users": 200, "groups": 204}');
        else {
          known(pr, '/scim/patchResponse', ['users', 'groups']);
          for (const key of ['users', 'groups'] as const) {
            const v = pr[key];
            if (v === undefined) continue;
            if (v !== 200 && v !== 204) problem(`/scim/patchResponse/${key}`, `must be 200 (answer with the resource) or 204 (no body), got ${JSON.stringify(v)}`);
            else patchResponse[key] = v;
          }
        }
      }
    }
  }
  const custom = input.customSchemas === undefined ? { schemas: [], problems: [] } : checkCustomSchemas(input.customSchemas, '/customSchemas');
  problems.push(...custom.problems);
  const welcomeEmail = checkWelcomeEmail(input.welcomeEmail, problem, known);
  let policies: Policies = DEFAULT_SETTINGS.policies;
  if (input.policies !== undefined) {
    if (!isObject(input.policies)) problem('/policies', 'must be an object');
    else {
      known(input.policies, '/policies', [...USER_POLICY_KEYS, 'groups', 'roles', 'guards', ...APPROVAL_POLICY_KEYS]);
      policies = {
        ...checkUserPolicies(input.policies, problem, known),
        groups: checkGroupRules(input.policies.groups, '/policies/groups', problem),
        roles: checkRoles(input.policies.roles, '/policies/roles', problem),
        guards: checkGuards(input.policies.guards, '/policies/guards', problem),
        ...checkApprovalPolicies(input.policies, problem, known),
      };
    }
  }
  const sso = checkSso(input.sso, '/sso', problem, known);
  const limits = checkLimits(input.limits, '/limits', problem, known);
  if (problems.length) return { problems };
  return { settings: { scim: { patchResponse }, customSchemas: custom.schemas, welcomeEmail, policies, sso, limits }, problems: [] };
}

// A subject is one header line: a CR or LF written into the template is refused here (values
// substituted later have theirs replaced by spaces, events/email-template.ts).
// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkWelcomeEmail(
  input: unknown,
  problem: (pointer: string, message: string) => void,
  known: (obj: Record<string, unknown>, at: string, keys: string[]) => void,
): WelcomeEmailSettings {
  const out: WelcomeEmailSettings = { ...DEFAULT_SETTINGS.welcomeEmail };
  if (input === undefined) return out;
  const at = '/welcomeEmail';
  if (!isObject(input)) { problem(at, 'must be an object such as {"enabled": true, "link": "https://app.example.com/welcome"}'); return out; }
  known(input, at, ['enabled', 'subject', 'text', 'html', 'link', 'from', 'replyTo']);
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== 'boolean') problem(`${at}/enabled`, 'must be true or false');
    else out.enabled = input.enabled;
  }
  const text = (key: 'subject' | 'text' | 'html' | 'link' | 'from' | 'replyTo', max: number): string | undefined => {
    const v = input[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') { problem(`${at}/${key}`, 'must be a string'); return undefined; }
    if (v.trim() === '') { problem(`${at}/${key}`, 'cannot be empty'); return undefined; }
    if (v.length > max) { problem(`${at}/${key}`, `is longer than ${max} characters`); return undefined; }
    return v;
  };
  const report = (list: { pointer: string; message: string }[]) => { for (const p of list) problem(p.pointer, p.message); };
  const subject = text('subject', WELCOME_LIMITS.subject);
  if (subject !== undefined) {
    if (CONTROL.test(subject)) problem(`${at}/subject`, 'must be one line: no CR, LF or other control characters');
    report(checkTemplate(subject, `${at}/subject`));
    out.subject = subject;
  }
  const body = text('text', WELCOME_LIMITS.body);
  if (body !== undefined) { report(checkTemplate(body, `${at}/text`)); out.text = body; }
  const html = text('html', WELCOME_LIMITS.body);
  if (html !== undefined) { report(checkTemplate(html, `${at}/html`)); out.html = html; }
  const link = text('link', WELCOME_LIMITS.link);
  if (link !== undefined) { report(checkLink(link, `${at}/link`)); out.link = link; }
  if (out.enabled && out.link === undefined && input.link === undefined) problem(`${at}/link`, 'is required when the welcome email is enabled (the URL the email points the user to)');
  for (const key of ['from', 'replyTo'] as const) {
    const v = text(key, WELCOME_LIMITS.address);
    if (v === undefined) continue;
    if (!parseMailbox(v)) problem(`${at}/${key}`, 'must be an email address such as it@acme.example or "Acme IT <it@acme.example>"');
    else out[key] = v;
  }
  return out;
}

/**
 * A stored document read back. It was checked when written; a document this version cannot read
 * (written by a newer Rollcall, or edited by hand) falls back to the defaults rather than failing
 * every request of the tenant, and `problems` says why.
 */
export function readStoredSettings(stored: unknown): { settings: TenantSettings; problems: SettingsProblem[] } {
  if (stored === null || stored === undefined) return { settings: DEFAULT_SETTINGS, problems: [] };
  const r = checkSettings(stored);
  return r.settings ? { settings: r.settings, problems: [] } : { settings: DEFAULT_SETTINGS, problems: r.problems };
}
