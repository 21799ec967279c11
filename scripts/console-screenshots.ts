// `npm run screenshots`: the pictures of docs/console.md, taken in Debian's Chromium from a real
// Rollcall with made-up data: three tenants whose IdPs sent requests (some failing), users and a
// group, a SAML connection from the test IdP's metadata, a webhook endpoint with deliveries, a
// setup link. Run it after changing a page; it rewrites the pictures of the console's main pages
// (docs/images/console-*.png; the setup link's and the webhook endpoint's were taken once by hand).
// Nothing here is a test: the browser tests (test/browser) check the pages.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startAdminServer, type AdminAnswer } from '../test/support/admin.ts';
import { launchBrowser, newPage, signIn } from '../test/support/browser.ts';
import { TestIdp } from '../test/support/saml-idp.ts';
import { startReceiver } from '../test/support/webhook-receiver.ts';

const out = fileURLToPath(new URL('../docs/images/', import.meta.url));
mkdirSync(out, { recursive: true });
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const receiver = await startReceiver();
const server = await startAdminServer({ config: { webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 5000 } } });
async function must(what: string, p: Promise<AdminAnswer>): Promise<Record<string, string>> {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
  return r.body as Record<string, string>;
}

async function scimAs(slug: string, token: string, agent: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.baseUrl}/scim/v2/${slug}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'user-agent': agent }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

const people = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing', 'Katherine Johnson', 'Edsger Dijkstra', 'Barbara Liskov', 'Donald Knuth', 'Frances Allen'];
async function tenantWithTraffic(slug: string, name: string, agent: string, n: number) {
  await must(`tenant ${slug}`, server.admin('POST', '/tenants', { body: { slug, name } }));
  const { token } = await must('token', server.admin('POST', `/tenants/${slug}/tokens`, { body: { name: `${agent.split(' ')[0]} provisioning` } }));
  const ids: string[] = [];
  await scimAs(slug, token, agent, 'GET', '/Users?startIndex=1&count=1');
  for (const person of people.slice(0, n)) {
    const [given, family] = person.split(' ');
    const userName = `${given.toLowerCase()}.${family.toLowerCase()}@${slug}.example`;
    await scimAs(slug, token, agent, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    const made = await scimAs(slug, token, agent, 'POST', '/Users', { schemas: [USER], userName, name: { givenName: given, familyName: family }, displayName: person, emails: [{ value: userName, type: 'work', primary: true }], active: true, password: 'Secret-123' });
    if (typeof made.body.id === 'string') ids.push(made.body.id);
  }
  if (ids.length > 4) {
    const g = await scimAs(slug, token, agent, 'POST', '/Groups', { schemas: [GROUP], displayName: 'Engineering', members: ids.slice(0, 5).map((value) => ({ value })) });
    await scimAs(slug, token, agent, 'PATCH', `/Users/${ids[ids.length - 1]}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
    await scimAs(slug, token, agent, 'GET', `/Users?filter=${encodeURIComponent('userName zz "ada"')}`);
    await scimAs(slug, token, agent, 'POST', '/Users', { schemas: [USER], userName: `ada.lovelace@${slug}.example` });
    void g;
  }
  return { token, ids };
}

await must('webhook', server.admin('POST', '/webhooks', { body: { url: receiver.url, description: 'Our app (all tenants)' } }));
const acme = await tenantWithTraffic('acme', 'Acme Inc', 'Okta SCIM Client 1.0.0', 8);
await tenantWithTraffic('globex', 'Globex Corporation', 'Microsoft.AAD.Provisioning/1.0', 4);
await must('tenant', server.admin('POST', '/tenants', { body: { slug: 'initech', name: 'Initech' } }));
const idp = TestIdp.create({ entityId: 'http://www.okta.com/exk1acme', ssoUrl: 'https://acme.okta.example/app/rollcall/sso/saml' });
await must('saml', server.admin('POST', '/tenants/acme/saml/connections', { body: { name: 'Okta', metadataXml: idp.metadataXml() } }));
await new Promise((r) => setTimeout(r, 1500)); // the request log's flush and the first deliveries

const browser = await launchBrowser();
const shots: string[] = [];
async function shot(page: Page, name: string, heading?: RegExp | string) {
  if (heading) await page.getByRole('heading', { level: 1, name: heading }).first().waitFor();
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(out, `${name}.png`), fullPage: true, animations: 'disabled' });
  shots.push(name);
}
try {
  const { page } = await newPage(browser, { baseURL: server.baseUrl });
  await page.goto('/console');
  await shot(page, 'console-sign-in', /Sign in/);
  await signIn(page, server.adminKey);
  await shot(page, 'console-tenants', 'Tenants');
  const visit = async (path: string, name: string, heading: RegExp | string) => { await page.goto(`/console${path}`); await shot(page, name, heading); };
  await visit('/tenants/acme', 'console-tenant-overview', /Acme/);
  await visit('/tenants/acme/scim', 'console-scim-setup', /SCIM setup/);
  await visit('/tenants/acme/users', 'console-users', /Users/);
  await visit(`/tenants/acme/users/${acme.ids[0]}`, 'console-user', /ada|lovelace/i);
  await visit('/tenants/acme/requests', 'console-request-log', /Request log/);
  await page.getByRole('row').filter({ hasText: 'userName%20zz' }).getByRole('link').first().click();
  await shot(page, 'console-request-error', /answered 400/);
  for (const [path, name, heading] of [
    ['/tenants/acme/sso', 'console-sso', /sign-on|SSO|SAML/i],
    ['/tenants/acme/policies', 'console-policies', /Polic/],
    ['/tenants/acme/attributes', 'console-attributes', /attributes/i],
    ['/webhooks', 'console-webhooks', /webhooks/i],
    ['/events', 'console-events', /Events/],
    ['/audit', 'console-audit', /Audit/],
  ] as const) await visit(path, name, heading);
} finally {
  await browser.close();
  await server.close();
  await receiver.close();
}
console.log(`wrote ${shots.length} screenshots to docs/images/: ${shots.join(', ')}`);
