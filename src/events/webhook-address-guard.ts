// Where webhooks may be sent (docs/events.md "Endpoint URLs"). An endpoint URL is chosen by whoever
// holds an admin key, and the request is made from inside the vendor's network: without a guard it
// would reach the vendor's own internal services (server-side request forgery). So: https only, and
// never to loopback, private (RFC 1918), carrier-grade NAT (RFC 6598), link-local (and so the cloud
// metadata address 169.254.169.254), unique-local IPv6 (RFC 4193), multicast, reserved or unspecified
// addresses, nor their IPv4-mapped IPv6 forms — unless the operator allows them (development:
// ROLLCALL_WEBHOOK_ALLOW_HTTP, ROLLCALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES). IdP metadata URLs
// (provisioning/sso/metadata-fetch.ts) are fetched under the same rules, with their own settings
// and words (GuardWording).
//
// The check that counts is made on the addresses a name resolves to, when the connection is made
// (guardedLookup, given to http.request as its `lookup`), so a name that resolves to a public address
// when the endpoint is saved and a private one when it is called (DNS rebinding) is still refused.
// checkEndpointUrl repeats what can be told before DNS, for a clear error when the endpoint is saved.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface AddressPolicy {
  /** Plain http:// URLs (development only). */
  allowHttp: boolean;
  /** Loopback, private and link-local addresses (development, or receivers inside the vendor's network on purpose). */
  allowPrivateAddresses: boolean;
  /** How refusals name the URLs and the settings that allow them; webhooks' when absent. */
  wording?: GuardWording;
}

/** The words of the guard's refusals, per use: the same rules guard webhooks and IdP metadata URLs. */
export interface GuardWording {
  /** "Webhook URLs" */
  urls: string;
  /** "send to" */
  verb: string;
  httpSetting: string;
  privateSetting: string;
  /** Why credentials in the URL are refused. */
  noCredentials: string;
}

export const WEBHOOK_WORDING: GuardWording = {
  urls: 'Webhook URLs', verb: 'send to', httpSetting: 'ROLLCALL_WEBHOOK_ALLOW_HTTP', privateSetting: 'ROLLCALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES',
  noCredentials: 'receivers verify the signature instead',
};

/** An endpoint URL or address that the policy refuses; `reason` says which rule. */
export class AddressRefused extends Error {
  constructor(message: string, readonly reason: 'scheme' | 'credentials' | 'address' | 'invalid') { super(message); }
}

// IANA special-purpose registries (IPv4: RFC 6890 and successors; IPv6: RFC 6890, 4193, 4291).
// BlockList matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1, ::ffff:a00:1) against the IPv4 rules too.
const FORBIDDEN = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) FORBIDDEN.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) FORBIDDEN.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is one the guard refuses (when private addresses are not allowed). */
export function isForbiddenAddress(ip: string): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return FORBIDDEN.check(bare, 'ipv4');
  if (family === 6) return FORBIDDEN.check(bare, 'ipv6');
  return true; // not an address at all: refuse rather than guess
}

/** Checks what can be checked before DNS: the scheme, no credentials, and an IP-literal host. Returns the parsed URL. */
export function checkEndpointUrl(raw: string, policy: AddressPolicy): URL {
  let url: URL;
  try { url = new URL(raw); } catch { throw new AddressRefused(`"${raw.slice(0, 200)}" is not a URL.`, 'invalid'); }
  const w = policy.wording ?? WEBHOOK_WORDING;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AddressRefused(`${w.urls} must be https:// URLs, got ${url.protocol}.`, 'scheme');
  if (url.protocol === 'http:' && !policy.allowHttp) {
    throw new AddressRefused(`${w.urls} must use https://; plain http:// is allowed only when ${w.httpSetting} is set (development).`, 'scheme');
  }
  // Credentials in the URL would be shown in listings and logs.
  if (url.username || url.password) throw new AddressRefused(`${w.urls} must not contain a user name or password; ${w.noCredentials}.`, 'credentials');
  if (!policy.allowPrivateAddresses) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && isForbiddenAddress(host)) throw refusedAddress(url.hostname, host, w);
    if (host === 'localhost' || host.endsWith('.localhost')) throw refusedAddress(url.hostname, '127.0.0.1', w);
  }
  return url;
}

function refusedAddress(host: string, address: string, w: GuardWording): AddressRefused {
  const via = host.replace(/^\[|\]$/g, '') === address ? '' : ` (${host} resolves to it)`;
  return new AddressRefused(`Refused to ${w.verb} ${address}${via}: loopback, private, link-local and other non-public addresses are allowed only when ${w.privateSetting} is set.`, 'address');
}

/**
 * A `lookup` for http(s).request that resolves the name and refuses the connection if ANY address it
 * resolves to is forbidden (a name with one public and one private address could be made to use the
 * private one by the connection's fallback).
 */
export function guardedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      if (!policy.allowPrivateAddresses) {
        const bad = addresses.find((a) => isForbiddenAddress(a.address));
        if (bad) return callback(refusedAddress(hostname, bad.address, policy.wording ?? WEBHOOK_WORDING), '', 0);
      }
      if (!addresses.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
