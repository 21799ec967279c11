// Which identity provider a SCIM client is, told from its User-Agent, for a tenant's health view
// ("the IdP seen"). Okta's provisioning sends "Okta SCIM Client 1.0.0" (every Okta transcript in
// test/conformance/transcripts/) and its spec-test runner "OKTA SCIM Integration"; Microsoft's
// provisioning service has sent "Microsoft.Azure.AD.…"-style and "Azure AD SCIM …" agents over the
// years. Only a name is shown: the raw User-Agent is always given beside it, so an unknown client is
// still recognisable by a person.

export type IdentityProviderId = 'okta' | 'entra' | 'onelogin' | 'jumpcloud' | 'google' | 'ping';

const KNOWN: readonly { id: IdentityProviderId; name: string; pattern: RegExp }[] = [
  { id: 'okta', name: 'Okta', pattern: /\bokta\b/i },
  { id: 'entra', name: 'Microsoft Entra ID', pattern: /microsoft|azure|\bentra\b|\baad\b/i },
  { id: 'onelogin', name: 'OneLogin', pattern: /onelogin/i },
  { id: 'jumpcloud', name: 'JumpCloud', pattern: /jumpcloud/i },
  { id: 'google', name: 'Google Workspace', pattern: /google/i },
  { id: 'ping', name: 'PingOne', pattern: /\bping(one|identity|federate)?\b/i },
];

/** The identity provider a User-Agent names, or null for one we do not recognise (a script, curl, a custom client). */
export function identityProviderOf(userAgent: string | null): { id: IdentityProviderId; name: string } | null {
  if (!userAgent) return null;
  const found = KNOWN.find((k) => k.pattern.test(userAgent));
  return found ? { id: found.id, name: found.name } : null;
}
