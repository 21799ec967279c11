// The welcome email's templates (tenant settings "welcomeEmail"; PRODUCT.md C4): the placeholders a
// template may use, the check a template passes when the settings are saved, and the rendering of
// one message. Pure: no store, no SMTP, no clock.
//
// A placeholder is written {{name}} (spaces inside the braces allowed). Each template part escapes
// the values it takes in for where they land, so no value the identity provider sends can change
// the message's structure:
// - subject: control characters (CR, LF, tab, …) become spaces: no header can be injected;
// - text: values as they are;
// - html: values HTML-escaped (& < > " ');
// - link: values percent-encoded (encodeURIComponent), so a value is one path segment or query value.

import { escapeHtml } from '../text/escape-html.ts';

export const PLACEHOLDERS = [
  'user.displayName', 'user.name.givenName', 'user.name.familyName', 'user.userName', 'user.email',
  'tenant.name', 'tenant.slug', 'link',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
const KNOWN = new Set<string>(PLACEHOLDERS);

/** The values a message is rendered with (see valuesFor in email.ts for where each comes from). */
export type TemplateValues = Record<Exclude<Placeholder, 'link'>, string>;

/** The parts of the template, as settings "welcomeEmail" holds them. */
export interface EmailTemplate { subject: string; text: string; html?: string; link: string }

export interface RenderedEmail { subject: string; text: string; html?: string; link: string }

export interface TemplateProblem { pointer: string; message: string }

// Lazy, so that "{{a}} and {{b}}" is two placeholders; a name never holds braces.
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

/**
 * Problems of one template string: placeholders that are not known (named), unclosed "{{", and
 * placeholders not allowed in this part (`disallow`: {{link}} inside the link itself).
 */
export function checkTemplate(template: string, pointer: string, disallow: readonly Placeholder[] = []): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1].trim();
    if (!KNOWN.has(name)) problems.push({ pointer, message: `{{${name}}} is not a placeholder (known: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')})` });
    else if ((disallow as readonly string[]).includes(name)) problems.push({ pointer, message: `{{${name}}} cannot be used here` });
  }
  if (template.replace(PLACEHOLDER, '').includes('{{')) problems.push({ pointer, message: 'has a "{{" that does not close as a placeholder such as {{user.displayName}}' });
  return problems;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The link template: an https URL whose scheme and host are written out (placeholders only in the
 * path, query or fragment, so that no user's value can choose where the link points). Plain http is
 * allowed for localhost, 127.0.0.1 and [::1] only, for development.
 */
export function checkLink(template: string, pointer: string): TemplateProblem[] {
  const problems = checkTemplate(template, pointer, ['link']);
  const head = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/.exec(template);
  if (!head) return [...problems, { pointer, message: 'must be an absolute https URL such as https://app.example.com/welcome' }];
  const scheme = head[1].toLowerCase();
  if (head[2].includes('{{')) return [...problems, { pointer, message: 'cannot have a placeholder in its host: placeholders go in the path or query' }];
  let url: URL;
  try {
    url = new URL(template.replace(PLACEHOLDER, 'x'));
  } catch {
    return [...problems, { pointer, message: 'is not a valid URL' }];
  }
  if (url.username || url.password) problems.push({ pointer, message: 'cannot carry a user name or password' });
  if (scheme === 'http' && !LOOPBACK_HOSTS.has(url.hostname)) problems.push({ pointer, message: 'must use https (plain http is allowed for localhost only)' });
  else if (scheme !== 'https' && scheme !== 'http') problems.push({ pointer, message: `must use https, not ${scheme}:` });
  return problems;
}

// C0 controls and DEL: a subject is one header line (RFC 5322 §2.2: a header field never holds a
// bare CR or LF), and a tab or other control has no business in it either.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]+/g;

function fill(template: string, value: (name: Placeholder) => string): string {
  // Names were checked when the settings were saved; one unknown here (a document edited by hand)
  // renders as nothing rather than leaking the braces into the message.
  return template.replace(PLACEHOLDER, (_, raw: string) => {
    const name = raw.trim();
    return KNOWN.has(name) ? value(name as Placeholder) : '';
  });
}

/** One message from the templates and one user's values. */
export function renderEmail(template: EmailTemplate, values: TemplateValues): RenderedEmail {
  const link = fill(template.link, (name) => name === 'link' ? '' : encodeURIComponent(values[name]));
  const plain = (name: Placeholder) => name === 'link' ? link : values[name];
  const subject = fill(template.subject, plain).replace(CONTROL, ' ').replace(/ {2,}/g, ' ').trim();
  const text = fill(template.text, plain);
  const html = template.html === undefined ? undefined : fill(template.html, (name) => escapeHtml(plain(name)));
  return { subject, text, link, ...(html === undefined ? {} : { html }) };
}

/** A mailbox as settings and config write it: "it@acme.example" or "Acme IT <it@acme.example>". */
export interface Mailbox { name: string; address: string }

// A deliberately plain address: no spaces, quotes, brackets, commas or controls anywhere, one @,
// a dot in the domain, or a bare "localhost" domain for development. RFC 5322's quoted local parts
// and comments are legal but no identity provider sends them, and refusing them keeps every
// address one token that no header or SMTP command can be split on.
// eslint-disable-next-line no-control-regex -- controls are among what an address may not hold
const ADDRESS = /^[^\s@<>()[\]",;:\\\u0000-\u001f\u007f]+@(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|localhost)$/;
// eslint-disable-next-line no-control-regex -- a display name must not hold controls or angle brackets
const DISPLAY_NAME = /^[^<>"\u0000-\u001f\u007f]*$/;

export const isAddress = (s: string): boolean => s.length <= 320 && ADDRESS.test(s);

/** The mailbox written, or undefined when it is not one. */
export function parseMailbox(s: string): Mailbox | undefined {
  const angle = /^(.*?)\s*<([^<>]*)>$/.exec(s.trim());
  if (angle) return DISPLAY_NAME.test(angle[1]) && isAddress(angle[2]) ? { name: angle[1].trim(), address: angle[2] } : undefined;
  return isAddress(s.trim()) ? { name: '', address: s.trim() } : undefined;
}
