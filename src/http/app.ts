// The Fastify edge: builds the server from a config and the provisioning service. No protocol logic
// lives here. The root is neutral (plain JSON errors and 404); each surface is a plugin with its
// own parsers, error format and 404 — today SCIM under /scim (http/scim/) — registered by
// surfaces.ts, which the library's plugin calls too. What stays here belongs to the server as a
// whole (timeouts, request ids, raw-socket errors, URL rewriting): embedded, the vendor's server owns it.
import { requestIdV7 } from './request-id.ts';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { metricsEnabled, type Config } from '../config/config.ts';
import type { RequestLog } from '../provisioning/request-log/recorder.ts';
import type { Provisioning } from '../provisioning/service.ts';
import { makeSso, type SsoServices } from '../provisioning/sso/services.ts';
import { refuseConnect } from './connect.ts';
import { DRAIN_LIMIT_FACTOR, Drains } from './drain.ts';
import { loggerOptions } from './request-log.ts';
import { frameworkProblem, sendProblem } from './admin/problem.ts';
import { frameworkError, sendScimError, writeClientError } from './scim/errors.ts';
import { registerSurfaces } from './surfaces.ts';
import { registerHealth } from './health.ts';
import { AccessLog } from './access-log.ts';
import type { Metrics } from './metrics/metrics.ts';

export interface AppDeps {
  config: Readonly<Config>;
  provisioning: Provisioning;
  /** Single sign-on's objects (main.ts makes them); made here when not given (harness/openapi.ts). */
  sso?: SsoServices;
  /** false: no log; an object: pino options merged over Rollcall's own (e.g. a `stream` in tests). */
  logger?: boolean | object;
  /** The SCIM request log's writer (main.ts makes it). */
  requestLog?: RequestLog;
  /** The server's metrics (main.ts makes them when config.metrics asks); made here when not given. */
  metrics?: Metrics;
  /** True once the server is shutting down (main.ts): /readyz then answers 503, so balancers stop sending. */
  closing?: () => boolean;
}

export async function buildApp({ config, provisioning, sso, logger, requestLog, metrics, closing }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger === false ? false : loggerOptions(config, typeof logger === 'object' ? logger : {}),
    bodyLimit: config.bodyLimitBytes,
    // A client that stalls or trickles cannot hold a connection (config.timeouts; Node's own
    // defaults would let a body shorter than its Content-Length hold one for ever, as Fastify
    // turns the request timeout off). Node checks the request and headers timeouts every
    // connectionsCheckingInterval (30 s by default): a quarter of the headers timeout keeps the
    // bound close to the configured one.
    requestTimeout: config.timeouts.requestMs,
    keepAliveTimeout: config.timeouts.keepAliveMs,
    connectionTimeout: config.timeouts.idleMs,
    http: {
      requestTimeout: config.timeouts.requestMs,
      headersTimeout: config.timeouts.headersMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.timeouts.headersMs / 4))),
    },
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false, maxParamLength: 500 },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : requestIdV7();
    },
    return503OnClosing: true,
    // Behind a proxy the socket's peer is the proxy: X-Forwarded-* name the client only when the
    // operator says which peers are proxies (config.trustProxy, docs/deploy.md).
    trustProxy: config.trustProxy === false ? false : [...config.trustProxy],
    // The access log's one line per request replaces Fastify's two (access-log.ts).
    ...(config.accessLog ? { logController: new AccessLog() } : {}),
    // Errors Fastify raises before routing (bad percent-encoding, over-long ids): in the format of
    // the surface the URL is for.
    frameworkErrors: (err, request, reply) => {
      if (isScimUrl(request.url)) sendScimError(reply, frameworkError(err));
      else if (isAdminUrl(request.url)) sendProblem(reply, request, frameworkProblem(err));
      else sendPlain(reply, request, typeof err.statusCode === 'number' ? err.statusCode : 400, err.message);
    },
    // "https://host/scim/v2/acme/" + "/Users" is a common paste: collapse repeated slashes.
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      return q < 0 ? url.replace(/\/{2,}/g, '/') : url.slice(0, q).replace(/\/{2,}/g, '/') + url.slice(q);
    },
  });
  app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id); });
  // Bodies answered 413 before they all arrived, read and thrown away (drain.ts, surfaces.ts).
  const drains = new Drains(DRAIN_LIMIT_FACTOR * config.bodyLimitBytes);

  // Neutral root handlers: nothing outside a surface's plugin answers in that surface's format.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err, req: request }, 'unexpected failure');
    return sendPlain(reply, request, status, status === 500 ? `Internal server error. Quote request id ${request.id} when reporting it.` : err.message);
  });
  app.setNotFoundHandler((request, reply) => sendPlain(reply, request, 404,
    `No such endpoint: ${request.method} ${request.url.split('?')[0]}. SCIM lives under ${config.publicUrl}/scim/v2/<tenant>/.`));

  // Malformed HTTP (headers over Node's 16 KiB limit, garbage) and requests that do not arrive in
  // time (config.timeouts) are answered on the socket before any URL is known; SCIM clients are the
  // ones that send such requests, so it is a SCIM error body.
  app.server.removeAllListeners('clientError');
  app.server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    // A request timeout while a 413 is draining: that request was answered already.
    if (drains.draining(socket)) { socket.destroy(); return; }
    // Fastify logs no completion for a request whose body never arrived: say what became of it.
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') app.log.info({ remoteAddress: socket.remoteAddress, res: { statusCode: 408 } }, 'request not received in time; answered 408 and closed');
    writeClientError(err, socket);
  });
  refuseConnect(app.server);
  registerHealth(app, provisioning.store, closing);
  if (metricsEnabled(config)) {
    // Loaded only when metrics are asked for (prom-client and what it requires are some 80 files).
    const [{ registerMetrics }, { Metrics }] = await Promise.all([import('./metrics/routes.ts'), import('./metrics/metrics.ts')]);
    registerMetrics(app, config, metrics ?? new Metrics({ store: provisioning.store, tenants: config.metrics.tenants }));
  }
  app.get('/', async () => ({
    name: 'Rollcall',
    scim: `${config.publicUrl}/scim/v2/<tenant>`,
    help: 'Create a tenant and its token with: npx rollcall tenant create <slug>',
  }));
  await registerSurfaces(app, { config, provisioning, drains, sso: sso ?? makeSso(config, provisioning), requestLog });
  return app;
}

const isScimUrl = (url: string | undefined) => /^\/+scim(\/|$|\?)/i.test(url ?? '');
const isAdminUrl = (url: string | undefined) => /^\/+admin(\/|$|\?)/i.test(url ?? '');

/** A plain JSON error, in the shape Fastify itself uses. */
function sendPlain(reply: FastifyReply, request: FastifyRequest, status: number, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message, requestId: request.id });
}
