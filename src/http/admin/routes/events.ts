// GET /admin/v1/events: the events feed (docs/events.md), for apps that poll or reconcile instead of
// (or as well as) receiving webhooks. Events come in commit order; the cursor is a position, and no
// event can later appear behind a cursor already handed out (store/sql/events.ts), so an app that
// stores `next` and comes back with it never misses one. `order=desc` reads the other way, newest
// first from the head, for people browsing (the console): `next` is then passed as `before`.
import type { FastifyInstance } from 'fastify';
import { expandTypes } from '../../../events/event-types.ts';
import { payloadOf, type EventPayload } from '../../../events/payload.ts';
import type { EventRecord, Store } from '../../../store/store.ts';
import { tenantIdFilter, type AdminDeps } from '../index.ts';
import { decodeCursor, encodeCursor, pagingQuery } from '../paging.ts';
import { invalid } from '../problem.ts';
import { eventSchema, problems } from '../schemas.ts';

/** Longest long poll: below the 60 s idle timeouts of common proxies and load balancers. */
export const MAX_WAIT_SECONDS = 30;
/** While waiting, look again this often even without a wakeup (other SQLite processes cannot wake us). */
const RECHECK_MS = 500;

interface FeedQuery { tenant?: string; types?: string; after?: string; before?: string; order: 'asc' | 'desc'; limit: number; wait?: number }

export function eventRoutes(app: FastifyInstance, deps: AdminDeps): void {
  const { store } = deps.provisioning;

  app.get('/events', {
    schema: {
      operationId: 'listEvents', tags: ['events'], summary: 'Events in commit order after a cursor (the events feed)',
      description: 'Pass `next` back as `after` to continue; `next` is given even when no event came, so polling never loses its place. With `wait`, an empty answer is held until an event arrives or the wait ends. With `order=desc`, events come newest first and `next` is passed back as `before`; an empty page means the oldest event kept was reached.',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          tenant: { type: 'string', maxLength: 63, description: "Only this tenant's events: its slug, or its id (which still works once the tenant is deleted)" },
          types: { type: 'string', maxLength: 1000, description: 'Comma-separated event types or patterns, e.g. user.deactivated,group.*' },
          wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS, description: 'Seconds to hold an empty answer for new events (long poll)' },
          order: { type: 'string', enum: ['asc', 'desc'], default: 'asc', description: 'asc: oldest first, for followers (the default); desc: newest first, for browsing' },
          before: { type: 'string', maxLength: 1000, description: 'With order=desc: the `next` of the previous page' },
          ...pagingQuery,
        },
      },
      response: {
        200: {
          type: 'object', required: ['data', 'next'],
          properties: {
            data: { type: 'array', items: eventSchema },
            next: { type: 'string', description: 'Pass as `after` (as `before` with order=desc) for the following events; given even when data is empty' },
          },
        },
        ...problems(400, 401, 404),
      },
    },
  }, async (request) => {
    const q = request.query as FeedQuery;
    const tenantId = await tenantIdFilter(store, q.tenant);
    const types = typesFilter(q.types);
    if (q.order === 'desc') return newestFirst(store, q, tenantId, types);
    if (q.before !== undefined) throw invalid('before', 'before goes with order=desc; reading oldest first, pass the previous `next` as `after`.');
    const after = decodeCursor<number>(q.after, 'number') ?? 0;
    // Read up to the head as it stands first: every position up to it is visible, so a page shorter
    // than the limit has seen all of them, and `next` can move past events the filters left out.
    let head = after;
    const read = async () => {
      await store.sequenceEvents({ wait: true });
      head = Math.max(after, await store.eventHead());
      return store.readEvents({ after, until: head, tenantId, types, limit: q.limit });
    };
    let rows = await read();
    if (!rows.length && q.wait) rows = await waitForEvents(store, read, q.wait * 1000, request.raw);
    const next = rows.length === q.limit ? rows[rows.length - 1].position : head;
    return { data: rows.map(payloadOf) satisfies EventPayload[], next: encodeCursor(next) };
  });
}

/** A page newest first: from the head (or before `before`) back; `next` is the oldest position shown. */
async function newestFirst(store: Store, q: FeedQuery, tenantId: string | undefined, types: string[] | undefined): Promise<{ data: EventPayload[]; next: string }> {
  if (q.after !== undefined) throw invalid('after', 'With order=desc pass the previous `next` as `before`; `after` reads oldest first.');
  if (q.wait !== undefined) throw invalid('wait', 'wait holds an empty answer for new events, which only order=asc (the default) reads.');
  const before = decodeCursor<number>(q.before, 'number', 'before');
  await store.sequenceEvents({ wait: true });
  const head = await store.eventHead();
  const rows = await store.readEvents({ before, newestFirst: true, until: head, tenantId, types, limit: q.limit });
  const next = rows.length ? rows[rows.length - 1].position : (before ?? head + 1);
  return { data: rows.map(payloadOf), next: encodeCursor(next) };
}

function typesFilter(text: string | undefined): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const { types, unknown } = expandTypes(text.split(',').map((t) => t.trim()).filter(Boolean));
  if (unknown.length) throw invalid('types', `Unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => JSON.stringify(t)).join(', ')}: see docs/events.md for the list (patterns like "user.*" are accepted).`);
  return types;
}

/**
 * Holds an empty answer until events arrive (a wakeup from the store, or a look every RECHECK_MS),
 * the wait ends, or the client goes away.
 */
function waitForEvents(store: Store, read: () => Promise<EventRecord[]>, waitMs: number, raw: NodeJS.EventEmitter): Promise<EventRecord[]> {
  return new Promise((resolve, reject) => {
    let done = false;
    let reading = false;
    let again = false;
    const finish = (rows: EventRecord[] | Error) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearInterval(ticker);
      stop();
      raw.off('close', gone);
      if (rows instanceof Error) reject(rows);
      else resolve(rows);
    };
    const look = () => {
      if (done) return;
      if (reading) { again = true; return; }
      reading = true;
      read().then((rows) => {
        reading = false;
        if (rows.length) finish(rows);
        else if (again) { again = false; look(); }
      }, (err: Error) => finish(err));
    };
    const gone = () => finish([]);
    const stop = store.onEvents(look);
    const ticker = setInterval(look, RECHECK_MS);
    const deadline = setTimeout(() => finish([]), waitMs);
    raw.on('close', gone);
  });
}
