// Fetching an IdP's metadata from its URL (docs/sso.md "Connecting an identity provider"). The URL
// is chosen by whoever holds an admin key and fetched from inside the vendor's network, so it is
// guarded like a webhook URL (events/webhook-address-guard.ts): https only, and no loopback, private
// or link-local address after DNS resolution, unless the operator allows them (development:
// ROLLCALL_SAML_METADATA_ALLOW_HTTP, ROLLCALL_SAML_METADATA_ALLOW_PRIVATE_ADDRESSES). The document
// is read up to a size limit (the rest is never read) within one deadline covering connect, answer
// and body, so a server that never answers or trickles bytes cannot hold a refresh.
//
// Redirects: up to MAX_REDIRECTS are followed, each target checked again by the same rules (and
// resolved through the same guarded lookup), so a public URL cannot redirect into the network.
// IdPs move their metadata rarely, but a CDN's http→https or trailing-slash redirect is common.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AddressRefused, checkEndpointUrl, guardedLookup, type AddressPolicy, type GuardWording } from '../../events/webhook-address-guard.ts';

export const METADATA_WORDING: GuardWording = {
  urls: 'Metadata URLs', verb: 'fetch from', httpSetting: 'ROLLCALL_SAML_METADATA_ALLOW_HTTP', privateSetting: 'ROLLCALL_SAML_METADATA_ALLOW_PRIVATE_ADDRESSES',
  noCredentials: 'identity providers publish their metadata without one',
};

export const MAX_REDIRECTS = 3;
const USER_AGENT = 'Rollcall-SAML-Metadata/1';

export interface FetchPolicy {
  allowHttp: boolean;
  allowPrivateAddresses: boolean;
  maxBytes: number;
  timeoutMs: number;
}

export type FetchProblem = 'invalid_url' | 'address' | 'timeout' | 'too_large' | 'status' | 'redirect' | 'network';

/** A metadata URL that could not be fetched; the message says why, in words an admin can act on. */
export class MetadataFetchFailed extends Error {
  constructor(readonly reason: FetchProblem, message: string) { super(message); }
}

/** The guard's policy for metadata URLs, with their own wording. */
export const metadataAddressPolicy = (p: Pick<FetchPolicy, 'allowHttp' | 'allowPrivateAddresses'>): AddressPolicy =>
  ({ allowHttp: p.allowHttp, allowPrivateAddresses: p.allowPrivateAddresses, wording: METADATA_WORDING });

/** Checks a metadata URL before it is saved (scheme, credentials, an IP literal or localhost); returns it normalised. */
export function checkMetadataUrl(raw: string, policy: Pick<FetchPolicy, 'allowHttp' | 'allowPrivateAddresses'>): string {
  try {
    const url = checkEndpointUrl(raw, metadataAddressPolicy(policy));
    url.hash = '';
    return url.href;
  } catch (err) {
    if (err instanceof AddressRefused) throw new MetadataFetchFailed(err.reason === 'address' ? 'address' : 'invalid_url', err.message);
    throw err;
  }
}

/** Fetches the document at `url` as text (UTF-8), following at most MAX_REDIRECTS checked redirects. */
export async function fetchMetadata(url: string, policy: FetchPolicy): Promise<string> {
  const lookup = guardedLookup(metadataAddressPolicy(policy));
  let current = checkMetadataUrl(url, policy);
  // One deadline for the whole fetch, redirects included.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), policy.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      const answer = await get(new URL(current), lookup, policy.maxBytes, deadline.signal, policy.timeoutMs);
      if (answer.location === undefined) return answer.text;
      if (hop >= MAX_REDIRECTS) throw new MetadataFetchFailed('redirect', `The metadata URL redirected more than ${MAX_REDIRECTS} times; give the URL the metadata is finally served at.`);
      let next: string;
      try { next = new URL(answer.location, current).href; } catch {
        throw new MetadataFetchFailed('redirect', `The metadata URL redirected to ${JSON.stringify(answer.location.slice(0, 200))}, which is not a URL.`);
      }
      try { current = checkMetadataUrl(next, policy); } catch (err) {
        if (err instanceof MetadataFetchFailed) throw new MetadataFetchFailed('redirect', `The metadata URL redirected to ${next.slice(0, 200)}, which is refused: ${err.message}`);
        throw err;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

function get(url: URL, lookup: ReturnType<typeof guardedLookup>, maxBytes: number, deadline: AbortSignal, timeoutMs: number): Promise<{ text: string; location?: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // agent: false, a connection per fetch: refreshes are rare, and no socket is left open after one.
    const req = send(url, { method: 'GET', lookup, agent: false, headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml;q=0.9, */*;q=0.1', 'user-agent': USER_AGENT } });
    const onDeadline = () => fail(new MetadataFetchFailed('timeout', `${url.host} did not send the metadata within ${timeoutMs} ms.`));
    const done = () => { settled = true; deadline.removeEventListener('abort', onDeadline); req.destroy(); };
    function fail(err: MetadataFetchFailed) { if (!settled) { done(); reject(err); } }
    if (deadline.aborted) return onDeadline();
    deadline.addEventListener('abort', onDeadline, { once: true });
    // `on`, not `once`: a request destroyed after one error may report another.
    req.on('error', (err) => fail(networkFailure(url, err)));
    req.once('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        done();
        resolve({ text: '', location: String(res.headers.location) });
        return;
      }
      if (status < 200 || status >= 300) {
        return fail(new MetadataFetchFailed('status', `${url.host} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''} for the metadata URL; check the URL at the identity provider.`));
      }
      const tooLarge = () => new MetadataFetchFailed('too_large', `The metadata at ${url.host} is larger than ${maxBytes} bytes, the most accepted.`);
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) return fail(tooLarge());
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > maxBytes) return fail(tooLarge()); // stop reading: the rest is never downloaded
        chunks.push(chunk);
      });
      res.once('end', () => {
        if (settled) return;
        done();
        resolve({ text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => fail(networkFailure(url, err)));
    });
    req.end();
  });
}

function networkFailure(url: URL, err: unknown): MetadataFetchFailed {
  if (err instanceof AddressRefused) return new MetadataFetchFailed('address', err.message);
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return new MetadataFetchFailed('network', `The name ${url.hostname} does not resolve; check the metadata URL.`);
  if (e?.code === 'ECONNREFUSED') return new MetadataFetchFailed('network', `${url.host} refused the connection.`);
  if (e?.code && /CERT|SSL|TLS/.test(e.code)) return new MetadataFetchFailed('network', `The TLS certificate of ${url.host} is not trusted (${e.code}).`);
  return new MetadataFetchFailed('network', `The metadata could not be fetched from ${url.host}: ${[e?.code, e?.message].filter(Boolean).join(': ') || 'request failed'}.`);
}
