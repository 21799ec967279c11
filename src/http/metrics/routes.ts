// Where /metrics is served, and the hook that counts every request (docs/operations.md, "Metrics").
// Two ways to read it, either or both:
//   ROLLCALL_METRICS_TOKEN    /metrics on the main listener, for a request bearing that token;
//   ROLLCALL_METRICS_ADDRESS  /metrics on a listener of its own (host:port), with no token: a port
//                             only the monitoring network reaches, as Prometheus exporters usually are.
// With neither, nothing is counted and /metrics answers 404 like any unknown path: the request
// counts name routes and tenants' error rates, which are not for whoever can reach the SCIM port.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.ts';
import { Metrics, UNMATCHED } from './metrics.ts';


/** "2xx" … "5xx": five values, whatever the status. */
const STATUS_CLASS = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/**
 * Counts every request of `app` into `metrics` and serves /metrics as the config says. The separate
 * listener opens when the app is ready and closes with it.
 */
export function registerMetrics(app: FastifyInstance, config: Readonly<Config>, metrics: Metrics): void {
  // The callback form: all of it is synchronous, and an async hook would make a promise per request.
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const status = reply.statusCode;
    // routeOptions.url is the pattern the router matched; undefined for the 404 handler.
    metrics.requests.observe({ route: request.routeOptions.url ?? UNMATCHED, method: request.method, status_class: STATUS_CLASS[Math.floor(status / 100) - 1] ?? 'other' }, reply.elapsedTime / 1000);
    const err = reply.scimError;
    if (err) metrics.scimErrors.inc({ scim_type: err.scimType ?? 'none', status: String(status) });
    const tenant = request.scim?.tenant.slug;
    if (tenant !== undefined) metrics.tenantRequest(tenant);
    done();
  });

  const token = config.metrics.token;
  if (token !== undefined) {
    const expected = digest(token);
    app.get('/metrics', async (request, reply) => {
      const given = /^Bearer +(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
      // Compared as SHA-256 digests: equal lengths for timingSafeEqual, and no timing of the token's length.
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        return reply.code(401).header('www-authenticate', 'Bearer realm="rollcall-metrics"').type('application/json; charset=utf-8')
          .send({ statusCode: 401, error: 'Unauthorized', message: 'GET /metrics with Authorization: Bearer <ROLLCALL_METRICS_TOKEN>.', requestId: request.id });
      }
      const { body, contentType } = await metrics.render();
      return reply.type(contentType).header('cache-control', 'no-store').send(body);
    });
  }

  const address = config.metrics.address;
  if (address !== undefined) {
    let server: Server | undefined;
    app.addHook('onReady', async () => { server = await listenSeparately(metrics, address, (obj, msg) => app.log.error(obj, msg)); });
    app.addHook('onClose', async () => {
      if (!server) return;
      const s = server;
      server = undefined;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    });
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** A plain node:http listener answering GET /metrics and nothing else (404). */
async function listenSeparately(metrics: Metrics, address: { host: string; port: number }, error: (obj: object, msg: string) => void): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('This listener serves GET /metrics only.\n');
      return;
    }
    metrics.render().then(({ body, contentType }) => {
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    }, (err: unknown) => {
      error({ err }, 'metrics: could not render /metrics');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Could not render the metrics; see the server log.\n');
    });
  });
  // Prometheus scrapes over keep-alive; an idle scraper connection must not hold shutdown (closeAllConnections).
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => { server.off('error', reject); resolve(); });
  });
  return server;
}
