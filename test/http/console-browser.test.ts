// The console's session and headers as a real browser (Chromium, test/support/browser.ts) applies
// them: the console shell loads under its strict CSP without a violation; the admin key is
// exchanged for a cookie that the page's scripts cannot read and the browser sends back on its own;
// writes without the CSRF token are refused; signing out clears the cookie; and another site cannot
// frame the console (frame-ancestors 'none', X-Frame-Options: DENY).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { freePort } from '../../harness/processes.ts';
import { browserSkipReason, launchBrowser, newPage } from '../support/browser.ts';
import { startAdminServer, type AdminTestServer } from '../support/admin.ts';

const skip = browserSkipReason();
let server: AdminTestServer;
let browser: Browser | undefined;

before(async () => {
  server = await startAdminServer();
  if (!skip) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

test('in Chromium: the key becomes an HttpOnly, SameSite=Strict cookie no script can read; writes need the CSRF token; sign-out clears it', { skip }, async () => {
  const { context, page, consoleErrors } = await newPage(browser!, { baseURL: server.baseUrl });
  try {
    await page.goto('/console');
    await page.getByLabel('Admin API key').waitFor();
    const slug = `browser-${process.pid}`;
    const r = await page.evaluate(async ({ key, slug }) => {
      const signIn = await fetch('/admin/v1/sessions', { method: 'POST', headers: { authorization: `Bearer ${key}` } });
      const session = await signIn.json() as { csrfToken: string };
      const current = await fetch('/admin/v1/sessions/current');
      // (No helper function here: the test runner's transform would name it, and the page has no such helper.)
      const noToken = await fetch('/admin/v1/tenants', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug }) });
      const withToken = await fetch('/admin/v1/tenants', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken }, body: JSON.stringify({ slug }) });
      return { signIn: signIn.status, cookieReadable: document.cookie.includes('rollcall_session'), current: current.status, noToken: noToken.status, withToken: withToken.status };
    }, { key: server.adminKey, slug });
    assert.deepEqual(r, { signIn: 201, cookieReadable: false, current: 200, noToken: 403, withToken: 201 });
    const cookie = (await context.cookies()).find((c) => c.name === 'rollcall_session');
    assert.ok(cookie, 'the browser holds the session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/');
    assert.equal((await server.admin('GET', `/tenants/${slug}`)).status, 200, 'the write with the token was made, once');

    const out = await page.evaluate(async () => {
      const current = await (await fetch('/admin/v1/sessions/current')).json() as { csrfToken: string };
      const signOut = await fetch('/admin/v1/sessions/current', { method: 'DELETE', headers: { 'x-csrf-token': current.csrfToken } });
      const after = await fetch('/admin/v1/sessions/current');
      return { signOut: signOut.status, after: after.status };
    });
    assert.deepEqual(out, { signOut: 204, after: 401 });
    assert.equal((await context.cookies()).find((c) => c.name === 'rollcall_session'), undefined, 'the cookie is gone from the browser');
    assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource: .*status of 40[13]/.test(e)), [], 'no CSP violation or script error on the console shell');
  } finally {
    await context.close();
  }
});

test('in Chromium: a page of another site cannot frame the console or the setup page', { skip }, async () => {
  const port = await freePort();
  const evil: FastifyInstance = Fastify();
  // "localhost" is another site than "127.0.0.1" for the browser.
  const target = server.baseUrl;
  evil.get('/', async (_request, reply) => reply.type('text/html').send(
    `<!doctype html><title>evil</title><iframe id="c" src="${target}/console"></iframe><iframe id="s" src="${target}/setup/"></iframe>`));
  await evil.listen({ host: '127.0.0.1', port });
  const { context, page } = await newPage(browser!, { baseURL: `http://localhost:${port}` });
  try {
    const blocked: string[] = [];
    page.on('console', (m) => { if (/frame-ancestors|X-Frame-Options|refused to display/i.test(m.text())) blocked.push(m.text()); });
    await page.goto('/');
    await page.waitForLoadState('load');
    // A framed page that loaded would show its sign-in field; a refused one shows nothing of ours.
    for (const id of ['c', 's']) {
      const frame = await (await page.$(`#${id}`))!.contentFrame();
      const text = frame ? await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '') : '';
      assert.ok(!/Admin API key|setup/i.test(text), `#${id} must not render inside another site's page: ${text.slice(0, 100)}`);
    }
    // Chromium reports the refusal on the console: proof it was the headers, not a failed load.
    assert.ok(blocked.length >= 1, 'the browser says it refused to frame the page');
  } finally {
    await context.close();
    await evil.close();
  }
});
