// node --import tsx bench/event-positions.ts [--seconds S]
// Issue 10 asks whether events may be numbered gap-free per tenant "only if that costs no per-tenant
// serialisation of concurrent writes on PostgreSQL: measure, decide". This measures the two shapes
// on a scratch PostgreSQL database, with concurrent writers all of ONE tenant (an IdP pushing in
// parallel), each transaction shaped like a SCIM write: insert a user row, append an event, commit.
//   sequencer  (Rollcall's): the event is inserted without a position; positions come afterwards
//              from the sequencer (store/sql/events.ts), outside the writers' transactions.
//   notify     the sequencer's shape, plus a NOTIFY sent inside the writer's transaction (as an
//              AFTER INSERT trigger would): PostgreSQL serialises the commits of notifying transactions.
//   counter    a per-tenant counter row, incremented in the write's transaction (UPDATE … RETURNING):
//              its row lock is held until COMMIT, so the tenant's writers commit one at a time.
// Prints commits/s and latency percentiles per shape and concurrency; figures go in
// docs/performance.md ("Issue 10").
import pg from 'pg';
import { freshDatabase } from '../harness/databases.ts';

const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf('--seconds') + 1] || 5) || 5;
const CONCURRENCY = [1, 4, 16, 32];

const SCHEMA = `
  CREATE TABLE b_users (id bigserial PRIMARY KEY, tenant_id text NOT NULL, doc jsonb NOT NULL);
  CREATE TABLE b_events (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id text NOT NULL, txid xid8 DEFAULT pg_current_xact_id(),
    position bigint, data json NOT NULL);
  CREATE INDEX b_events_unsequenced ON b_events (txid, seq) WHERE position IS NULL;
  CREATE TABLE b_heads (tenant_id text PRIMARY KEY, position bigint NOT NULL);
  INSERT INTO b_heads VALUES ('t1', 0);`;

type Shape = 'sequencer' | 'counter' | 'notify';

async function write(client: pg.Client, shape: Shape): Promise<void> {
  await client.query('BEGIN');
  await client.query(`INSERT INTO b_users (tenant_id, doc) VALUES ('t1', '{"userName":"x"}')`);
  if (shape === 'counter') {
    const p = (await client.query<{ position: string }>(`UPDATE b_heads SET position = position + 1 WHERE tenant_id = 't1' RETURNING position`)).rows[0].position;
    await client.query(`INSERT INTO b_events (tenant_id, position, data) VALUES ('t1', $1, '{"user":{}}')`, [p]);
  } else {
    await client.query(`INSERT INTO b_events (tenant_id, data) VALUES ('t1', '{"user":{}}')`);
    // NOTIFY inside the writer's transaction, as a trigger on events would send it.
    if (shape === 'notify') await client.query(`SELECT pg_notify('b_events', '')`);
  }
  await client.query('COMMIT');
}

async function run(url: string, shape: Shape, concurrency: number): Promise<{ perSecond: number; p50: number; p99: number }> {
  const clients = await Promise.all(Array.from({ length: concurrency }, async () => { const c = new pg.Client({ connectionString: url }); await c.connect(); return c; }));
  const latencies: number[] = [];
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(clients.map(async (c) => {
    while (Date.now() < end) {
      const t0 = performance.now();
      await write(c, shape);
      latencies.push(performance.now() - t0);
    }
  }));
  await Promise.all(clients.map((c) => c.end()));
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { perSecond: latencies.length / SECONDS, p50: at(0.5), p99: at(0.99) };
}

const db = await freshDatabase();
try {
  const setup = new pg.Client({ connectionString: db.url });
  await setup.connect();
  await setup.query(SCHEMA);
  await setup.end();
  console.log(`PostgreSQL, one tenant, ${SECONDS} s per cell: commits/s (p50 / p99 ms)`);
  console.log('concurrency | sequencer | counter row | sequencer + NOTIFY in the write | counter / sequencer | notify / sequencer');
  for (const n of CONCURRENCY) {
    // Alternate the shapes so drift of the machine falls on all.
    const s = await run(db.url, 'sequencer', n);
    const c = await run(db.url, 'counter', n);
    const w = await run(db.url, 'notify', n);
    const fmt = (r: typeof s) => `${r.perSecond.toFixed(0)} (${r.p50.toFixed(2)} / ${r.p99.toFixed(2)})`;
    console.log(`${String(n).padStart(11)} | ${fmt(s)} | ${fmt(c)} | ${fmt(w)} | ${(c.perSecond / s.perSecond).toFixed(2)} | ${(w.perSecond / s.perSecond).toFixed(2)}`);
  }
} finally {
  await db.drop();
}
