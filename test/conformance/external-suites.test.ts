// Runs Okta's SCIM 2.0 SPEC test and Microsoft's SCIMReferenceCode Postman collection against the
// real server on a fresh database (the runner: test/support/external-suites.ts; the exceptions: external-exceptions.json).
import { test, after, before } from 'node:test';
import { startTestServer, type TestServer } from '../support/server.ts';
import { assertMicrosoftSuitePasses, assertOktaSuitePasses, externalSuitesSkip } from '../support/external-suites.ts';

let server: TestServer;

before(async () => { if (!externalSuitesSkip) server = await startTestServer(); });
after(async () => { await server?.close(); });

test('Microsoft SCIMReferenceCode Postman collection passes (with listed exceptions)', { skip: externalSuitesSkip }, async () => {
  const { scimUrl, token } = await server.createTenant('microsoft-suite');
  await assertMicrosoftSuitePasses(scimUrl, token);
});

test("Okta SCIM 2.0 SPEC test passes (with listed exceptions)", { skip: externalSuitesSkip }, async () => {
  const { scimUrl, token } = await server.createTenant('okta-suite');
  await assertOktaSuitePasses(scimUrl, token);
});
