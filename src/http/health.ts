// Health endpoints for load balancers and orchestrators (docs/operations.md, "Health"):
//   /healthz  the process is up and serving HTTP: nothing else is looked at, so a database outage
//             never gets the process restarted (a restart cannot bring the database back);
//   /readyz   this process can serve SCIM now: the database answers and has every migration this
//             build carries. 503 with a JSON reason otherwise, so a balancer sends traffic elsewhere.
// Neither needs a token, and neither says more than a reason code: the details go to the log.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Store } from '../store/store.ts';

/**
 * How long /readyz waits for the database. Kubernetes probes time out after 1 s by default; an
 * answer inside that, rather than the pool's 5 s connection timeout, says "not ready" in time.
 */
export const READY_TIMEOUT_MS = 900;

export type NotReady =
  | { status: 'unavailable'; reason: 'databaseUnavailable'; detail: string }
  | { status: 'unavailable'; reason: 'migrationsPending'; detail: string; pending: string[] }
  | { status: 'unavailable'; reason: 'shuttingDown'; detail: string };

export function registerHealth(app: FastifyInstance, store: Store, closing: () => boolean = () => false): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    // A probe on a connection still open during a graceful shutdown (http/shutdown.ts).
    if (closing()) return notReady(reply, { status: 'unavailable', reason: 'shuttingDown', detail: 'This process is shutting down: it finishes the requests in flight and takes no new ones.' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), READY_TIMEOUT_MS); });
    let pending: string[] | 'late';
    try {
      pending = await Promise.race([store.pendingMigrations(), late]);
    } catch (err) {
      request.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'readiness: the database did not answer');
      return notReady(reply, { status: 'unavailable', reason: 'databaseUnavailable', detail: `The database did not answer; the server log says why (request id ${request.id}).` });
    } finally {
      clearTimeout(timer);
    }
    if (pending === 'late') {
      request.log.warn({ waitedMs: READY_TIMEOUT_MS }, 'readiness: the database did not answer in time');
      return notReady(reply, { status: 'unavailable', reason: 'databaseUnavailable', detail: `The database did not answer within ${READY_TIMEOUT_MS} ms.` });
    }
    if (pending.length) {
      return notReady(reply, {
        status: 'unavailable', reason: 'migrationsPending', pending,
        detail: `The database lacks ${pending.length} migration(s) this version needs: run \`rollcall migrate\` (or restart a process, which migrates at start).`,
      });
    }
    return { status: 'ready' };
  });
}

function notReady(reply: FastifyReply, body: NotReady): FastifyReply {
  return reply.code(503).header('cache-control', 'no-store').type('application/json; charset=utf-8').send(body);
}
