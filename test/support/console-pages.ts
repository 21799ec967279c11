// Helpers of the console page tests (test/browser/console-*.test.ts): keyboard navigation by Tab to
// a control named as a screen reader names it, and the SCIM requests the tests send as an identity
// provider would.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/**
 * Errors a page logs (a CSP violation, an exception, a failed load), with the URL each came from,
 * except the failed loads a test expects: the 401 of GET /admin/v1/sessions/current before signing
 * in always, and those `expected` names (an admin API 400 for a bad filter a test types on purpose).
 */
export function pageErrors(page: Page, expected: Array<{ status: number; path: RegExp }> = []): string[] {
  const errors: string[] = [];
  const allowed = [{ status: 401, path: /\/admin\/v1\/sessions\/current$/ }, ...expected];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url ?? '';
    const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(m.text());
    if (failed && allowed.some((a) => a.status === Number(failed[1]) && a.path.test(new URL(url, 'http://x').pathname))) return;
    errors.push(`${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
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
