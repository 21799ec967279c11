// RFC 7643/7644 basics every SCIM client leans on: discovery, the error format, uniqueness,
// paging, filters, ETags (when advertised) and delete.
import { randomUUID } from 'node:crypto';
import { create, eq, lookup, q, read, remove, userBody } from './common.ts';
import { body, expectScimError, expectStatus, fail, listOf, SCIM, Skip, type Json, type Sequence } from './step.ts';

const DISCOVERY = 'clients that read the discovery documents (attribute-mapping editors, generic SCIM clients) cannot configure themselves and fall back to guesses';

/** The entries of a discovery listing, whether it came as a ListResponse or a bare array. */
function entries(json: unknown): Json[] {
  if (Array.isArray(json)) return json as Json[];
  const r = (json as Json | undefined)?.Resources;
  return Array.isArray(r) ? r as Json[] : [];
}

export const rfcSequence: Sequence = {
  id: 'rfc',
  title: 'RFC 7643/7644 basics',
  steps: [
    {
      id: 'discovery.service-provider-config',
      title: 'GET /ServiceProviderConfig says what the server supports',
      async run(ctx) {
        const { a, res } = await read(ctx, '/ServiceProviderConfig', DISCOVERY);
        if (!Array.isArray(res.schemas) || !res.schemas.includes(SCIM.spc)) fail(a, `"schemas": ["${SCIM.spc}"]`, DISCOVERY);
        for (const k of ['patch', 'filter', 'etag', 'bulk', 'sort', 'changePassword']) {
          const v = res[k] as Json | undefined;
          if (!v || typeof v.supported !== 'boolean') fail(a, `"${k}": { "supported": true|false } (RFC 7643 §5)`, DISCOVERY);
        }
        ctx.state.spc = res;
      },
    },
    {
      id: 'discovery.resource-types',
      title: 'GET /ResourceTypes lists User (and Group)',
      async run(ctx) {
        const a = await ctx.send('GET', '/ResourceTypes');
        expectStatus(a, 200, DISCOVERY);
        const list = entries(a.exchange.response?.json);
        const user = list.find((r) => r.schema === SCIM.user);
        if (!user || typeof user.endpoint !== 'string' || !/^\/?Users$/i.test(user.endpoint)) fail(a, `a resource type with "schema": "${SCIM.user}" and "endpoint": "/Users"`, DISCOVERY);
      },
    },
    {
      id: 'discovery.schemas',
      title: 'GET /Schemas describes the User schema',
      async run(ctx) {
        const a = await ctx.send('GET', '/Schemas');
        expectStatus(a, 200, DISCOVERY);
        const user = entries(a.exchange.response?.json).find((s) => s.id === SCIM.user);
        if (!user || !Array.isArray(user.attributes)) fail(a, `a schema with "id": "${SCIM.user}" and its "attributes"`, DISCOVERY);
      },
    },
    {
      id: 'errors.not-found',
      title: 'an unknown id is a 404 with a SCIM error body',
      async run(ctx) {
        const a = await ctx.send('GET', `/Users/${randomUUID()}`);
        expectScimError(a, 404, undefined, 'Okta\'s SPEC test fails "Test invalid User by ID"; Entra cannot tell a deleted user from a failure and retries until it quarantines the app');
      },
    },
    {
      id: 'errors.invalid-filter',
      title: 'a filter that does not parse is a 400 invalidFilter',
      async run(ctx) {
        const a = await ctx.send('GET', `/Users?${q('userName eq')}`);
        expectScimError(a, 400, 'invalidFilter', 'an IdP cannot tell a filter the server did not understand from "no such user": it would create a duplicate, or link the wrong account');
      },
    },
    {
      id: 'users.create',
      title: 'POST /Users answers 201 with the id and a Location',
      async run(ctx) {
        const c = 'every IdP marks the user\'s provisioning as failed and retries it';
        const { a, res } = await create(ctx, 'Users', 'rfc.a', userBody(ctx, 'rfc-a', { externalId: `ext-${ctx.state.runId}-a` }), c);
        const want = `${ctx.name('rfc-a')}@example.test`;
        if (res.userName !== want) fail(a, `"userName": "${want}" in the answer`, c);
        const meta = res.meta as Json | undefined;
        if (!meta || typeof meta.location !== 'string') fail(a, '"meta.location" in the answer (RFC 7643 §3.1)', c);
      },
    },
    {
      id: 'users.create-duplicate',
      title: 'a second POST with the same userName is a 409 uniqueness',
      needs: ['rfc.a'],
      async run(ctx) {
        const a = await ctx.send('POST', '/Users', userBody(ctx, 'rfc-a'));
        if (a.status === 201 && a.json && typeof a.json.id === 'string') ctx.state.created.add(`/Users/${a.json.id}`);
        expectScimError(a, 409, 'uniqueness', 'Okta and Entra would end up with two accounts in the app for one person (a duplicate user)');
      },
    },
    {
      id: 'users.paging',
      title: 'paging with startIndex and count: totalResults, page sizes, no repeats',
      needs: ['rfc.a'],
      async run(ctx) {
        const c = 'an importing IdP would miss users or read some twice; users it misses are created again (duplicates)';
        await create(ctx, 'Users', 'rfc.b', userBody(ctx, 'rfc-b'), c);
        await create(ctx, 'Users', 'rfc.c', userBody(ctx, 'rfc-c'), c);
        const filter = q(`userName sw "${ctx.name('rfc-')}"`);
        const seen = new Set<string>();
        for (const [start, size] of [[1, 2], [3, 1]] as const) {
          const a = await ctx.send('GET', `/Users?${filter}&startIndex=${start}&count=2`);
          expectStatus(a, 200, c);
          const list = listOf(a, c);
          if (list.total !== 3) fail(a, `totalResults 3 (all the matches, not just this page's), got ${list.total}`, c);
          if (list.resources.length !== size) fail(a, `${size} resource(s) on the page starting at ${start} with count=2, got ${list.resources.length}`, c);
          if (list.startIndex !== undefined && list.startIndex !== start) fail(a, `startIndex ${start}, got ${list.startIndex}`, c);
          for (const r of list.resources) {
            if (seen.has(String(r.id))) fail(a, `no resource on two pages (${String(r.id)} came again)`, c);
            seen.add(String(r.id));
          }
        }
        const ids = ['rfc.a', 'rfc.b', 'rfc.c'].map((k) => ctx.id(k));
        if (!ids.every((id) => seen.has(id))) fail(undefined, `the pages to hold ${ids.join(', ')}, got ${[...seen].join(', ')}`, c);
        const past = await ctx.send('GET', `/Users?${filter}&startIndex=10&count=2`);
        expectStatus(past, 200, c);
        if (listOf(past, c).resources.length !== 0) fail(past, 'an empty page past the end', c);
      },
    },
    {
      id: 'users.filters',
      title: 'filters: userName in another case, externalId, and',
      needs: ['rfc.a'],
      async run(ctx) {
        const c = 'an IdP that looks users up by a filter would not find them: it creates a duplicate (then gets a 409), or links the wrong account';
        const id = ctx.id('rfc.a');
        const userName = `${ctx.name('rfc-a')}@example.test`;
        await lookup(ctx, 'Users', eq('userName', userName.toUpperCase()), [id], `${c} (userName is not case-sensitive, RFC 7643 §4.1.1)`);
        await lookup(ctx, 'Users', eq('externalId', `ext-${ctx.state.runId}-a`), [id], c);
        await lookup(ctx, 'Users', q(`userName eq "${userName}" and active eq true`), [id], c);
        await lookup(ctx, 'Users', eq('userName', `${ctx.name('rfc-nobody')}@example.test`), [], c);
      },
    },
    {
      id: 'users.etags',
      title: 'ETags (when advertised): ETag header, 304 on If-None-Match, 412 on a stale If-Match',
      needs: ['rfc.a'],
      async run(ctx) {
        const etag = ctx.state.spc?.etag as Json | undefined;
        if (etag?.supported !== true) throw new Skip('the server does not advertise ETags ("etag": { "supported": false })');
        const c = 'a client relying on the advertised ETags would overwrite changes made in between, or re-read everything';
        const path = `/Users/${ctx.id('rfc.a')}`;
        const { a, res } = await read(ctx, path, c);
        const tag = a.header('etag');
        if (!tag) fail(a, 'an ETag header (the server advertises "etag": { "supported": true })', c);
        const version = (res.meta as Json | undefined)?.version;
        if (version !== undefined && version !== tag) fail(a, `meta.version equal to the ETag header ${tag}, got ${JSON.stringify(version)}`, c);
        const again = await ctx.send('GET', path, undefined, { 'if-none-match': tag });
        expectStatus(again, 304, c);
        const stale = await ctx.send('PATCH', path, { schemas: [SCIM.patchOp], Operations: [{ op: 'replace', path: 'displayName', value: 'stale' }] }, { 'if-match': 'W/"rollcall-check-stale"' });
        expectScimError(stale, 412, undefined, c);
      },
    },
    {
      id: 'users.delete',
      title: 'DELETE /Users/{id} answers 204, then the id is a 404',
      needs: ['rfc.a'],
      async run(ctx) {
        const c = 'Entra retries the delete on every cycle; the account stays in the app';
        for (const k of ['rfc.a', 'rfc.b', 'rfc.c']) if (ctx.state.ids.has(k)) await remove(ctx, `/Users/${ctx.id(k)}`, c);
        const after = await ctx.send('GET', `/Users?${eq('userName', `${ctx.name('rfc-a')}@example.test`)}`);
        expectStatus(after, 200, c);
        if (listOf(after, c).total !== 0) fail(after, 'a deleted user no longer found by userName', c);
        body(after, c);
      },
    },
  ],
};
