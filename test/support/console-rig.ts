// Shared by the browser tests of the console's pages: a real server with admin keys, headless
// Chromium signed in (the rig), the check that the page logged no error and met no error answer it
// did not expect (every 4xx/5xx answer the page receives is recorded beside its console errors,
// "HTTP 400 PUT …", and a test that provokes one on purpose names the status it expects; a 500 is
// never expected), keyboard navigation by Tab to a control named as a screen reader names it, and
// the SCIM requests the tests send as an identity provider would.
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
      recordErrorAnswers(opened.page, opened.consoleErrors);
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

/** An error answer a test provokes on purpose: a status from any path, or only from paths `path` matches. */
export type ExpectedAnswer = number | { status: number; path: RegExp };

/** The console's look for a session before signing in: always a 401, never an error. */
const SIGNED_OUT: ExpectedAnswer = { status: 401, path: /\/admin\/v1\/sessions\/current$/ };

/**
 * Records every 4xx/5xx answer the page receives ("HTTP 400 PUT /admin/v1/…") beside its console
 * errors (newPage's `consoleErrors`), except those `expected` names.
 */
export function recordErrorAnswers(page: Page, errors: string[], expected: readonly ExpectedAnswer[] = []): void {
  page.on('response', (r) => {
    const status = r.status();
    if (status < 400) return;
    const path = new URL(r.url()).pathname;
    if ([SIGNED_OUT, ...expected].some((x) => (typeof x === 'number' ? x === status : x.status === status && x.path.test(path)))) return;
    errors.push(`HTTP ${status} ${r.request().method()} ${path}`);
  });
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

/**
 * Presses Tab until the focused element is the one `name` matches (its accessible name as the
 * label, aria-label or text gives it), and returns. Fails after `max` presses: the control cannot
 * be reached by keyboard.
 */
export async function tabTo(page: Page, name: string | RegExp, max = 80): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const current = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return '';
      const labelled = el.getAttribute('aria-label');
      if (labelled) return labelled;
      const id = el.id;
      const label = id ? document.querySelector(`label[for="${CSS.escape(id)}"]`) : null;
      if (label) return label.textContent ?? '';
      return (el.textContent ?? '').trim();
    });
    seen.push(current);
    if (typeof name === 'string' ? current === name : name.test(current)) return;
  }
  assert.fail(`${String(name)} was not reached with ${max} presses of Tab; focus went through: ${seen.join(' | ')}`);
}

/** A SCIM request as an identity provider sends it; the answer's status and body. */
export async function scimCall(url: string, token: string, method = 'GET', body?: unknown, ua = 'Okta SCIM Client 1.0.0'): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'user-agent': ua, ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = text; }
  return { status: res.status, body: parsed };
}

export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
