// The RelayState of a test sign-in (docs/sso.md "Test sign-in"): "test." and the test request's id.
// The prefix lets the ACS tell a test before any check (so that a bad signature is explained on the
// result page) without a store lookup for every sign-in: only a RelayState of this form is looked
// up, and only a stored test request makes the post a test. A sign-in's RelayState is its bare
// request id, and an IdP-initiated one a URL, neither of which has this form.

/** An AuthnRequest id as newRequestId (saml/authn-request.ts) makes them. */
const TEST_RELAY_STATE = /^test\.(_[0-9a-f]{32})$/;

export const testRelayState = (requestId: string): string => `test.${requestId}`;

/** The test request id a RelayState names, or undefined when it is not a test's. */
export function testRequestId(relayState: string | undefined): string | undefined {
  return relayState === undefined ? undefined : TEST_RELAY_STATE.exec(relayState)?.[1];
}
