// The Fastify edge: builds the server from a config and a store. No protocol logic lives here.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from '../config/config.ts';
import { invalidSyntax } from '../scim/errors.ts';
import type { Store } from '../store/store.ts';
import { frameworkError, installErrorHandling, sendScimError, writeClientError } from './error-handler.ts';
import { registerScimRoutes } from './scim-routes.ts';

export interface AppDeps { config: Readonly<Config>; store: Store; logger?: boolean | object }

export async function buildApp({ config, store, logger }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: logger ?? {
      level: config.logLevel,
      // Bearer tokens are secrets: never logged, even at trace level.
      redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    },
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false, maxParamLength: 500 },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    // Errors Fastify raises before routing (bad percent-encoding, over-long ids) are SCIM errors too.
    frameworkErrors: (err, request, reply) => { sendScimError(reply, frameworkError(err)); },
    // "https://host/scim/v2/acme/" + "/Users" is a common paste: collapse repeated slashes.
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      return q < 0 ? url.replace(/\/{2,}/g, '/') : url.slice(0, q).replace(/\/{2,}/g, '/') + url.slice(q);
    },
  });
  app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id); });

  // SCIM bodies are JSON whatever the client calls them (application/scim+json, application/json,
  // or a missing/odd type from a hand-rolled client).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  installErrorHandling(app, config.bodyLimitBytes, config.retryAfterSeconds);
  // Malformed HTTP (headers over Node's 16 KiB limit, garbage): answered as SCIM errors on the socket.
  app.server.removeAllListeners('clientError');
  app.server.on('clientError', writeClientError);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/', async () => ({
    name: 'Rollcall',
    scim: `${config.publicUrl}/scim/v2/<tenant>`,
    help: 'Create a tenant and its token with: npx rollcall tenant create <slug>',
  }));
  await app.register(async (scope) => registerScimRoutes(scope, { config, store }), { prefix: '/scim/v2/:tenant' });
  return app;
}

/** SCIM resources nest a few levels; anything deeper than this is refused before any recursion. */
export const MAX_JSON_DEPTH = 64;

/**
 * JSON.parse with a clear detail (V8 names the position), then one iterative walk that refuses
 * nesting deeper than MAX_JSON_DEPTH and "__proto__" / "constructor.prototype" keys, which could
 * pollute prototypes further down the line.
 */
export function parseJsonBody(body: string): unknown {
  const text = body.replace(/^\uFEFF/, '');
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidSyntax(`The request body is not valid JSON: ${(err as Error).message}.`);
  }
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw invalidSyntax(`The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
    for (const key of Object.keys(v)) {
      const child = (v as Record<string, unknown>)[key];
      if (key === '__proto__' || (key === 'constructor' && child && typeof child === 'object' && 'prototype' in child)) {
        throw invalidSyntax(`The request body contains the key "${key}", which is refused.`);
      }
      stack.push([child, depth + 1]);
    }
  }
  return value;
}
