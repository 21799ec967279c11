// What Okta sends (test/conformance/transcripts/okta-*.json; Okta's SCIM 2.0 reference and its
// SPEC test): connection test, import by paging, create after a userName lookup, update by PUT and
// PATCH, deactivate and reactivate, group push (create, link by lookup, members, rename), unlink.
import { create, eq, expectMembers, lookup, patch, read, remove, userBody } from './common.ts';
import { expectScimError, expectStatus, expectValue, fail, listOf, SCIM, type Json, type Sequence, type StepContext } from './step.ts';

const q100 = '&startIndex=1&count=100';
const oktaUser = (ctx: StepContext, label: string, extra: Json = {}) => userBody(ctx, label, { locale: 'en-US', groups: [], password: 'Chk-9x!pass', ...extra });

async function activeIs(ctx: StepContext, id: string, want: boolean, c: string): Promise<void> {
  const { a, res } = await read(ctx, `/Users/${id}`, c);
  expectValue(a, res, 'active', want, c);
}


export const oktaSequence: Sequence = {
  id: 'okta',
  title: 'Okta',
  steps: [
    {
      id: 'connection-test',
      title: 'Test API Credentials: GET /Users?startIndex=1&count=1',
      async run(ctx) {
        const c = 'Okta\'s "Test API Credentials" fails: provisioning cannot be turned on';
        const a = await ctx.send('GET', '/Users?startIndex=1&count=1');
        expectStatus(a, 200, c);
        const list = listOf(a, c);
        if (list.resources.length > 1) fail(a, `at most 1 resource for count=1, got ${list.resources.length}`, c);
        const first = list.resources[0];
        if (first && (typeof first.id !== 'string' || typeof first.userName !== 'string')) fail(a, 'each user listed with its "id" and "userName" (strings)', c);
      },
    },
    {
      id: 'import.prepare',
      title: 'prepare: three users already in the app',
      async run(ctx) {
        for (const n of [1, 2, 3]) await create(ctx, 'Users', `okta.imp${n}`, oktaUser(ctx, `okta-imp${n}`), 'Okta cannot provision users');
      },
    },
    {
      id: 'import.paging',
      title: 'import users page by page (startIndex, count, totalResults)',
      needs: ['okta.imp3'],
      async run(ctx) {
        const c = 'Okta\'s import would stop early, loop, or read users twice; users it misses are created again when assigned (duplicates)';
        const first = await ctx.send('GET', '/Users?startIndex=1&count=1');
        expectStatus(first, 200, c);
        const total = listOf(first, c).total;
        if (total < 3) fail(first, `totalResults counting every user (at least the 3 just created), not the ${total} on this page`, c);
        const count = total <= 60 ? 2 : 100;
        const seen = new Set<string>();
        let start = 1;
        for (let pages = 0; start <= total; pages++) {
          if (pages >= 500) fail(undefined, `the import to finish within 500 pages of ${count}`, c);
          const a = await ctx.send('GET', `/Users?startIndex=${start}&count=${count}`);
          expectStatus(a, 200, c);
          const list = listOf(a, c);
          if (list.total !== total) fail(a, `totalResults ${total} on every page (the number of all users, not of this page), got ${list.total}`, c);
          if (list.resources.length > count) fail(a, `at most count=${count} resources, got ${list.resources.length}`, c);
          if (list.resources.length === 0) fail(a, `resources on the page at startIndex=${start} (totalResults is ${total})`, c);
          for (const r of list.resources) {
            if (seen.has(String(r.id))) fail(a, `every user once (${String(r.id)} came on two pages: the order is not stable)`, c);
            seen.add(String(r.id));
          }
          start += list.resources.length;
        }
        for (const k of ['okta.imp1', 'okta.imp2', 'okta.imp3']) if (!seen.has(ctx.id(k))) fail(undefined, `the imported pages to include ${ctx.id(k)}`, c);
        const past = await ctx.send('GET', `/Users?startIndex=${total + 1}&count=${count}`);
        expectStatus(past, 200, c);
        if (listOf(past, c).resources.length) fail(past, 'an empty Resources array past the end', c);
      },
    },
    {
      id: 'users.lookup-absent',
      title: 'assignment: lookup by userName eq finds nothing yet',
      async run(ctx) {
        await lookup(ctx, 'Users', eq('userName', `${ctx.name('okta-ann')}@example.test`) + q100, [],
          'Okta would link the assignment to the user the server returned instead of creating one: the wrong person gets the account');
      },
    },
    {
      id: 'users.create',
      title: 'create the user with Okta\'s profile (password included, never echoed)',
      async run(ctx) {
        const c = 'Okta marks the assignment as failed ("Automatic provisioning of user … failed") and retries it';
        const { a, res } = await create(ctx, 'Users', 'okta.user', oktaUser(ctx, 'okta-ann', { externalId: `00u${ctx.state.runId}` }), c);
        if ('password' in res) fail(a, 'no password in the answer (RFC 7643 §4.1.1: returned "never")', 'the password Okta synced is echoed into Okta\'s logs and any proxy in between');
        expectValue(a, res, 'active', true, c);
      },
    },
    {
      id: 'users.lookup-found',
      title: 'the same lookup now finds exactly that user',
      needs: ['okta.user'],
      async run(ctx) {
        await lookup(ctx, 'Users', eq('userName', `${ctx.name('okta-ann')}@example.test`) + q100, [ctx.id('okta.user')],
          'Okta would create a duplicate user at the next assignment or import');
      },
    },
    {
      id: 'users.create-duplicate',
      title: 'creating the same userName again is a 409 uniqueness',
      needs: ['okta.user'],
      async run(ctx) {
        const a = await ctx.send('POST', '/Users', oktaUser(ctx, 'okta-ann'));
        if (a.status === 201 && a.json && typeof a.json.id === 'string') ctx.state.created.add(`/Users/${a.json.id}`);
        expectScimError(a, 409, 'uniqueness', 'Okta would create a duplicate user: two app accounts for one person');
      },
    },
    {
      id: 'users.update-put',
      title: 'profile push by PUT (the whole object, id, meta and groups echoed)',
      needs: ['okta.user'],
      async run(ctx) {
        const c = 'Okta\'s profile push fails; the app keeps stale names and emails';
        const path = `/Users/${ctx.id('okta.user')}`;
        const { res } = await read(ctx, path, c);
        const name = { ...(res.name as Json | undefined), givenName: 'okta-ann', familyName: 'Check', middleName: 'Excited' };
        const put = await ctx.send('PUT', path, { ...res, schemas: [SCIM.user], name, password: 'Chk-9x!pass' });
        expectStatus(put, 200, c);
        const { a, res: after } = await read(ctx, path, c);
        expectValue(a, after, 'name.middleName', 'Excited', c);
      },
    },
    {
      id: 'users.update-patch',
      title: 'profile push by PATCH (path-less replace)',
      needs: ['okta.user'],
      async run(ctx) {
        const c = 'Okta\'s profile push fails; the app keeps stale values';
        const path = `/Users/${ctx.id('okta.user')}`;
        await patch(ctx, path, [{ op: 'replace', value: { displayName: 'Ann Patched' } }], c);
        const { a, res } = await read(ctx, path, c);
        expectValue(a, res, 'displayName', 'Ann Patched', c);
        expectValue(a, res, 'name.middleName', 'Excited', `${c} (a replace must leave the attributes it does not name alone)`);
      },
    },
    {
      id: 'users.deactivate',
      title: 'deactivate: PATCH replace {"active": false}; still found by the lookup',
      needs: ['okta.user'],
      async run(ctx) {
        const c = 'Okta shows the user deactivated while the person keeps access to the app';
        const id = ctx.id('okta.user');
        await patch(ctx, `/Users/${id}`, [{ op: 'replace', value: { active: false } }], c);
        await activeIs(ctx, id, false, c);
        await lookup(ctx, 'Users', eq('userName', `${ctx.name('okta-ann')}@example.test`) + q100, [id], 'Okta would not find the deactivated user at reactivation and would create a duplicate');
      },
    },
    {
      id: 'users.reactivate',
      title: 'reactivate: PATCH replace {"active": true}',
      needs: ['okta.user'],
      async run(ctx) {
        const c = 'the user stays locked out of the app after being re-assigned in Okta';
        const id = ctx.id('okta.user');
        await patch(ctx, `/Users/${id}`, [{ op: 'replace', value: { active: true } }], c);
        await activeIs(ctx, id, true, c);
      },
    },
    {
      id: 'users.deactivate-put',
      title: 'deactivate and reactivate by PUT (apps without PATCH)',
      needs: ['okta.user'],
      async run(ctx) {
        const c = 'with PUT-only provisioning, Okta\'s deactivation is lost: the person keeps access';
        const path = `/Users/${ctx.id('okta.user')}`;
        for (const active of [false, true]) {
          const { res } = await read(ctx, path, c);
          expectStatus(await ctx.send('PUT', path, { ...res, schemas: [SCIM.user], active }), 200, c);
          await activeIs(ctx, ctx.id('okta.user'), active, c);
        }
      },
    },
    {
      id: 'groups.push',
      title: 'group push: POST /Groups with no members',
      async run(ctx) {
        await create(ctx, 'Groups', 'okta.group', { schemas: [SCIM.group], displayName: ctx.name('okta-group'), members: [] }, 'Okta\'s group push fails ("Error while creating group")');
      },
    },
    {
      id: 'groups.link',
      title: 'link by lookup: GET /Groups?filter=displayName eq',
      needs: ['okta.group'],
      async run(ctx) {
        await lookup(ctx, 'Groups', eq('displayName', ctx.name('okta-group')), [ctx.id('okta.group')], 'Okta cannot link the pushed group to the one in the app and pushes a duplicate group');
      },
    },
    {
      id: 'groups.member-add',
      title: 'member add: PATCH add members, then the rename PATCH Okta sends with it',
      needs: ['okta.group', 'okta.imp1'],
      async run(ctx) {
        const c = 'Okta shows the push as done, but the member has no access through the group in the app';
        const gid = ctx.id('okta.group');
        const u1 = ctx.id('okta.imp1');
        await patch(ctx, `/Groups/${gid}`, [{ op: 'add', path: 'members', value: [{ value: u1, display: `${ctx.name('okta-imp1')}@example.test` }] }], c);
        await patch(ctx, `/Groups/${gid}`, [{ op: 'replace', value: { id: gid, displayName: ctx.name('okta-group') } }], c);
        await expectMembers(ctx, gid, [u1], c);
      },
    },
    {
      id: 'groups.rename',
      title: 'rename: PATCH replace {id, displayName}',
      needs: ['okta.group'],
      async run(ctx) {
        const c = 'the group keeps its old name in the app; Okta shows the push as failed';
        const gid = ctx.id('okta.group');
        await patch(ctx, `/Groups/${gid}`, [{ op: 'replace', value: { id: gid, displayName: ctx.name('okta-group-renamed') } }], c);
        const { a, res } = await read(ctx, `/Groups/${gid}`, c);
        expectValue(a, res, 'displayName', ctx.name('okta-group-renamed'), c);
      },
    },
    {
      id: 'groups.member-remove',
      title: 'member remove: PATCH remove members[value eq "…"] with an add in the same request',
      needs: ['okta.group', 'okta.imp1', 'okta.imp2'],
      async run(ctx) {
        const c = 'the user removed in Okta keeps the group\'s access in the app';
        const gid = ctx.id('okta.group');
        const [u1, u2] = [ctx.id('okta.imp1'), ctx.id('okta.imp2')];
        await patch(ctx, `/Groups/${gid}`, [{ op: 'remove', path: `members[value eq "${u1}"]` }, { op: 'add', path: 'members', value: [{ value: u2, display: `${ctx.name('okta-imp2')}@example.test` }] }], c);
        await expectMembers(ctx, gid, [u2], c);
      },
    },
    {
      id: 'groups.unlink',
      title: 'unlink and delete the pushed group; its members stay',
      needs: ['okta.group', 'okta.imp2'],
      async run(ctx) {
        const c = 'Okta unlinks the group but it stays in the app, with its access';
        await remove(ctx, `/Groups/${ctx.id('okta.group')}`, c);
        await read(ctx, `/Users/${ctx.id('okta.imp2')}`, 'deleting a group deleted its members: they lose their accounts in the app');
      },
    },
  ],
};
