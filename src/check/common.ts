// Building blocks the sequences share: create (and remember for the cleanup), read, look up by a
// filter, PATCH, delete.
import { body, expectStatus, fail, listOf, memberIds, SCIM, type Answer, type Json, type StepContext } from './step.ts';

export const q = (filter: string) => `filter=${encodeURIComponent(filter)}`;
export const eq = (attr: string, value: string) => q(`${attr} eq "${value.replace(/["\\]/g, (c) => `\\${c}`)}"`);

/** POSTs a resource; expects 201 with an id and a Location; remembers the id under `key`. */
export async function create(ctx: StepContext, endpoint: 'Users' | 'Groups', key: string, resource: Json, consequence: string): Promise<{ a: Answer; res: Json }> {
  const a = await ctx.send('POST', `/${endpoint}`, resource);
  expectStatus(a, 201, consequence);
  const res = body(a, consequence);
  if (typeof res.id !== 'string' || !res.id) fail(a, 'the new resource\'s "id" (a string) in the 201 body', consequence);
  ctx.state.created.add(`/${endpoint}/${res.id}`);
  ctx.state.ids.set(key, res.id);
  const location = a.header('location');
  if (!location) fail(a, 'a Location header with the new resource\'s URL (RFC 7644 §3.3)', consequence);
  if (!location.endsWith(`/${res.id}`)) fail(a, `the Location header to end with /${res.id}, got ${location}`, consequence);
  return { a, res };
}

export async function read(ctx: StepContext, path: string, consequence: string): Promise<{ a: Answer; res: Json }> {
  const a = await ctx.send('GET', path);
  expectStatus(a, 200, consequence);
  return { a, res: body(a, consequence) };
}

/** GET endpoint?filter=… and expect exactly `ids` (order aside). */
export async function lookup(ctx: StepContext, endpoint: string, query: string, ids: string[], consequence: string): Promise<{ a: Answer; resources: Json[] }> {
  const a = await ctx.send('GET', `/${endpoint}?${query}`);
  expectStatus(a, 200, consequence);
  const list = listOf(a, consequence);
  const got = list.resources.map((r) => String(r.id)).sort();
  if (list.total !== ids.length) fail(a, `totalResults ${ids.length}${ids.length ? ` (${ids.join(', ')})` : ''}, got ${list.total}`, consequence);
  if (JSON.stringify(got) !== JSON.stringify([...ids].sort())) fail(a, `Resources to be ${ids.length ? ids.join(', ') : 'empty'}, got ${got.length ? got.join(', ') : 'none'}`, consequence);
  return { a, resources: list.resources };
}

export async function patch(ctx: StepContext, path: string, operations: Json[], consequence: string, opts: { schemasFirst?: boolean } = {}): Promise<Answer> {
  const msg = opts.schemasFirst === false ? { Operations: operations, schemas: [SCIM.patchOp] } : { schemas: [SCIM.patchOp], Operations: operations };
  const a = await ctx.send('PATCH', path, msg);
  expectStatus(a, [200, 204], consequence);
  return a;
}

export async function remove(ctx: StepContext, path: string, consequence: string): Promise<void> {
  const a = await ctx.send('DELETE', path);
  expectStatus(a, 204, consequence);
  ctx.state.created.delete(path);
  const gone = await ctx.send('GET', path);
  expectStatus(gone, 404, consequence);
}

/** A user body in the shape an IdP sends, with this run's unique userName. */
export function userBody(ctx: StepContext, label: string, extra: Json = {}): Json {
  const userName = `${ctx.name(label)}@example.test`;
  return {
    schemas: [SCIM.user],
    userName,
    name: { givenName: label, familyName: 'Check' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: `${label} Check`,
    active: true,
    ...extra,
  };
}

/** GET the group and expect exactly these members; the failure names the ones still there and the ones missing. */
export async function expectMembers(ctx: StepContext, gid: string, want: string[], c: string): Promise<void> {
  const { a, res } = await read(ctx, `/Groups/${gid}`, c);
  const got = memberIds(res);
  const extra = got.filter((id) => !want.includes(id));
  const missing = want.filter((id) => !got.includes(id));
  if (extra.length || missing.length) {
    const parts = [extra.length ? `still there: ${extra.join(', ')}` : '', missing.length ? `missing: ${missing.join(', ')}` : ''].filter(Boolean);
    fail(a, `members to be ${want.length ? want.join(', ') : 'none'} (${parts.join('; ')})`, c);
  }
}
