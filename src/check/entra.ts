// What Microsoft Entra ID sends (test/conformance/transcripts/entra-*.json; Microsoft's provisioning
// tutorial and reference suite), in its default mode and with the aadOptscim062020 flag.
import { randomUUID } from 'node:crypto';
import { create, eq, expectMembers, lookup, patch, read, remove, userBody } from './common.ts';
import { expectScimError, expectValue, fail, SCIM, typed, type Json, type Sequence, type StepContext } from './step.ts';

const ADSCIM_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const EXT = SCIM.enterprise;
const QUARANTINE = 'Entra logs the failure, retries on every cycle and, when most requests fail, puts the app in quarantine';
const xm = 'excludedAttributes=members';

function entraUser(ctx: StepContext, label: string, extra: Json = {}): Json {
  const base = userBody(ctx, label);
  return {
    schemas: [SCIM.user, EXT],
    externalId: `${label}-${ctx.state.runId}`,
    userName: base.userName,
    active: true,
    displayName: base.displayName,
    emails: base.emails,
    meta: { resourceType: 'User' },
    name: { formatted: `${label} Check`, familyName: 'Check', givenName: label },
    [EXT]: { employeeNumber: '100200', department: 'Engineering' },
    ...extra,
  };
}


export const entraSequence: Sequence = {
  id: 'entra',
  title: 'Microsoft Entra ID (default mode)',
  steps: [
    {
      id: 'test-connection',
      title: 'Test Connection: lookups by a random userName, externalId and group displayName are empty 200s',
      async run(ctx) {
        const c = 'Entra\'s "Test Connection" fails: the credentials cannot be saved';
        await create(ctx, 'Users', 'entra.bystander', entraUser(ctx, 'entra-bystander'), c);
        await lookup(ctx, 'Users', eq('userName', randomUUID()), [], c);
        await lookup(ctx, 'Users', eq('externalId', randomUUID()), [], c);
        await lookup(ctx, 'Groups', `${xm}&${eq('displayName', randomUUID())}`, [], c);
      },
    },
    {
      id: 'users.create-after-lookup',
      title: 'matching: lookup by userName eq finds nothing, then POST /Users with the enterprise extension',
      async run(ctx) {
        await lookup(ctx, 'Users', eq('userName', `${ctx.name('entra-alex')}@example.test`), [], 'Entra would update the user the server returned instead of creating one: the wrong account gets this person\'s data');
        const c = `the user is not created; ${QUARANTINE}`;
        const { a, res } = await create(ctx, 'Users', 'entra.user', entraUser(ctx, 'entra-alex'), c);
        expectValue(a, res, `${EXT}:department`, 'Engineering', c);
      },
    },
    {
      id: 'users.match',
      title: 'matching: userName eq and externalId eq both find the user',
      needs: ['entra.user'],
      async run(ctx) {
        const c = `Entra would not match the user: it POSTs it again, gets a 409 on every cycle and ${QUARANTINE.slice(QUARANTINE.indexOf('puts'))}`;
        const id = ctx.id('entra.user');
        await lookup(ctx, 'Users', eq('userName', `${ctx.name('entra-alex')}@example.test`), [id], c);
        await lookup(ctx, 'Users', eq('externalId', `entra-alex-${ctx.state.runId}`), [id], c);
      },
    },
    {
      id: 'users.patch-capitalised',
      title: 'update: PATCH with "Replace" and "Add" (capitalised ops), filtered and dotted paths',
      needs: ['entra.user'],
      async run(ctx) {
        const c = `the update fails; ${QUARANTINE}`;
        const path = `/Users/${ctx.id('entra.user')}`;
        const email = `${ctx.name('entra-alex-new')}@example.test`;
        await patch(ctx, path, [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: email },
          { op: 'Replace', path: 'name.familyName', value: 'Updated' },
          { op: 'Add', path: 'nickName', value: 'Babs' },
        ], c);
        const { a, res } = await read(ctx, path, c);
        const got = typed(res, 'emails', 'work');
        if (got !== email) fail(a, `the work email to be ${email}, got ${JSON.stringify(got)}`, c);
        expectValue(a, res, 'name.familyName', 'Updated', c);
        expectValue(a, res, 'nickName', 'Babs', c);
      },
    },
    {
      id: 'users.disable-false-string',
      title: 'disable: {"op": "Replace", "path": "active", "value": "False"} (a string), Operations before schemas',
      needs: ['entra.user'],
      async run(ctx) {
        const c = 'Entra believes the user is disabled (or retries until it quarantines the app) while the person keeps access';
        const id = ctx.id('entra.user');
        await patch(ctx, `/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'False' }], c, { schemasFirst: false });
        const { a, res } = await read(ctx, `/Users/${id}`, c);
        expectValue(a, res, 'active', false, `${c} (the string "False" must be read as the boolean false, and returned as false)`);
        await lookup(ctx, 'Users', eq('userName', `${ctx.name('entra-alex')}@example.test`), [id], 'Entra would not find the disabled user and would create it again');
      },
    },
    {
      id: 'users.enable-true-string',
      title: 'enable: "Replace" active with "True" (a string)',
      needs: ['entra.user'],
      async run(ctx) {
        const c = 'the user stays disabled in the app after being re-enabled in Entra';
        const id = ctx.id('entra.user');
        await patch(ctx, `/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'True' }], c);
        const { a, res } = await read(ctx, `/Users/${id}`, c);
        expectValue(a, res, 'active', true, c);
      },
    },
    {
      id: 'users.manager',
      title: 'manager: a bare id on the URN path, a one-element array on "manager", an object {value}, then Remove',
      needs: ['entra.user'],
      async run(ctx) {
        const c = `the manager is not synced (the org chart in the app goes stale); ${QUARANTINE}`;
        const { res: mgr } = await create(ctx, 'Users', 'entra.manager', entraUser(ctx, 'entra-mgr'), c);
        const path = `/Users/${ctx.id('entra.user')}`;
        await patch(ctx, path, [{ op: 'Add', path: `${EXT}:manager`, value: mgr.id }], c);
        let got = await read(ctx, path, c);
        expectValue(got.a, got.res, `${EXT}:manager.value`, mgr.id, c);
        await patch(ctx, path, [{ op: 'Add', path: 'manager', value: [{ $ref: `${ctx.http.baseUrl}/Users/${ctx.id('entra.bystander')}`, value: ctx.id('entra.bystander') }] }], c);
        got = await read(ctx, path, c);
        expectValue(got.a, got.res, `${EXT}:manager.value`, ctx.id('entra.bystander'), `${c} (the tutorial's shape: a bare "manager" path and a one-element array)`);
        await patch(ctx, path, [{ op: 'Replace', path: `${EXT}:manager`, value: { value: mgr.id } }], c);
        got = await read(ctx, path, c);
        expectValue(got.a, got.res, `${EXT}:manager.value`, mgr.id, c);
        await patch(ctx, path, [{ op: 'Remove', path: `${EXT}:manager` }], c);
        got = await read(ctx, path, c);
        const left = got.res[EXT] as Json | undefined;
        if (left?.manager !== undefined && left.manager !== null) fail(got.a, 'no manager after the Remove', c);
        expectValue(got.a, got.res, `${EXT}:department`, 'Engineering', `${c} (removing the manager must leave the rest of the extension alone)`);
      },
    },
    {
      id: 'groups.create',
      title: 'group: lookup by displayName (excludedAttributes=members), then POST with the ADSCIM schema URN',
      async run(ctx) {
        const c = `the group is not created; ${QUARANTINE}`;
        await lookup(ctx, 'Groups', `${xm}&${eq('displayName', ctx.name('entra-group'))}`, [], 'Entra would take an unrelated group for this one');
        await create(ctx, 'Groups', 'entra.group', { schemas: [SCIM.group, ADSCIM_GROUP], externalId: randomUUID(), displayName: ctx.name('entra-group'), meta: { resourceType: 'Group' } }, c);
      },
    },
    {
      id: 'groups.excluded-members',
      title: 'GET a group with excludedAttributes=members leaves members out',
      needs: ['entra.group', 'entra.user'],
      async run(ctx) {
        const c = 'Entra reads the full member list of every group on every cycle: slow syncs and timeouts on large groups';
        const gid = ctx.id('entra.group');
        await patch(ctx, `/Groups/${gid}`, [{ op: 'Add', path: 'members', value: [{ $ref: null, value: ctx.id('entra.user') }] }], c);
        const { a, res } = await read(ctx, `/Groups/${gid}?${xm}`, c);
        if ('members' in res) fail(a, 'no "members" in a group read with excludedAttributes=members', c);
        expectValue(a, res, 'displayName', ctx.name('entra-group'), c);
        const { resources } = await lookup(ctx, 'Groups', `${xm}&${eq('displayName', ctx.name('entra-group'))}`, [gid], c);
        if (resources.some((r) => 'members' in r)) fail(undefined, 'no "members" in a group listing with excludedAttributes=members', c);
      },
    },
    {
      id: 'groups.members-remove-by-value',
      title: 'members: "Add" two, then "Remove" path members with a value list removes only the listed one',
      needs: ['entra.group', 'entra.user', 'entra.bystander'],
      async run(ctx) {
        const c = 'Entra believes the user left the group while they keep its access (or, if the group is emptied, every other member loses it)';
        const gid = ctx.id('entra.group');
        const [u1, u2] = [ctx.id('entra.user'), ctx.id('entra.bystander')];
        await patch(ctx, `/Groups/${gid}`, [{ op: 'Add', path: 'members', value: [{ $ref: null, value: u1 }, { $ref: null, value: u2 }] }], 'Entra\'s membership sync fails (adding a member already there must be a no-op)');
        await expectMembers(ctx, gid, [u1, u2], c);
        await patch(ctx, `/Groups/${gid}`, [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: u1 }] }], c);
        await expectMembers(ctx, gid, [u2], c);
      },
    },
    {
      id: 'groups.rename',
      title: 'group rename: "Replace" displayName, then the new name is what the lookup finds',
      needs: ['entra.group'],
      async run(ctx) {
        const c = 'the group keeps its old name; at the next cycle Entra does not find it and creates it again';
        const gid = ctx.id('entra.group');
        await patch(ctx, `/Groups/${gid}`, [{ op: 'Replace', path: 'displayName', value: ctx.name('entra-group-renamed') }], c);
        await lookup(ctx, 'Groups', `${xm}&${eq('displayName', ctx.name('entra-group-renamed'))}`, [gid], c);
      },
    },
    {
      id: 'provision-on-demand',
      title: 'provision on demand: lookup, create, confirm, then add to the group found by displayName',
      needs: ['entra.group'],
      async run(ctx) {
        const c = '"Provision on demand" in the Entra portal shows an error for this user';
        const userName = `${ctx.name('entra-pod')}@example.test`;
        await lookup(ctx, 'Users', eq('userName', userName), [], c);
        const { res } = await create(ctx, 'Users', 'entra.pod', entraUser(ctx, 'entra-pod'), c);
        await lookup(ctx, 'Users', eq('userName', userName), [String(res.id)], c);
        const gid = ctx.id('entra.group');
        await lookup(ctx, 'Groups', `${xm}&${eq('displayName', ctx.name('entra-group-renamed'))}`, [gid], c);
        await patch(ctx, `/Groups/${gid}`, [{ op: 'Add', path: 'members', value: [{ $ref: null, value: res.id }] }], c);
        await expectMembers(ctx, gid, [ctx.id('entra.bystander'), String(res.id)], c);
      },
    },
    {
      id: 'groups.delete',
      title: 'delete the group; its members stay',
      needs: ['entra.group'],
      async run(ctx) {
        await remove(ctx, `/Groups/${ctx.id('entra.group')}`, `the group stays in the app with its access; ${QUARANTINE}`);
        await read(ctx, `/Users/${ctx.id('entra.bystander')}`, 'deleting a group deleted its members');
      },
    },
    {
      id: 'users.delete',
      title: 'delete the user: 204, then a SCIM 404, and PATCH to it is a 404',
      needs: ['entra.user'],
      async run(ctx) {
        const c = `the account stays in the app; ${QUARANTINE}`;
        const id = ctx.id('entra.user');
        await remove(ctx, `/Users/${id}`, c);
        const again = await ctx.send('PATCH', `/Users/${id}`, { schemas: [SCIM.patchOp], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
        expectScimError(again, 404, undefined, 'Entra cannot tell that the user is already gone and keeps retrying');
        await lookup(ctx, 'Users', eq('userName', `${ctx.name('entra-alex')}@example.test`), [], 'Entra still matches a deleted user');
      },
    },
  ],
};

export const entra2020Sequence: Sequence = {
  id: 'entra-2020',
  title: 'Microsoft Entra ID with aadOptscim062020',
  steps: [
    {
      id: 'users.create',
      title: 'create a user with the enterprise extension',
      async run(ctx) {
        await create(ctx, 'Users', 'e20.user', entraUser(ctx, 'e20-flag'), `the user is not created; ${QUARANTINE}`);
      },
    },
    {
      id: 'users.patch-pathless-keys',
      title: 'update: a filtered path plus a path-less value with dotted and URN keys',
      needs: ['e20.user'],
      async run(ctx) {
        const c = `the update fails or is half applied; ${QUARANTINE}`;
        const path = `/Users/${ctx.id('e20.user')}`;
        const email = `${ctx.name('e20-new')}@example.test`;
        await patch(ctx, path, [
          { op: 'replace', path: 'emails[type eq "work"].value', value: email },
          { op: 'replace', value: { displayName: 'Bjfe', 'name.givenName': 'Kkom', 'name.familyName': 'Unua', [`${EXT}:employeeNumber`]: 'Aklq' } },
        ], c);
        const { a, res } = await read(ctx, path, c);
        if (typed(res, 'emails', 'work') !== email) fail(a, `the work email to be ${email}`, c);
        expectValue(a, res, 'displayName', 'Bjfe', c);
        expectValue(a, res, 'name.givenName', 'Kkom', `${c} (a path-less value's key "name.givenName" is a path, not an attribute named with a dot)`);
        expectValue(a, res, 'name.familyName', 'Unua', c);
        expectValue(a, res, `${EXT}:employeeNumber`, 'Aklq', `${c} (a key "urn:…:User:employeeNumber" names the extension's attribute)`);
      },
    },
    {
      id: 'users.patch-urn-object',
      title: 'update: a path-less value keyed by the extension URN changes only the named sub-attributes',
      needs: ['e20.user'],
      async run(ctx) {
        const c = `extension attributes are lost or not updated; ${QUARANTINE}`;
        const path = `/Users/${ctx.id('e20.user')}`;
        await patch(ctx, path, [{ op: 'replace', value: { [EXT]: { department: 'Finance', costCenter: 'CC-42' } } }], c);
        const { a, res } = await read(ctx, path, c);
        expectValue(a, res, `${EXT}:department`, 'Finance', c);
        expectValue(a, res, `${EXT}:costCenter`, 'CC-42', c);
        expectValue(a, res, `${EXT}:employeeNumber`, 'Aklq', `${c} (employeeNumber was not named and must stay)`);
      },
    },
    {
      id: 'users.disable-boolean',
      title: 'disable: lower-case replace with a boolean false',
      needs: ['e20.user'],
      async run(ctx) {
        const c = 'Entra believes the user is disabled while the person keeps access';
        const path = `/Users/${ctx.id('e20.user')}`;
        await patch(ctx, path, [{ op: 'replace', path: 'active', value: false }], c);
        const { a, res } = await read(ctx, path, c);
        expectValue(a, res, 'active', false, c);
      },
    },
    {
      id: 'groups.member-remove-filter',
      title: 'members: remove with the filter path members[value eq "…"]',
      needs: ['e20.user'],
      async run(ctx) {
        const c = 'Entra believes the user left the group while they keep its access';
        const { res: other } = await create(ctx, 'Users', 'e20.other', entraUser(ctx, 'e20-other'), c);
        const { res: g } = await create(ctx, 'Groups', 'e20.group', { schemas: [SCIM.group], displayName: ctx.name('e20-group'), externalId: randomUUID() }, `the group is not created; ${QUARANTINE}`);
        const [u1, u2, gid] = [ctx.id('e20.user'), String(other.id), String(g.id)];
        await patch(ctx, `/Groups/${gid}`, [{ op: 'add', path: 'members', value: [{ value: u1 }, { value: u2 }] }], c);
        await patch(ctx, `/Groups/${gid}`, [{ op: 'remove', path: `members[value eq "${u1}"]` }], c);
        await expectMembers(ctx, gid, [u2], c);
        await remove(ctx, `/Groups/${gid}`, `the group stays in the app; ${QUARANTINE}`);
      },
    },
    {
      id: 'users.delete',
      title: 'delete the users',
      needs: ['e20.user'],
      async run(ctx) {
        for (const k of ['e20.user', 'e20.other']) if (ctx.state.ids.has(k)) await remove(ctx, `/Users/${ctx.id(k)}`, `the account stays in the app; ${QUARANTINE}`);
      },
    },
  ],
};
