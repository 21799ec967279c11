// Helpers for the admin API tests (/admin/v1): a server with admin keys of both scopes, a small JSON
// client that reads every answer whole, and the one check that an answer is an RFC 9457 problem.
import assert from 'node:assert/strict';
import { createAdminKey } from '../../src/provisioning/tenants/admin-keys.ts';
import { startTestServer, type TestServer } from './server.ts';

/**
 * A JSON answer as the tests read it. The tests touch its properties directly, each checked by the
 * assertion that reads it (the reason eslint.config.js allows `any` in *.test.ts); the helpers
 * below narrow it before use.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- read off the wire, checked by each assertion
export type Json = any;

export interface AdminAnswer { status: number; headers: Headers; body: Json; text: string }

interface ProblemBody { type: string; title: string; status: number; detail: string; field?: string }
interface PageBody { data: unknown[]; next: string | null }

export interface AdminTestServer extends TestServer {
  /** An admin-scope key and a read-scope key, created in the store as the CLI would. */
  adminKey: string;
  adminKeyId: string;
  readKey: string;
  readKeyId: string;
  /** A request to /admin/v1 with the admin key (or `opts.key`; null for none). */
  admin(method: string, path: string, opts?: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<AdminAnswer>;
}

export async function startAdminServer(opts: Parameters<typeof startTestServer>[0] = {}): Promise<AdminTestServer> {
  const server = await startTestServer(opts);
  const clock = opts.server?.clock;
  const a = await createAdminKey(server.running.store, { name: 'test admin', scope: 'admin', ttlMs: null }, clock);
  const r = await createAdminKey(server.running.store, { name: 'test reader', scope: 'read', ttlMs: null }, clock);
  const s = server as AdminTestServer;
  s.adminKey = a.key;
  s.adminKeyId = a.record.id;
  s.readKey = r.key;
  s.readKeyId = r.record.id;
  s.admin = (method, path, o = {}) => adminRequest(server.baseUrl, method, path, { ...o, key: o.key === undefined ? a.key : o.key });
  return s;
}

export async function adminRequest(baseUrl: string, method: string, path: string, opts: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<AdminAnswer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) { body = JSON.stringify(opts.body); headers['content-type'] ??= 'application/json'; }
  const res = await fetch(`${baseUrl}/admin/v1${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * Asserts an RFC 9457 problem: this status, application/problem+json, a stable urn:rollcall:problem:
 * type (this one when given), status repeated, a detail for people (matching `detail` when given),
 * and the offending field when `field` is given. Returns the body.
 */
export function expectProblem(res: AdminAnswer, status: number, want: { type?: string; field?: string; detail?: RegExp } = {}): ProblemBody {
  const shown = res.text.slice(0, 400);
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${shown}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, `a problem is application/problem+json: ${shown}`);
  assert.ok(res.body && typeof res.body === 'object', `the body is a JSON object: ${shown}`);
  const b = res.body as ProblemBody;
  assert.match(b.type, /^urn:rollcall:problem:[a-z-]+$/, shown);
  assert.equal(b.status, status);
  assert.equal(typeof b.title, 'string');
  assert.ok(typeof b.detail === 'string' && b.detail.trim().length > 10, `a detail says what is wrong: ${shown}`);
  if (want.type) assert.equal(b.type, `urn:rollcall:problem:${want.type}`, shown);
  if (want.field !== undefined) assert.equal(b.field, want.field, shown);
  if (want.detail) assert.match(b.detail, want.detail);
  return b;
}

/** A SCIM request with a bearer token, answered whole. */
export async function scim(url: string, token: string, method = 'GET', body?: unknown): Promise<AdminAnswer> {
  const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Walks a cursor-paged admin list to its end; returns every item and the number of pages. */
export async function allPages(server: AdminTestServer, path: string, limit: number, key?: string): Promise<{ items: Json[]; pages: number }> {
  const items: Json[] = [];
  let after: string | null = null;
  let pages = 0;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const res = await server.admin('GET', `${path}${sep}limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}`, { key });
    assert.equal(res.status, 200, res.text);
    const body = res.body as PageBody;
    assert.ok(Array.isArray(body.data) && body.data.length <= limit, 'a page holds at most limit items');
    items.push(...body.data);
    after = body.next;
    pages++;
    assert.ok(pages < 1000, 'paging ends');
  } while (after !== null);
  return { items, pages };
}

/** A tenant made through the admin API as the policy tests use it: its slug, SCIM base URL and a token. */
export interface ScimTenant { slug: string; scimUrl: string; token: string }
let tenantsMade = 0;

/** A new tenant through the admin API (slug from `prefix`), with a SCIM token and, when given, these policies set. */
export async function tenantWithPolicies(server: AdminTestServer, prefix: string, policies?: Record<string, unknown>): Promise<ScimTenant> {
  const slug = `${prefix}-${process.pid}-${++tenantsMade}`;
  assert.equal((await server.admin('POST', '/tenants', { body: { slug } })).status, 201);
  const tok = await server.admin('POST', `/tenants/${slug}/tokens`, { body: {} });
  assert.equal(tok.status, 201, tok.text);
  if (policies) {
    const set = await server.admin('PUT', `/tenants/${slug}/settings`, { body: { policies } });
    assert.equal(set.status, 200, set.text);
  }
  const issued = tok.body as { scimUrl: string; token: string };
  return { slug, scimUrl: issued.scimUrl, token: issued.token };
}
