// A tenant's SAML connections, as the admin API manages them (docs/sso.md "Connecting an identity
// provider"): each one identity provider the tenant's users sign in with, made from its metadata
// (uploaded XML, or a URL Rollcall fetches and refreshes) or from its three values typed in (entity
// id, SSO URL, signing certificates). Every change writes its audit entry in its own transaction.
// The routes (http/admin/routes/saml.ts) turn a SamlConnectionError into a problem+json answer.
import { randomBytes } from 'node:crypto';
import type { SamlConfig } from '../../config/config.ts';
import { checkSsoUrl, describeCertificate, MetadataRefused, parseIdpMetadata, type CertificateInfo, type IdpMetadata } from '../../saml/metadata.ts';
import { UniquenessViolation, type ActionRecord, type SamlConnectionRecord, type SamlSignedPart, type Store, type Tenant } from '../../store/store.ts';
import { authnRequestUrl, newRequestId } from '../../saml/authn-request.ts';
import type { SpIdentity } from '../../saml/validate.ts';
import { audit, auditEntry, type Actor } from '../admin/audit.ts';
import type { Clock } from '../clock.ts';
import { checkMetadataUrl, fetchMetadata, MetadataFetchFailed } from './metadata-fetch.ts';
import { testRelayState } from './test-relay-state.ts';

/** A request the use cases refuse: the status the admin API answers with, the input at fault, and a machine-readable reason. */
export class SamlConnectionError extends Error {
  constructor(message: string, readonly status: 400 | 404 | 409, readonly field?: string, readonly reason?: string) { super(message); }
}

/** The values the customer's IT admin enters at the identity provider for this tenant. */
export interface SpEndpoints { entityId: string; acsUrl: string; metadataUrl: string; loginUrl: string }

/** The service provider's URLs of a tenant (the contract between the lanes of issue 12). */
export function spEndpoints(publicUrl: string, slug: string): SpEndpoints {
  const base = `${publicUrl.replace(/\/+$/, '')}/saml/${slug}`;
  return { entityId: `${base}/metadata`, acsUrl: `${base}/acs`, metadataUrl: `${base}/metadata`, loginUrl: `${base}/login` };
}

/** The SP as a tenant's IdPs know it: its entity id, ACS, and the key AuthnRequests are signed with. */
export function spIdentity(publicUrl: string, saml: SamlConfig, slug: string): SpIdentity {
  const { entityId, acsUrl } = spEndpoints(publicUrl, slug);
  return { entityId, acsUrl, privateKey: saml.spPrivateKey, certificate: saml.spCertificate };
}

export type CertificateView = Omit<CertificateInfo, 'der'>;

/** A connection as the admin API shows it. */
export interface SamlConnection {
  id: string;
  name: string;
  entityId: string;
  ssoUrl: string;
  certificates: CertificateView[];
  metadataUrl: string | null;
  signed: SamlSignedPart;
  allowSha1: boolean;
  idpInitiated: boolean;
  enabled: boolean;
  refreshedAt: string | null;
  refreshError: string | null;
  refreshFailedAt: string | null;
  nextRefreshAt: string | null;
  createdAt: string;
  updatedAt: string;
  sp: SpEndpoints;
  /** What the admin should know: a certificate expired or about to, one left out of the metadata, … */
  warnings: string[];
}

export interface ConnectionOptions {
  signed?: SamlSignedPart;
  allowSha1?: boolean;
  idpInitiated?: boolean;
  enabled?: boolean;
}

/**
 * One of three sources: `metadataXml`, `metadataUrl`, or `entityId` + `ssoUrl` + `certificates`.
 * With metadata, `entityId` picks one identity provider of an aggregate.
 */
export interface ConnectionInput extends ConnectionOptions {
  name: string;
  metadataXml?: string;
  metadataUrl?: string;
  entityId?: string;
  ssoUrl?: string;
  certificates?: string[];
}

export interface ConnectionPatch extends ConnectionOptions {
  name?: string;
  metadataXml?: string;
  /** A new URL (fetched now), or null: stop refreshing, keep the values as they are. */
  metadataUrl?: string | null;
  entityId?: string;
  ssoUrl?: string;
  certificates?: string[];
}

const MAX_NAME = 100;
const MAX_ENTITY_ID = 1024;
const MAX_CERTIFICATES = 10;
const SIGNED: readonly SamlSignedPart[] = ['assertion', 'response', 'either', 'both'];
/** After a failed refresh, the next try: sooner than the period, so a passing outage heals the same day. */
const RETRY_AFTER_FAILURE_MS = 15 * 60_000;
/** A certificate this close to its end is named in the connection's warnings. */
const EXPIRY_WARNING_MS = 30 * 24 * 3600_000;

export const newConnectionId = (): string => `saml_${randomBytes(12).toString('base64url')}`;
const ID = /^saml_[A-Za-z0-9_-]{1,64}$/;

/** Where the new values of a connection came from, and what parsing them had to say. */
interface Source { entityId: string; ssoUrl: string; certificates: string[]; metadataXml: string | null; metadataUrl: string | null; warnings: string[] }

export class SamlConnections {
  constructor(private readonly store: Store, private readonly clock: Clock, private readonly config: { saml: SamlConfig; publicUrl: string }) {}

  private iso(ms = this.clock.now()): string { return new Date(ms).toISOString(); }

  /** The connection as shown, with `extra` warnings (from parsing) before those about its certificates. */
  view(c: SamlConnectionRecord, slug: string, extra: string[] = []): SamlConnection {
    const now = this.clock.now();
    const certificates = c.certificates.map((der) => describeCertificate(der, new Date(now)));
    const warnings = [...extra];
    for (const cert of certificates) {
      const left = Date.parse(cert.notAfter) - now;
      if (left < 0) warnings.push(`The certificate ${cert.subject} (SHA-256 ${cert.fingerprint}) expired ${cert.notAfter}.`);
      else if (left < EXPIRY_WARNING_MS) warnings.push(`The certificate ${cert.subject} (SHA-256 ${cert.fingerprint}) expires ${cert.notAfter}: add its successor (rollover) before then.`);
    }
    if (certificates.length && certificates.every((cert) => cert.expired)) warnings.push('Every signing certificate of this connection has expired: sign-ins will fail until the identity provider\'s new certificate is added.');
    return {
      id: c.id, name: c.name, entityId: c.entityId, ssoUrl: c.ssoUrl, certificates: certificates.map(({ der: _der, ...rest }) => rest),
      metadataUrl: c.metadataUrl, signed: c.signed, allowSha1: c.allowSha1, idpInitiated: c.idpInitiated, enabled: c.enabled,
      refreshedAt: c.refreshedAt, refreshError: c.refreshError, refreshFailedAt: c.refreshFailedAt, nextRefreshAt: c.nextRefreshAt,
      createdAt: c.createdAt, updatedAt: c.updatedAt, sp: spEndpoints(this.config.publicUrl, slug), warnings,
    };
  }

  async create(tenant: Tenant, input: ConnectionInput, by: Actor): Promise<SamlConnection> {
    if (!input || typeof input !== 'object') throw new SamlConnectionError('Send a JSON object with "name" and the metadata: "metadataXml", "metadataUrl", or "entityId", "ssoUrl" and "certificates".', 400);
    const name = this.name(input.name);
    const options = this.options(input);
    const hasMetadata = input.metadataXml !== undefined || input.metadataUrl !== undefined;
    const hasFields = input.ssoUrl !== undefined || input.certificates !== undefined;
    if (input.metadataXml !== undefined && input.metadataUrl !== undefined) throw new SamlConnectionError('Give the metadata once: either "metadataXml" or "metadataUrl", not both.', 400, 'metadataUrl');
    if (hasMetadata && hasFields) throw new SamlConnectionError('Give either the metadata ("metadataXml" or "metadataUrl") or the values by hand ("entityId", "ssoUrl", "certificates"), not both: the metadata holds them.', 400, input.ssoUrl !== undefined ? 'ssoUrl' : 'certificates');
    if (!hasMetadata && !hasFields) throw new SamlConnectionError('Give the identity provider\'s metadata: "metadataXml" (the XML document), "metadataUrl" (where the IdP publishes it), or "entityId", "ssoUrl" and "certificates".', 400, 'metadataXml');
    const at = this.iso();
    const source = input.metadataXml !== undefined ? this.fromXml(input.metadataXml, input.entityId)
      : input.metadataUrl !== undefined ? await this.fromUrl(input.metadataUrl, input.entityId)
      : this.fromFields({ entityId: input.entityId, ssoUrl: input.ssoUrl, certificates: input.certificates }, 'create');
    const record: SamlConnectionRecord = {
      id: newConnectionId(), tenantId: tenant.id, name, entityId: source.entityId, ssoUrl: source.ssoUrl, certificates: source.certificates,
      metadataUrl: source.metadataUrl, metadataXml: source.metadataXml,
      signed: options.signed ?? 'either', allowSha1: options.allowSha1 ?? false, idpInitiated: options.idpInitiated ?? false, enabled: options.enabled ?? true,
      nextRefreshAt: source.metadataUrl ? this.iso(this.clock.now() + this.config.saml.metadataRefreshMs) : null,
      refreshedAt: source.metadataUrl ? at : null, refreshError: null, refreshFailedAt: null, createdAt: at, updatedAt: at,
    };
    try {
      await this.store.createSamlConnection(record, this.recordOf(by, at, tenant, 'samlConnection.create', record, { name, entityId: record.entityId, source: source.metadataUrl ? 'url' : source.metadataXml ? 'xml' : 'fields', certificates: this.fingerprints(record) }));
    } catch (err) {
      if (err instanceof UniquenessViolation) throw duplicateName(name);
      throw err;
    }
    return this.view(record, tenant.slug, source.warnings);
  }

  async list(tenant: Tenant): Promise<SamlConnection[]> {
    return (await this.store.listSamlConnections(tenant.id)).map((c) => this.view(c, tenant.slug));
  }

  async get(tenant: Tenant, id: string): Promise<SamlConnection> {
    return this.view(await this.find(tenant, id), tenant.slug);
  }

  async update(tenant: Tenant, id: string, patch: ConnectionPatch, by: Actor): Promise<SamlConnection> {
    if (!patch || typeof patch !== 'object' || !Object.keys(patch).length) throw new SamlConnectionError('Send a JSON object of the fields to change.', 400);
    const current = await this.find(tenant, id);
    const next: SamlConnectionRecord = { ...current, ...this.options(patch) };
    if (patch.name !== undefined) next.name = this.name(patch.name);
    if (patch.metadataXml !== undefined && patch.metadataUrl !== undefined && patch.metadataUrl !== null) {
      throw new SamlConnectionError('Give the metadata once: either "metadataXml" or "metadataUrl", not both.', 400, 'metadataUrl');
    }
    const fields = patch.ssoUrl !== undefined || patch.certificates !== undefined || (patch.entityId !== undefined && patch.metadataXml === undefined && typeof patch.metadataUrl !== 'string');
    if (fields && (patch.metadataXml !== undefined || typeof patch.metadataUrl === 'string')) {
      throw new SamlConnectionError('Give either new metadata or new values by hand ("ssoUrl", "certificates"), not both: the metadata holds them.', 400, patch.ssoUrl !== undefined ? 'ssoUrl' : 'certificates');
    }
    let warnings: string[] = [];
    const at = this.iso();
    let source: Source | undefined;
    if (patch.metadataXml !== undefined) source = this.fromXml(patch.metadataXml, patch.entityId);
    else if (typeof patch.metadataUrl === 'string') source = await this.fromUrl(patch.metadataUrl, patch.entityId);
    else if (fields) {
      // Values typed in on a connection refreshed from a URL would be overwritten by the next refresh.
      if (current.metadataUrl && patch.metadataUrl !== null) {
        throw new SamlConnectionError(`This connection is refreshed from ${current.metadataUrl}, which would overwrite values set by hand: send "metadataUrl": null in the same request to stop refreshing, or fix the metadata at the identity provider.`, 409, patch.ssoUrl !== undefined ? 'ssoUrl' : patch.certificates !== undefined ? 'certificates' : 'entityId');
      }
      source = this.fromFields({ entityId: patch.entityId ?? current.entityId, ssoUrl: patch.ssoUrl ?? current.ssoUrl, certificates: patch.certificates ?? current.certificates }, 'update');
    }
    if (source) {
      Object.assign(next, { entityId: source.entityId, ssoUrl: source.ssoUrl, certificates: source.certificates, metadataXml: source.metadataXml, metadataUrl: source.metadataUrl });
      next.nextRefreshAt = source.metadataUrl ? this.iso(this.clock.now() + this.config.saml.metadataRefreshMs) : null;
      next.refreshedAt = source.metadataUrl ? at : null;
      next.refreshError = null;
      next.refreshFailedAt = null;
      warnings = source.warnings;
    } else if (patch.metadataUrl === null) {
      // Stop refreshing; the last good values stay.
      Object.assign(next, { metadataUrl: null, nextRefreshAt: null, refreshError: null, refreshFailedAt: null });
    }
    next.updatedAt = at;
    const summary: Record<string, unknown> = { fields: Object.keys(patch) };
    if (next.entityId !== current.entityId) summary.entityId = next.entityId;
    if (next.certificates.join() !== current.certificates.join()) summary.certificates = this.fingerprints(next);
    let written: boolean;
    try {
      written = await this.store.updateSamlConnection(next, this.recordOf(by, at, tenant, 'samlConnection.update', next, summary));
    } catch (err) {
      if (err instanceof UniquenessViolation) throw duplicateName(next.name);
      throw err;
    }
    if (!written) throw notFound(id);
    return this.view(next, tenant.slug, warnings);
  }

  async delete(tenant: Tenant, id: string, by: Actor): Promise<void> {
    const current = await this.find(tenant, id);
    const at = this.iso();
    if (!(await this.store.deleteSamlConnection(tenant.id, current.id, this.recordOf(by, at, tenant, 'samlConnection.delete', current, { name: current.name, entityId: current.entityId })))) throw notFound(id);
  }

  /**
   * A test sign-in (docs/sso.md "Test sign-in"): the IdP URL to send the administrator's browser to,
   * with an AuthnRequest stored as a test. Its response is validated at the ACS exactly as a sign-in's
   * and answered with a result page (sign-in.ts): nothing is handed to the app. A disabled connection
   * can be tested too (to try it before users depend on it). The try is audited, its outcome is not
   * (it has no actor: whoever holds the browser at the IdP).
   */
  async test(tenant: Tenant, id: string, by: Actor): Promise<{ url: string; requestId: string; expiresAt: string }> {
    const c = await this.find(tenant, id);
    const now = this.clock.now();
    const requestId = newRequestId();
    const expiresAt = this.iso(now + this.config.saml.requestTtlMs);
    await this.store.saveSamlRequest({ tenantId: tenant.id, id: requestId, connectionId: c.id, returnTo: null, createdAt: this.iso(now), expiresAt, purpose: 'test' });
    // ForceAuthn: the IdP asks who is there even when the administrator is signed in to it already,
    // so the test shows the account they choose (and the IdP's own sign-in policy).
    const url = await authnRequestUrl({ sp: spIdentity(this.config.publicUrl, this.config.saml, tenant.slug), idpSsoUrl: c.ssoUrl, id: requestId, relayState: testRelayState(requestId), now: new Date(now), forceAuthn: true });
    await audit(this.store, this.clock, by, 'samlConnection.test', { type: 'samlConnection', id: c.id, tenantId: tenant.id }, { name: c.name, authnRequestId: requestId });
    return { url, requestId, expiresAt };
  }

  /**
   * Fetches the metadata URL now. A failure keeps the last good values and is recorded on the
   * connection (refreshError, refreshFailedAt), which is returned either way: a refresh that failed
   * is a state of the connection, not a failed request.
   */
  async refresh(tenant: Tenant, id: string, by: Actor): Promise<SamlConnection> {
    const current = await this.find(tenant, id);
    if (!current.metadataUrl) throw new SamlConnectionError('This connection has no metadata URL to refresh from: upload the new metadata as "metadataXml" (PATCH), or set "metadataUrl".', 409, 'metadataUrl', 'no_metadata_url');
    const outcome = await this.refreshed(current);
    if (!outcome) throw notFound(id);
    const summary = { ok: outcome.ok, ...(outcome.ok ? {} : { error: outcome.next.refreshError }), ...(outcome.changed ? { entityId: outcome.next.entityId, certificates: this.fingerprints(outcome.next) } : {}) };
    if (!(await this.store.updateSamlConnection(outcome.next, this.recordOf(by, outcome.next.updatedAt, tenant, 'samlConnection.refresh', outcome.next, summary)))) throw notFound(id);
    return this.view(outcome.next, tenant.slug, outcome.warnings);
  }

  /**
   * A claimed connection's refresh (provisioning/sso/metadata-refresher.ts). An automatic refresh that
   * changes what sign-ins are trusted by (entity id, SSO URL, certificates) is audited: the certificates
   * a tenant trusts should never change without a trace. Returns whether the fetch succeeded.
   */
  async refreshClaimed(claimed: SamlConnectionRecord, by: Actor): Promise<boolean | undefined> {
    const outcome = await this.refreshed(claimed);
    if (!outcome) return undefined;
    const record = outcome.changed
      ? this.recordOf(by, outcome.next.updatedAt, { id: claimed.tenantId }, 'samlConnection.metadataChanged', outcome.next, { entityId: outcome.next.entityId, ssoUrl: outcome.next.ssoUrl, certificates: this.fingerprints(outcome.next) })
      : undefined;
    await this.store.updateSamlConnection(outcome.next, record);
    return outcome.ok;
  }

  /**
   * Fetches and parses `c`'s metadata URL; the connection to write, read again after the fetch (an
   * admin may have changed it meanwhile: their change is kept, and a URL they changed or removed
   * makes this fetch moot: undefined).
   */
  private async refreshed(c: SamlConnectionRecord): Promise<{ next: SamlConnectionRecord; ok: boolean; changed: boolean; warnings: string[] } | undefined> {
    const url = c.metadataUrl!;
    let parsed: IdpMetadata | undefined;
    let text: string | undefined;
    let error: string | undefined;
    try {
      text = await fetchMetadata(url, this.fetchPolicy());
      parsed = parseIdpMetadata(text, new Date(this.clock.now()), { maxBytes: this.config.saml.metadataMaxBytes, entityId: c.entityId });
    } catch (err) {
      if (err instanceof MetadataFetchFailed || err instanceof MetadataRefused) error = err.message;
      else throw err;
    }
    const current = await this.store.getSamlConnection(c.tenantId, c.id);
    if (!current || current.metadataUrl !== url) return undefined;
    const now = this.clock.now();
    const at = this.iso(now);
    if (!parsed) {
      return {
        ok: false, changed: false, warnings: [],
        next: { ...current, refreshError: error!, refreshFailedAt: at, nextRefreshAt: this.iso(now + Math.min(RETRY_AFTER_FAILURE_MS, this.config.saml.metadataRefreshMs)), updatedAt: at },
      };
    }
    const changed = parsed.entityId !== current.entityId || parsed.ssoUrl !== current.ssoUrl || parsed.certificates.join() !== current.certificates.join();
    return {
      ok: true, changed, warnings: parsed.warnings,
      next: {
        ...current, entityId: parsed.entityId, ssoUrl: parsed.ssoUrl, certificates: parsed.certificates, metadataXml: text!,
        refreshedAt: at, refreshError: null, refreshFailedAt: null, nextRefreshAt: this.iso(now + this.config.saml.metadataRefreshMs), updatedAt: at,
      },
    };
  }

  private fetchPolicy() {
    const s = this.config.saml;
    return { allowHttp: s.metadataAllowHttp, allowPrivateAddresses: s.metadataAllowPrivateAddresses, maxBytes: s.metadataMaxBytes, timeoutMs: s.metadataTimeoutMs };
  }

  private fromXml(xml: unknown, entityId: unknown): Source {
    if (typeof xml !== 'string' || !xml.trim()) throw new SamlConnectionError('"metadataXml" must be the identity provider\'s metadata XML document, as text.', 400, 'metadataXml');
    const m = this.parse(xml, entityId, 'metadataXml');
    return { entityId: m.entityId, ssoUrl: m.ssoUrl, certificates: m.certificates, metadataXml: xml, metadataUrl: null, warnings: m.warnings };
  }

  private async fromUrl(raw: unknown, entityId: unknown): Promise<Source> {
    if (typeof raw !== 'string' || !raw.trim()) throw new SamlConnectionError('"metadataUrl" must be the https:// URL where the identity provider publishes its metadata.', 400, 'metadataUrl');
    if (raw.length > 2048) throw new SamlConnectionError('"metadataUrl" must be at most 2048 characters.', 400, 'metadataUrl');
    let url: string;
    let text: string;
    try {
      url = checkMetadataUrl(raw.trim(), this.fetchPolicy());
      text = await fetchMetadata(url, this.fetchPolicy());
    } catch (err) {
      if (err instanceof MetadataFetchFailed) throw new SamlConnectionError(err.message, 400, 'metadataUrl', err.reason);
      throw err;
    }
    const m = this.parse(text, entityId, 'metadataUrl');
    return { entityId: m.entityId, ssoUrl: m.ssoUrl, certificates: m.certificates, metadataXml: text, metadataUrl: url, warnings: m.warnings };
  }

  private parse(xml: string, entityId: unknown, field: string): IdpMetadata {
    if (entityId !== undefined && (typeof entityId !== 'string' || !entityId)) throw new SamlConnectionError('"entityId" must be a string: the identity provider to use from the metadata.', 400, 'entityId');
    try {
      return parseIdpMetadata(xml, new Date(this.clock.now()), { maxBytes: this.config.saml.metadataMaxBytes, entityId });
    } catch (err) {
      if (err instanceof MetadataRefused) throw new SamlConnectionError(err.message, 400, err.reason === 'several_entities' ? 'entityId' : field, err.reason);
      throw err;
    }
  }

  private fromFields(f: { entityId?: unknown; ssoUrl?: unknown; certificates?: unknown }, what: 'create' | 'update'): Source {
    const missing = (['entityId', 'ssoUrl', 'certificates'] as const).find((k) => f[k] === undefined);
    if (missing) throw new SamlConnectionError(`"${missing}" is required with ${what === 'create' ? '"ssoUrl" and "certificates"' : 'values set by hand'}: a connection needs the identity provider's entity id, SSO URL and signing certificates.`, 400, missing);
    if (typeof f.entityId !== 'string' || !f.entityId.trim() || f.entityId.length > MAX_ENTITY_ID) {
      throw new SamlConnectionError(`"entityId" must be the identity provider's entity id (its Issuer), at most ${MAX_ENTITY_ID} characters.`, 400, 'entityId');
    }
    if (typeof f.ssoUrl !== 'string') throw new SamlConnectionError('"ssoUrl" must be the identity provider\'s single sign-on URL (HTTP-Redirect binding).', 400, 'ssoUrl');
    let ssoUrl: string;
    try { ssoUrl = checkSsoUrl(f.ssoUrl); } catch (err) {
      if (err instanceof MetadataRefused) throw new SamlConnectionError(err.message, 400, 'ssoUrl', err.reason);
      throw err;
    }
    if (!Array.isArray(f.certificates) || !f.certificates.length || f.certificates.length > MAX_CERTIFICATES || f.certificates.some((c) => typeof c !== 'string')) {
      throw new SamlConnectionError(`"certificates" must be a list of 1 to ${MAX_CERTIFICATES} signing certificates (PEM or base64), two during a rollover.`, 400, 'certificates');
    }
    const now = new Date(this.clock.now());
    const certificates: string[] = [];
    (f.certificates as string[]).forEach((text, i) => {
      let info: CertificateInfo;
      try { info = describeCertificate(text, now); } catch (err) {
        if (err instanceof MetadataRefused) throw new SamlConnectionError(`certificates[${i}]: ${err.message}`, 400, `certificates.${i}`, err.reason);
        throw err;
      }
      if (info.expired) throw new SamlConnectionError(`certificates[${i}] (${info.subject}, SHA-256 ${info.fingerprint}) expired ${info.notAfter}; give the identity provider's current signing certificate.`, 400, `certificates.${i}`, 'expired_certificate');
      if (!certificates.includes(info.der)) certificates.push(info.der);
    });
    return { entityId: f.entityId.trim(), ssoUrl, certificates, metadataXml: null, metadataUrl: null, warnings: [] };
  }

  private name(raw: unknown): string {
    if (typeof raw !== 'string' || !raw.trim()) throw new SamlConnectionError('"name" must name the connection (e.g. "Okta"); users may pick it at sign-in.', 400, 'name');
    // eslint-disable-next-line no-control-regex -- control characters have no place in a name shown to people
    if (raw.trim().length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(raw)) throw new SamlConnectionError(`"name" must be at most ${MAX_NAME} characters, without control characters.`, 400, 'name');
    return raw.trim();
  }

  private options(o: ConnectionOptions): ConnectionOptions {
    const out: ConnectionOptions = {};
    if (o.signed !== undefined) {
      if (!SIGNED.includes(o.signed)) throw new SamlConnectionError(`"signed" must be one of ${SIGNED.map((s) => `"${s}"`).join(', ')}: which part of the IdP's response must carry its signature.`, 400, 'signed');
      out.signed = o.signed;
    }
    for (const key of ['allowSha1', 'idpInitiated', 'enabled'] as const) {
      if (o[key] === undefined) continue;
      if (typeof o[key] !== 'boolean') throw new SamlConnectionError(`"${key}" must be true or false.`, 400, key);
      out[key] = o[key];
    }
    return out;
  }

  private async find(tenant: Tenant, id: string): Promise<SamlConnectionRecord> {
    const c = typeof id === 'string' && ID.test(id) ? await this.store.getSamlConnection(tenant.id, id) : undefined;
    if (!c) throw notFound(id);
    return c;
  }

  private fingerprints(c: SamlConnectionRecord): string[] {
    return c.certificates.map((der) => describeCertificate(der, new Date(this.clock.now())).fingerprint);
  }

  private recordOf(by: Actor, at: string, tenant: Pick<Tenant, 'id'>, action: string, c: SamlConnectionRecord, summary: Record<string, unknown>): ActionRecord {
    return { audit: auditEntry(at, by, action, { type: 'samlConnection', id: c.id, tenantId: tenant.id }, summary) };
  }
}

function notFound(id: string): SamlConnectionError {
  return new SamlConnectionError(`This tenant has no SAML connection ${JSON.stringify(String(id).slice(0, 100))}.`, 404);
}

function duplicateName(name: string): SamlConnectionError {
  return new SamlConnectionError(`This tenant already has a SAML connection named ${JSON.stringify(name)}; choose another name.`, 409, 'name');
}
