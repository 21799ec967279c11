// Shared by the browser tests of the console's tenant pages (SSO, policies, attributes, webhooks,
// events, audit): a real server with admin keys, a tenant, headless Chromium signed in, and the
// check that the page logged no error and met no error answer it did not expect: every 4xx/5xx
// answer the page receives is recorded beside its console errors ("HTTP 400 PUT …"), and a test that
// provokes one on purpose names the status it expects (a 500 is never expected).
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startAdminServer, type AdminTestServer } from './admin.ts';
import { launchBrowser, newPage } from './browser.ts';

export interface ConsoleRig {
  server: AdminTestServer;
  browser: Browser;
  /** A signed-in page (admin key unless `key` says otherwise), its context and its console errors. */
  open(o?: { key?: string }): Promise<{ page: Page; context: BrowserContext; consoleErrors: string[] }>;
  close(): Promise<void>;
}

export async function startConsoleRig(opts: Parameters<typeof startAdminServer>[0] = {}): Promise<ConsoleRig> {
  const server = await startAdminServer(opts);
  const browser = await launchBrowser();
  const contexts: BrowserContext[] = [];
  return {
    server,
    browser,
    async open(o = {}) {
      const opened = await newPage(browser, { baseURL: server.baseUrl });
      contexts.push(opened.context);
      opened.page.on('response', (r) => {
        if (r.status() >= 400) opened.consoleErrors.push(`HTTP ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      await signInOnly(opened.page, o.key ?? server.adminKey);
      // The 401 of the sign-in page's look for a session is expected; what counts starts now.
      opened.consoleErrors.length = 0;
      return opened;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Fails on any console error of the page and on any error answer except those with one of
 * `statuses` (the answers a test provoked on purpose, e.g. a 400 for an invalid settings document).
 */
export function assertNoConsoleErrors(errors: string[], statuses: number[] = []): void {
  const unexpected = errors.filter((e) => {
    const m = /^HTTP (\d{3}) /.exec(e);
    return !(m && statuses.includes(Number(m[1])));
  });
  assert.deepEqual(unexpected, [], 'the page logged errors or met error answers it did not expect');
}

/** Accepts every confirm() dialog the page opens (destructive steps ask first). */
export function acceptDialogs(page: Page): void {
  page.on('dialog', (d) => { void d.accept(); });
}

/**
 * Signs in through the sign-in page, then opens the audit log (a page of this lane, so these tests
 * depend on no other lane's page); each test then goes straight to the page it tests.
 */
async function signInOnly(page: Page, key: string): Promise<void> {
  await page.goto('/console/sign-in');
  await page.getByLabel('Admin API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.locator('main:not([aria-busy])').waitFor();
  await page.goto('/console/audit');
  await page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
}
