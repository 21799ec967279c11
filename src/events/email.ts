// The welcome email (PRODUCT.md C4; docs/events.md): when the identity provider first provisions a
// user (a user.created event made over SCIM, actor type 'token'), a message from the tenant's
// template (settings "welcomeEmail", events/email-template.ts) through the SMTP server of
// ROLLCALL_SMTP_URL. It is a Sink the delivery engine runs like any consumer, after commit: the
// SCIM response never waits for SMTP, failures are retried with the engine's backoff, and every
// attempt is recorded.
//
// Outcomes (RFC 5321 §4.2.1: 4yz transient, 5yz permanent):
// - sent (250 after DATA): ok;
// - no connection, a timeout, any 4yz reply: failed, retried;
// - a 5yz reply to RCPT TO or DATA (this recipient or this message is refused): permanent, the
//   event is dead-lettered, since sending it again gets the same answer;
// - a 5yz reply to AUTH or MAIL FROM (wrong password, sender not allowed): failed, retried, because
//   that is the server's configuration, which an operator fixes, and every welcome email would
//   otherwise be dead-lettered meanwhile;
// - not ours to send (another event type, a user created by the admin API or the library, the
//   tenant's email off, a user without an address): skipped, the reason in `error`.
// The Message-ID is made from the event id, so a retry after a lost answer is recognisably the same
// message. Delivery is at-least-once: a message whose 250 was lost on the way back is sent again.
import type { Transporter } from 'nodemailer';
import type { Clock } from '../provisioning/clock.ts';
import { systemClock } from '../provisioning/clock.ts';
import { readStoredSettings } from '../provisioning/tenants/settings-document.ts';
import type { EventRecord, Store } from '../store/store.ts';
import { isAddress, parseMailbox, renderEmail, type TemplateValues } from './email-template.ts';
import type { ConsumerView, DeliveryOutcome, Sink } from './sink.ts';

export interface EmailSinkOptions {
  store: Pick<Store, 'readTenantSettings' | 'findTenantBySlug'>;
  /** config.smtpUrl; without it, an email that should go out fails (retried) saying so. */
  smtpUrl?: string;
  /** config.emailFrom: the sender when the tenant's settings name none. */
  from?: string;
  /** The Date header. */
  clock?: Clock;
}

/** Why the sink skipped or failed an event, as the delivery attempts show it. */
const SKIP = {
  type: 'only user.created events send a welcome email',
  actor: 'the user was not provisioned by the identity provider (created through the admin API, the CLI or the library)',
  tenant: 'the tenant no longer exists',
  off: "the tenant's welcome email is off",
  address: 'the user has no email address (emails, or a userName that is one)',
} as const;

const skipped = (why: string): DeliveryOutcome => ({ ok: true, skipped: true, error: why });

export class EmailSink implements Sink {
  /** Made at the first email sent, and nodemailer loaded then: a process that sends none never loads it. */
  private transport?: Promise<Transporter>;
  private readonly secrets: string[];

  constructor(private readonly options: EmailSinkOptions) {
    this.secrets = secretsOf(options.smtpUrl);
  }

  private transporter(url: string): Promise<Transporter> {
    this.transport ??= import('nodemailer').then(({ default: nodemailer }) => nodemailer.createTransport({
      url,
      // The engine's attempt has its own deadline (the signal); these only bound each step so a
      // silent server is noticed within it. Nodemailer's defaults wait up to 2 and 10 minutes.
      connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000, dnsTimeout: 15_000,
      logger: false, debug: false,
    }));
    // A failed load is not kept: the engine's next attempt tries again.
    this.transport.catch(() => { this.transport = undefined; });
    return this.transport;
  }

  async deliver(event: EventRecord, _consumer: ConsumerView, signal: AbortSignal): Promise<DeliveryOutcome> {
    if (event.type !== 'user.created') return skipped(SKIP.type);
    // "First provisioning" (issue #10 item 5): the identity provider over SCIM, not the vendor's own code.
    if (event.actor.type !== 'token') return skipped(SKIP.actor);
    const stored = await this.options.store.readTenantSettings(event.tenantId);
    if (!stored) return skipped(SKIP.tenant);
    const settings = readStoredSettings(stored.document).settings.welcomeEmail;
    // A document read back without its link (edited by hand) falls back to the defaults: off.
    if (!settings.enabled || settings.link === undefined) return skipped(SKIP.off);
    const user = isRecord(event.data.user) ? event.data.user : {};
    const to = recipientOf(user);
    if (!to) return skipped(SKIP.address);

    const url = this.options.smtpUrl;
    if (url === undefined) return { ok: false, error: 'no SMTP server is configured: set ROLLCALL_SMTP_URL' };
    const from = parseMailbox(settings.from ?? this.options.from ?? '');
    if (!from) return { ok: false, error: 'no sender address: set welcomeEmail.from in the tenant settings or ROLLCALL_EMAIL_FROM' };
    const replyTo = settings.replyTo === undefined ? undefined : parseMailbox(settings.replyTo);

    const tenant = await this.options.store.findTenantBySlug(event.tenantSlug);
    const values = valuesFor(user, to, { slug: event.tenantSlug, name: tenant?.id === event.tenantId ? tenant.name : event.tenantSlug });
    const message = renderEmail({ subject: settings.subject, text: settings.text, html: settings.html, link: settings.link }, values);
    try {
      const transport = await this.transporter(url);
      await transport.sendMail({
        from, to, ...(replyTo ? { replyTo } : {}),
        subject: message.subject, text: message.text, ...(message.html === undefined ? {} : { html: message.html }),
        // RFC 5322 §3.6.4: unique per message, here per event, so every retry carries the same one.
        messageId: `<${event.id}.welcome@${from.address.slice(from.address.lastIndexOf('@') + 1)}>`,
        date: new Date((this.options.clock ?? systemClock).now()),
        // RFC 3834 §5: sent by a machine, so auto-responders do not answer it.
        headers: { 'Auto-Submitted': 'auto-generated' },
        signal,
      });
      return { ok: true, status: 250 };
    } catch (err) {
      return this.outcomeOf(err);
    }
  }

  /** Closes the SMTP transport (at shutdown). */
  close(): void {
    void this.transport?.then((t) => t.close(), () => undefined);
  }

  private outcomeOf(err: unknown): DeliveryOutcome {
    const e = (isRecord(err) ? err : {}) as { code?: unknown; responseCode?: unknown; command?: unknown; response?: unknown; message?: unknown };
    const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
    const command = typeof e.command === 'string' ? e.command.toUpperCase() : '';
    const said = typeof e.response === 'string' ? e.response : typeof e.message === 'string' ? e.message : String(err);
    const error = this.redact(`${typeof e.code === 'string' ? `${e.code}: ` : ''}${command ? `${command}: ` : ''}${said}`).slice(0, 500);
    // 503 is "bad sequence of commands": the session's fault, not the message's.
    const refused = status !== undefined && status >= 500 && status < 600 && status !== 503 && (command.startsWith('RCPT') || command.startsWith('DATA'));
    return { ok: false, error, ...(status === undefined ? {} : { status }), ...(refused ? { permanent: true } : {}) };
  }

  private redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }
}

/** The URL and its password, as written and decoded: what an error text must never show. */
function secretsOf(url: string | undefined): string[] {
  if (!url) return [];
  const out = [url];
  try {
    const password = new URL(url).password;
    if (password) out.push(password, decodeURIComponent(password));
  } catch { /* config.ts checked the URL */ }
  // Longest first, so that the URL is replaced whole before its password is.
  return [...new Set(out)].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => typeof v === 'string' ? v : '';

/**
 * Where the welcome email goes: the primary email, else the first of type work, else the first
 * email, else the userName when it is an address (Entra ID and Okta often send only that). Values
 * that are not plain addresses are passed over.
 */
export function recipientOf(user: Record<string, unknown>): string | undefined {
  const emails = (Array.isArray(user.emails) ? user.emails : []).filter(isRecord)
    .map((e) => ({ value: str(e.value).trim(), type: str(e.type).toLowerCase(), primary: e.primary === true }))
    .filter((e) => isAddress(e.value));
  const chosen = emails.find((e) => e.primary) ?? emails.find((e) => e.type === 'work') ?? emails[0];
  if (chosen) return chosen.value;
  const userName = str(user.userName).trim();
  return isAddress(userName) ? userName : undefined;
}

/**
 * The placeholders' values for one user. A missing value renders as empty, except
 * {{user.displayName}}, which falls back to name.formatted, then "givenName familyName", then the
 * userName, so that a greeting always names the user; {{tenant.name}} falls back to the slug.
 */
export function valuesFor(user: Record<string, unknown>, email: string, tenant: { slug: string; name: string }): TemplateValues {
  const name = isRecord(user.name) ? user.name : {};
  const given = str(name.givenName);
  const family = str(name.familyName);
  const displayName = str(user.displayName) || str(name.formatted) || [given, family].filter(Boolean).join(' ') || str(user.userName);
  return {
    'user.displayName': displayName, 'user.name.givenName': given, 'user.name.familyName': family,
    'user.userName': str(user.userName), 'user.email': email, 'tenant.name': tenant.name || tenant.slug, 'tenant.slug': tenant.slug,
  };
}
