// A tiny, real, in-memory SCIM 2.0 server for test/cli/check.test.ts: with no defect it answers what
// `rollcall check` replays the way a correct server does; each planted defect breaks one behaviour
// the way real SCIM servers get it wrong, so the test can see that the right step reports it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export const DEFECTS = [
  'filter-ignored', // list endpoints return everything whatever the filter says
  'replace-refused', // PATCH ops must be lower-case: "Replace" is a 400
  'false-string', // "active": "False" is stored as the string it is
  'created-without-id', // 201 without a Location header and without the id in the body
  'error-body', // a 404 answers text/plain "Not Found", not a SCIM error
  'member-remove-by-value-ignored', // {"op":"remove","path":"members","value":[…]} changes nothing
  'total-results-page', // totalResults counts the page, not all matches
  'duplicate-allowed', // a second user with the same userName is created
  'excluded-members-ignored', // excludedAttributes=members is ignored
  'username-case-sensitive', // userName eq compares case-sensitively
  'etag-ignored', // advertises ETags, sends none
] as const;
export type Defect = typeof DEFECTS[number];

type Json = Record<string, unknown>;
const EXT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

export interface BrokenScimServer { url: string; token: string; close(): Promise<void>; count(): { users: number; groups: number } }

class ScimError extends Error { constructor(readonly status: number, readonly scimType?: string, detail = 'error') { super(detail); } }

export async function startBrokenScimServer(defect?: Defect): Promise<BrokenScimServer> {
  const token = `broken-${randomUUID()}`;
  const store = { Users: new Map<string, Json>(), Groups: new Map<string, Json>() };
  const has = (d: Defect) => defect === d;
  let base = '';

  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (c: string) => { raw += c; }).on('end', () => {
      try { handle(req, res, raw); } catch (err) {
        if (err instanceof ScimError) {
          if (err.status === 404 && has('error-body')) { res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found'); return; }
          send(res, err.status, { schemas: [ERROR], status: String(err.status), ...(err.scimType ? { scimType: err.scimType } : {}), detail: err.message });
        } else send(res, 500, { schemas: [ERROR], status: '500', detail: String(err) });
      }
    });
  });

  function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }), ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  }

  const etag = (r: Json) => String((r.meta as Json).version);
  const version = (n: number) => `W/"${n}"`;
  function out(r: Json, q: URLSearchParams): Json {
    const copy: Json = structuredClone(r);
    delete copy.password;
    if (q.get('excludedAttributes')?.toLowerCase() === 'members' && !has('excluded-members-ignored')) delete copy.members;
    return copy;
  }
  function resourceHeaders(r: Json): Record<string, string> { return has('etag-ignored') ? {} : { etag: etag(r) }; }

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    if (req.headers.authorization !== `Bearer ${token}`) throw new ScimError(401, undefined, 'bad token');
    const url = new URL(req.url ?? '/', base);
    const parts = url.pathname.replace(/^\/scim\/v2/, '').split('/').filter(Boolean);
    const q = url.searchParams;
    const body = raw ? JSON.parse(raw) as Json : {};
    const [endpoint, id] = parts;
    if (endpoint === 'ServiceProviderConfig') {
      send(res, 200, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'], patch: { supported: true }, bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 }, filter: { supported: true, maxResults: 100 }, changePassword: { supported: false }, sort: { supported: false }, etag: { supported: true }, authenticationSchemes: [] });
      return;
    }
    if (endpoint === 'ResourceTypes') {
      send(res, 200, { schemas: [LIST], totalResults: 2, Resources: [{ id: 'User', name: 'User', endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' }, { id: 'Group', name: 'Group', endpoint: '/Groups', schema: 'urn:ietf:params:scim:schemas:core:2.0:Group' }] });
      return;
    }
    if (endpoint === 'Schemas') {
      send(res, 200, { schemas: [LIST], totalResults: 1, Resources: [{ id: 'urn:ietf:params:scim:schemas:core:2.0:User', name: 'User', attributes: [{ name: 'userName', type: 'string' }] }] });
      return;
    }
    if (endpoint !== 'Users' && endpoint !== 'Groups') throw new ScimError(404, undefined, 'no such endpoint');
    const map = store[endpoint];
    if (id === undefined && req.method === 'GET') { list(res, endpoint, q); return; }
    if (id === undefined && req.method === 'POST') {
      const r = clean(body);
      if (endpoint === 'Users') {
        if (typeof r.userName !== 'string') throw new ScimError(400, 'invalidValue', 'userName is required');
        if (!has('duplicate-allowed') && [...map.values()].some((u) => String(u.userName).toLowerCase() === String(r.userName).toLowerCase())) throw new ScimError(409, 'uniqueness', 'userName taken');
      }
      coerce(r);
      const newId = randomUUID();
      const location = `${base}/scim/v2/${endpoint}/${newId}`;
      const stored: Json = { ...r, id: newId, meta: { resourceType: endpoint.slice(0, -1), location, version: version(1) } };
      map.set(newId, stored);
      if (has('created-without-id')) { const shown = out(stored, q); delete shown.id; send(res, 201, shown); return; }
      send(res, 201, out(stored, q), { location, ...resourceHeaders(stored) });
      return;
    }
    const current = id === undefined ? undefined : map.get(id);
    if (!current || id === undefined) throw new ScimError(404, undefined, 'not found');
    const meta = current.meta as Json;
    const ifMatch = req.headers['if-match'];
    if (ifMatch && ifMatch !== etag(current)) throw new ScimError(412, undefined, 'version mismatch');
    const bump = (r: Json) => { r.meta = { ...meta, version: version(Number(String(meta.version).replace(/\D/g, '')) + 1) }; };
    switch (req.method) {
      case 'GET':
        if (req.headers['if-none-match'] === etag(current) && !has('etag-ignored')) { res.writeHead(304).end(); return; }
        send(res, 200, out(current, q), resourceHeaders(current));
        return;
      case 'PUT': {
        const r = clean(body);
        coerce(r);
        const next: Json = { ...r, id, meta };
        bump(next);
        map.set(id, next);
        send(res, 200, out(next, q), resourceHeaders(next));
        return;
      }
      case 'PATCH': {
        const next = structuredClone(current);
        for (const op of (body.Operations ?? []) as Json[]) applyOp(next, op);
        coerce(next);
        bump(next);
        map.set(id, next);
        if (endpoint === 'Groups') { res.writeHead(204).end(); return; }
        send(res, 200, out(next, q), resourceHeaders(next));
        return;
      }
      case 'DELETE':
        map.delete(id);
        if (endpoint === 'Users') for (const g of store.Groups.values()) g.members = ((g.members ?? []) as Json[]).filter((m) => m.value !== id);
        res.writeHead(204).end();
        return;
      default: throw new ScimError(405, undefined, 'method not allowed');
    }
  }

  function clean(body: Json): Json {
    const r: Json = {};
    for (const [k, v] of Object.entries(body)) if (!['id', 'meta', 'groups'].includes(k)) r[k] = structuredClone(v);
    return r;
  }

  function coerce(r: Json): void {
    if (typeof r.active === 'string' && !has('false-string')) r.active = r.active.toLowerCase() === 'true';
    const ext = r[EXT] as Json | undefined;
    if (ext && ext.manager !== undefined) {
      let m: unknown = ext.manager;
      if (Array.isArray(m)) m = (m as unknown[])[0];
      if (typeof m === 'string') m = { value: m };
      if (m === null || m === undefined) delete ext.manager; else ext.manager = { value: (m as Json).value };
    }
  }

  function list(res: ServerResponse, endpoint: 'Users' | 'Groups', q: URLSearchParams): void {
    let all = [...store[endpoint].values()];
    const filter = q.get('filter');
    if (filter !== null && !has('filter-ignored')) {
      const test = parseFilter(filter);
      all = all.filter(test);
    }
    const start = Math.max(1, Number(q.get('startIndex') ?? 1));
    const count = Math.min(100, Math.max(0, Number(q.get('count') ?? 100)));
    const page = all.slice(start - 1, start - 1 + count);
    send(res, 200, { schemas: [LIST], totalResults: has('total-results-page') ? page.length : all.length, startIndex: start, itemsPerPage: page.length, Resources: page.map((r) => out(r, q)) });
  }

  /** `attr op "value"` joined by `and`; op eq or sw; anything else is invalidFilter. */
  function parseFilter(filter: string): (r: Json) => boolean {
    const clauses = filter.split(/\s+and\s+/i).map((c) => {
      const m = c.trim().match(/^(\w+)\s+(eq|sw)\s+(?:"((?:[^"\\]|\\.)*)"|(true|false))$/i);
      if (!m) throw new ScimError(400, 'invalidFilter', `cannot parse filter ${filter}`);
      const [, attr, op, str, bool] = m;
      return (r: Json) => {
        const got = Object.entries(r).find(([k]) => k.toLowerCase() === attr.toLowerCase())?.[1];
        if (bool !== undefined) return got === (bool === 'true');
        if (typeof got !== 'string') return false;
        const ci = ['username', 'displayname'].includes(attr.toLowerCase()) && !(attr.toLowerCase() === 'username' && has('username-case-sensitive'));
        const [a, b] = ci ? [got.toLowerCase(), str.toLowerCase()] : [got, str];
        return op.toLowerCase() === 'eq' ? a === b : a.startsWith(b);
      };
    });
    return (r) => clauses.every((t) => t(r));
  }

  function applyOp(r: Json, operation: Json): void {
    const rawOp = String(operation.op);
    if (has('replace-refused') && rawOp !== rawOp.toLowerCase()) throw new ScimError(400, 'invalidSyntax', `unknown op ${rawOp}`);
    const op = rawOp.toLowerCase();
    const path = operation.path as string | undefined;
    const value = operation.value;
    if (path === undefined) {
      for (const [k, v] of Object.entries(value as Json)) {
        if (k === 'id') continue;
        if (k === EXT) { r[EXT] = { ...(r[EXT] as Json | undefined), ...(v as Json) }; continue; }
        setPath(r, k, v, op);
      }
      return;
    }
    setPath(r, path, value, op);
  }

  function setPath(r: Json, path: string, value: unknown, op: string): void {
    const members = path.match(/^members(?:\[value eq "([^"]+)"\])?$/i);
    if (members) {
      const list = (r.members ?? []) as Json[];
      if (op === 'remove') {
        if (members[1]) r.members = list.filter((m) => m.value !== members[1]);
        else if (Array.isArray(value)) { if (!has('member-remove-by-value-ignored')) { const gone = new Set(value.map((v) => (v as Json).value)); r.members = list.filter((m) => !gone.has(m.value)); } }
        else r.members = [];
        return;
      }
      const incoming = (Array.isArray(value) ? value : [value]).map((v) => ({ value: (v as Json).value }));
      if (op === 'replace') { r.members = incoming; return; }
      r.members = [...list, ...incoming.filter((m) => !list.some((x) => x.value === m.value))];
      return;
    }
    const typedPath = path.match(/^(\w+)\[type eq "(\w+)"\]\.(\w+)$/);
    if (typedPath) {
      const [, attr, type, sub] = typedPath;
      const list = (r[attr] ?? []) as Json[];
      let item = list.find((e) => e.type === type);
      if (!item) { item = { type }; list.push(item); }
      item[sub] = value;
      r[attr] = list;
      return;
    }
    let target = r;
    let key = path;
    if (path.toLowerCase() === 'manager') path = `${EXT}:manager`;
    if (path.startsWith(`${EXT}:`)) {
      target = (r[EXT] ?? (r[EXT] = {})) as Json;
      key = path.slice(EXT.length + 1);
    }
    const dotted = key.split('.');
    for (const part of dotted.slice(0, -1)) target = (target[part] ?? (target[part] = {})) as Json;
    const last = dotted[dotted.length - 1];
    if (op === 'remove') delete target[last];
    else target[last] = structuredClone(value);
  }

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/scim/v2`,
    token,
    count: () => ({ users: store.Users.size, groups: store.Groups.size }),
    close: () => new Promise<void>((done) => { server.closeAllConnections(); server.close(() => done()); }),
  };
}
