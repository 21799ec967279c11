// Serves the admin console (issue 13, docs/console.md): /console and /console/<page> answer the
// console's shell (index.html), /setup and /setup/<anything> the setup link's shell (setup.html),
// /console/assets/<path> the files under src/console/assets (files.ts: a map made at start-up; no
// URL reaches the filesystem). The pages call only the admin API. Every answer here carries the
// strict Content-Security-Policy and the other headers below: no inline script or style, nothing
// from another origin, no framing (clickjacking), no Referer (a setup link's page must not leak
// where it was), no MIME sniffing, and a browsing context of its own.
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.ts';
import { fileOf, readConsoleFiles, type ConsoleFile, type ConsoleFiles } from './files.ts';

export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};

/** Where the console's files are: src/console beside src/http in a checkout, dist/console beside dist/http once built. */
export const CONSOLE_ROOT = fileURLToPath(new URL('../../console/', import.meta.url));

export interface ConsoleDeps { config: Readonly<Config>; /** The folder to serve (tests); CONSOLE_ROOT by default. */ root?: string }

export async function registerConsole(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const files = mountedAt(readConsoleFiles(deps.root ?? CONSOLE_ROOT), app.prefix.replace(/\/+$/, ''));
  app.addHook('onSend', async (_request, reply) => { reply.headers(SECURITY_HEADERS); });

  const notFound = (reply: FastifyReply, what: string) =>
    reply.code(404).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(`Not found: ${what}`);

  const send = (request: FastifyRequest, reply: FastifyReply, file: ConsoleFile | undefined, what: string) => {
    if (!file) return notFound(reply, what);
    reply.header('cache-control', 'no-cache').header('etag', file.etag).type(file.type);
    const match = request.headers['if-none-match'];
    if (typeof match === 'string' && match.split(',').some((t) => t.trim() === file.etag || t.trim() === `W/${file.etag}`)) return reply.code(304).send();
    return reply.send(file.body);
  };

  const shell = (file: ConsoleFile | undefined, name: string) => async (request: FastifyRequest, reply: FastifyReply) =>
    send(request, reply, file, `${name} is not installed on this server`);

  const consoleShell = shell(files.index, 'the console');
  const setupShell = shell(files.setup, 'the setup page');
  const hide = { schema: { hide: true } };
  app.get('/console', hide, consoleShell);
  app.get('/console/*', hide, async (request, reply) => {
    // "/console/assets" and "/console/assets/" are the folder, not a page: no file, no shell.
    const rest = (request.params as { '*': string })['*'];
    if (/^assets(\/|$)/i.test(rest)) return notFound(reply, 'no such console file');
    return consoleShell(request, reply);
  });
  app.get('/setup', hide, setupShell);
  app.get('/setup/*', hide, setupShell);
  app.get('/console/assets/*', hide, async (request, reply) => {
    const path = (request.params as { '*': string })['*'];
    return send(request, reply, files.assets.get(path), 'no such console file');
  });
}

/**
 * The shells name their files from the root ("/console/assets/console.js"). Mounted under a prefix
 * (the library's plugin in a vendor's server, "/identity"), those URLs get the prefix, once, at
 * start-up; the modules find the prefix themselves from their own URL (assets/lib/api.js).
 */
function mountedAt(files: ConsoleFiles, prefix: string): ConsoleFiles {
  if (prefix === '') return files;
  const rewrite = (f: ConsoleFile | undefined) => f && fileOf(Buffer.from(f.body.toString('utf8').replace(/(\s(?:src|href)=")\/console\//g, `$1${prefix}/console/`)), f.type);
  return { ...files, index: rewrite(files.index), setup: rewrite(files.setup) };
}
