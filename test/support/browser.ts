// Real-browser tests of the console and the setup-link pages: playwright-core driving Debian's
// Chromium (`apt-get install -y chromium`, which .ci/run does; no browser is downloaded). Tests find
// controls by role and accessible name, which is also the console's accessibility contract, and
// run axe-core over each page they visit (checkAccessibility).
//
// Without /usr/bin/chromium (or ROLLCALL_CHROMIUM) the browser tests are skipped, saying how to
// install it; under CI=true they fail instead, as the PostgreSQL tests do.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.ROLLCALL_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can (pass to test()'s `skip`). */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const why = `no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set ROLLCALL_CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(`CI=true: the browser tests are mandatory, but there is ${why}`);
  return why;
}

/**
 * Starts headless Chromium with the flags this machine needs: no sandbox (tests run as root), and
 * nothing that reaches for the network on its own (the machine's network is closed; Chromium's
 * background fetches would only fail and slow it).
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * A fresh browser context (its own cookies) with one page. The page's console errors and uncaught
 * exceptions are collected: a test can assert there were none (a CSP violation shows up there).
 */
export async function newPage(browser: Browser, opts: { baseURL: string }): Promise<{ context: BrowserContext; page: Page; consoleErrors: string[] }> {
  const context = await browser.newContext({ baseURL: opts.baseURL, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  // Chromium also logs every 4xx/5xx answer as "Failed to load resource"; those are the admin API's
  // answers the pages show in words (a test asserts what is shown), so they are left out here.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.setDefaultTimeout(10_000);
  return { context, page, consoleErrors };
}

/** Signs in to the console with an admin key through its sign-in page, and waits for the tenants page. */
export async function signIn(page: Page, adminKey: string): Promise<void> {
  await page.goto('/console');
  await page.getByLabel('Admin API key').fill(adminKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }

/**
 * Runs axe-core (WCAG 2 A and AA rules) over the page as it is now and fails on any serious or
 * critical violation, naming the rule and the elements. axe is evaluated through the DevTools
 * protocol, which the page's Content-Security-Policy does not govern, so the page's own CSP stays
 * as strict as in production.
 */
export async function checkAccessibility(page: Page, where: string): Promise<void> {
  // Loaded once per document: the console follows its links without a reload, so most checks of a
  // test find axe already there.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 5) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${where}: axe-core found serious accessibility violations:\n${serious.map((v) => `- ${v.id} (${v.impact}): ${v.help} at ${v.nodes.join(', ')}`).join('\n')}`);
}
