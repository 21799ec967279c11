// Replays recorded IdP request sequences (Okta, Microsoft Entra ID) against the real server.
// Each JSON file in ./transcripts is one test, run on its own fresh tenant.
// The file format and the matching rules are documented in ./README.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { startTestServer } from '../support/server.ts';
import { ERROR_SCHEMA as ERROR_URN } from '../../src/scim/errors.ts';
import { requireTenant } from '../../src/provisioning/tenants/tenants.ts';
import { replaceSettings } from '../../src/provisioning/tenants/settings.ts';

type HeaderMap = Record<string, string | null>;
interface Step {
  name: string;
  request: { method: string; path: string; headers?: HeaderMap; body?: unknown };
  expect: { status: number | number[]; headers?: Record<string, string>; body?: unknown };
  capture?: Record<string, string | string[]>;
}
interface Transcript {
  name: string;
  idp: 'okta' | 'entra' | 'generic';
  source: string;
  notes?: string;
  vars?: Record<string, string>;
  /** Tenant settings (custom schemas, PATCH response mode) set before the first step. */
  settings?: unknown;
  defaults?: { headers?: HeaderMap; bodyHeaders?: HeaderMap };
  steps: Step[];
}

const SCIM_JSON = 'application/scim+json';

// ---------------------------------------------------------------- matcher
const OPS = new Set(['$length', '$contains', '$each', '$none', '$oneOf', '$substr']);
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));

/** Returns null when `act` satisfies `exp`, else a one-line reason naming the JSON path. */
function match(exp: unknown, act: unknown, at: string): string | null {
  if (typeof exp === 'string' && exp.startsWith('$')) {
    const present = act !== undefined && act !== null;
    switch (exp) {
      case '$any': return present ? null : `${at}: expected a value, got ${show(act)}`;
      case '$absent': return present ? `${at}: expected no value, got ${show(act)}` : null;
      case '$string': return typeof act === 'string' && act.length > 0 ? null : `${at}: expected a non-empty string, got ${show(act)}`;
      case '$int': return Number.isInteger(act) ? null : `${at}: expected an integer, got ${show(act)}`;
      case '$bool': return typeof act === 'boolean' ? null : `${at}: expected a boolean, got ${show(act)}`;
    }
  }
  if (Array.isArray(exp)) return matchContains(exp, act, at);
  if (isObj(exp)) {
    const keys = Object.keys(exp);
    if (keys.length > 0 && keys.every((k) => OPS.has(k))) return matchOps(exp, act, at);
    if (!isObj(act)) return `${at}: expected an object, got ${show(act)}`;
    for (const k of keys) {
      const why = match(exp[k], act[k], `${at}.${k}`);
      if (why) return why;
    }
    return null;
  }
  return exp === act ? null : `${at}: expected ${show(exp)}, got ${show(act)}`;
}

/** Every expected element must match a distinct actual element (order ignored). */
function matchContains(exp: unknown[], act: unknown, at: string): string | null {
  if (!Array.isArray(act)) return `${at}: expected an array, got ${show(act)}`;
  for (const e of exp) {
    if (!act.some((a) => match(e, a, '') === null)) return `${at}: no element matches ${show(e)}`;
  }
  const used = new Set<number>();
  const assign = (i: number): boolean => {
    if (i === exp.length) return true;
    for (let j = 0; j < act.length; j++) {
      if (used.has(j) || match(exp[i], act[j], '') !== null) continue;
      used.add(j);
      if (assign(i + 1)) return true;
      used.delete(j);
    }
    return false;
  };
  return assign(0) ? null : `${at}: expected elements cannot each match a different actual element`;
}

function matchOps(exp: Record<string, unknown>, act: unknown, at: string): string | null {
  for (const [op, arg] of Object.entries(exp)) {
    let why: string | null = null;
    if (op === '$length') {
      const len = Array.isArray(act) || typeof act === 'string' ? act.length : undefined;
      why = len === arg ? null : `${at}: expected length ${show(arg)}, got ${len === undefined ? show(act) : len}`;
    } else if (op === '$contains') {
      why = matchContains(arg as unknown[], act, at);
    } else if (op === '$each') {
      if (!Array.isArray(act)) why = `${at}: expected an array, got ${show(act)}`;
      else for (let i = 0; i < act.length && !why; i++) why = match(arg, act[i], `${at}[${i}]`);
    } else if (op === '$none') {
      const list = act === undefined || act === null ? [] : act;
      if (!Array.isArray(list)) why = `${at}: expected an array, got ${show(act)}`;
      else if (list.some((a) => match(arg, a, '') === null)) why = `${at}: an element unexpectedly matches ${show(arg)}`;
    } else if (op === '$oneOf') {
      const reasons = (arg as unknown[]).map((alt) => match(alt, act, at));
      why = reasons.includes(null) ? null : `${at}: no alternative matched (${reasons.join(' | ')})`;
    } else if (op === '$substr') {
      why = typeof act === 'string' && act.includes(String(arg)) ? null : `${at}: expected a string containing ${show(arg)}, got ${show(act)}`;
    }
    if (why) return why;
  }
  return null;
}

/** Path of the first key named `name` anywhere in `v`, or null. */
function findKey(v: unknown, name: string, at = '$'): string | null {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) { const p = findKey(v[i], name, `${at}[${i}]`); if (p) return p; }
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k.toLowerCase() === name) return `${at}.${k}`;
      const p = findKey(x, name, `${at}.${k}`);
      if (p) return p;
    }
  }
  return null;
}
// ---------------------------------------------------------------- variables
const PLACEHOLDER = /\{\{\s*([$\w.-]+)((?:\|\w+)*)\s*\}\}/g;
const FILTERS: Record<string, (s: string) => string> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  urlencode: (s) => encodeURIComponent(s),
};

/** Value of {{name|filter|...}}; $uuid is a fresh random UUID at every use. */
function lookup(vars: Record<string, unknown>, name: string, filters = ''): unknown {
  const v = name === '$uuid' ? randomUUID() : vars[name];
  if (v === undefined) throw new Error(`unknown variable {{${name}}}`);
  return filters.split('|').filter(Boolean).reduce<unknown>((acc, f) => {
    if (!FILTERS[f]) throw new Error(`unknown filter |${f} in {{${name}${filters}}}`);
    return FILTERS[f](String(acc));
  }, v);
}

/** Replaces {{var}} in every string (and object key). A string that is exactly one placeholder takes the raw captured value. */
function subst(v: unknown, vars: Record<string, unknown>): unknown {
  if (typeof v === 'string') {
    const whole = /^\{\{\s*([$\w.-]+)((?:\|\w+)*)\s*\}\}$/.exec(v);
    if (whole) return lookup(vars, whole[1], whole[2]);
    return v.replace(PLACEHOLDER, (_m, n: string, f?: string) => String(lookup(vars, n, f)));
  }
  if (Array.isArray(v)) return v.map((x) => subst(x, vars));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [String(subst(k, vars)), subst(x, vars)]));
  return v;
}

function getPath(body: unknown, path: string | string[]): unknown {
  const parts = Array.isArray(path) ? path : path.split('.');
  return parts.reduce<unknown>((cur, p) => (Array.isArray(cur) ? cur[Number(p)] : isObj(cur) ? cur[p] : undefined), body);
}

const lowerKeys = (h: HeaderMap | undefined): HeaderMap =>
  Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
// ---------------------------------------------------------------- runner
let server: Awaited<ReturnType<typeof startTestServer>>;
before(async () => { server = await startTestServer(); });
after(async () => { await server?.close(); });

const dir = new URL('./transcripts/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('transcript directory is not empty', () => {
  assert.ok(files.length > 0, `no transcripts found in ${dir.pathname}`);
});

for (const file of files) {
  test(`transcript ${file}`, async () => {
    const t = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Transcript;
    assert.ok(t.name && t.source && Array.isArray(t.steps) && t.steps.length > 0, `${file}: needs name, source and steps`);
    assert.ok(['okta', 'entra', 'generic'].includes(t.idp), `${file}: idp must be okta, entra or generic`);
    const run = randomBytes(4).toString('hex');
    const slug = `t-${file.replace(/\.json$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 20).replace(/-+$/, '')}-${run}`;
    const tenant = await server.createTenant(slug);
    if (t.settings !== undefined) await replaceSettings(server.running.store, await requireTenant(server.running.store, slug), t.settings);
    const vars: Record<string, unknown> = { $run: run, $base: tenant.scimUrl };
    for (const [k, v] of Object.entries(t.vars ?? {})) vars[k] = subst(v, vars);

    for (const [i, step] of t.steps.entries()) {
      const method = step.request.method.toUpperCase();
      const path = String(subst(step.request.path, vars));
      const hasBody = step.request.body !== undefined;
      const merged: HeaderMap = {
        authorization: `Bearer ${tenant.token}`,
        ...(hasBody ? { 'content-type': SCIM_JSON } : {}),
        ...lowerKeys(t.defaults?.headers),
        ...(hasBody ? lowerKeys(t.defaults?.bodyHeaders) : {}),
        ...lowerKeys(step.request.headers),
      };
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(merged)) if (v !== null) headers[k] = String(subst(v, vars));
      // A Buffer body keeps fetch from inventing a Content-Type when the transcript sends none.
      const body = hasBody ? Buffer.from(JSON.stringify(subst(step.request.body, vars))) : undefined;

      const res = await fetch(tenant.scimUrl + path, { method, headers, body });
      const text = await res.text();
      let json: unknown;
      if (text.length > 0) { try { json = JSON.parse(text); } catch { json = text; } }

      const fail = (why: string): never => {
        const shown = JSON.stringify(json, null, 2) ?? '(empty)';
        assert.fail(
          `[${t.idp}] ${t.name} (${file})\n  step ${i + 1}/${t.steps.length} "${step.name}"\n` +
          `  request: ${method} ${path}\n  problem: ${why}\n  actual status: ${res.status}\n` +
          `  actual content-type: ${res.headers.get('content-type')}\n` +
          `  actual body: ${shown.length > 6000 ? shown.slice(0, 6000) + '\n  …(truncated)' : shown}`,
        );
      };

      const want = Array.isArray(step.expect.status) ? step.expect.status : [step.expect.status];
      if (!want.includes(res.status)) fail(`expected status ${want.join(' or ')}`);

      for (const [name, path_] of Object.entries(step.capture ?? {})) {
        const value = typeof path_ === 'string' && path_.startsWith('header:')
          ? res.headers.get(path_.slice('header:'.length))
          : getPath(json, path_);
        if (value === undefined || value === null) fail(`capture "${name}" found nothing at ${show(path_)}`);
        vars[name] = value;
      }

      const expHeaders = lowerKeys(subst(step.expect.headers ?? {}, vars) as HeaderMap);
      if (text.length > 0 && !('content-type' in expHeaders)) expHeaders['content-type'] = SCIM_JSON;
      for (const [name, exp] of Object.entries(expHeaders)) {
        const actual = res.headers.get(name);
        if (exp === '$absent') { if (actual !== null) fail(`header ${name} should be absent, got "${actual}"`); continue; }
        if (actual === null) fail(`header ${name} is missing`);
        if (exp !== '$any' && !actual!.toLowerCase().includes(String(exp).toLowerCase())) fail(`header ${name} should contain "${exp}", got "${actual}"`);
      }

      const leaked = findKey(json, 'password');
      if (leaked) fail(`a password attribute was returned at ${leaked}`);
      if (res.status >= 400) {
        const why = match({ schemas: [ERROR_URN], status: String(res.status) }, json, 'body');
        if (why) fail(`error responses need a SCIM error body with status as a string: ${why}`);
      }

      if (step.expect.body !== undefined) {
        const why = match(subst(step.expect.body, vars), json, 'body');
        if (why) fail(why);
      }
    }
  });
}
