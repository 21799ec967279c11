// A vendor app (Splunk On-Call's rule, docs/policies.md "App vetoes") with Rollcall embedded: the IdP's
// deactivations and deletions are refused while the user cannot be replaced on call (on-call.ts),
// and once one commits, the replacements are applied (at least once: idempotent).
import Fastify from 'fastify';
import { createRollcall } from 'rollcall';
import { deprovisioningPlan, onCallVeto, type Organisation } from './on-call.js';

// The app's own data; a real app reads its database.
const organisations = new Map<string, Organisation>([
  ['acme', {
    globalAdmins: ['root@acme.example'],
    teams: [
      { name: 'Ops', members: [{ userName: 'ada@acme.example', role: 'member', reachable: true }], onCall: ['ada@acme.example'] },
      {
        name: 'Web', onCall: ['bob@acme.example'], members: [
          { userName: 'bob@acme.example', role: 'teamAdmin', reachable: true },
          { userName: 'carol@acme.example', role: 'member', reachable: true },
          { userName: 'erin@acme.example', role: 'alertAdmin', reachable: true },
          { userName: 'dave@acme.example', role: 'alertAdmin', reachable: false },
        ],
      },
    ],
  }],
]);

const rollcall = await createRollcall({
  database: process.env.DATABASE ?? 'sqlite:./on-call.db',
  publicUrl: process.env.PUBLIC_URL ?? 'http://127.0.0.1:3000/identity',
});

const veto = onCallVeto((slug) => organisations.get(slug));
rollcall.before('user.deactivate', veto);
rollcall.before('user.delete', veto);

// After the change committed: apply the plan (idempotent: a retried event finds nothing left to do).
const apply = (slug: string, userName: unknown) => {
  const org = organisations.get(slug);
  if (!org || typeof userName !== 'string') return;
  const plan = deprovisioningPlan(org, userName);
  if (!plan.ok) return;
  for (const { team, by } of plan.replace) {
    const t = org.teams.find((x) => x.name === team)!;
    t.onCall = t.onCall.map((u) => (u === userName ? by : u));
    console.log(`${by} replaces ${userName} on call in ${team}`);   // the article emails the replacement
  }
  for (const t of org.teams) t.members = t.members.filter((m) => m.userName !== userName);
};
rollcall.on('user.deactivated', (event) => apply(event.tenant.slug, (event.data.user as { userName?: unknown }).userName));
rollcall.on('user.deleted', (event) => apply(event.tenant.slug, (event.data.user as { userName?: unknown }).userName));

const app = Fastify({ logger: true });
await app.register(rollcall.plugin, { prefix: '/identity' });
await app.listen({ port: Number(process.env.PORT ?? 3000) });

const stop = async () => { await app.close(); await rollcall.close(); };
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
