// Starts the real server (real HTTP, real SQLite file in a temp dir) for contract tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { startServer, type Running } from '../../src/main.ts';
import { createTenant, issueToken } from '../../src/provisioning/tenants.ts';

export interface TestServer {
  baseUrl: string;
  scimUrl: string;
  token: string;
  running: Running;
  dbFile: string;
  close(): Promise<void>;
  createTenant(slug: string): Promise<{ scimUrl: string; token: string }>;
}

let counter = 0;

export async function startTestServer(opts: { tenant?: string; config?: Partial<Config> } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-test-'));
  const dbFile = join(dir, 'rollcall.db');
  // A concrete port (not 0) so that the public URL in meta.location is the real one.
  const config = loadConfig({ host: '127.0.0.1', port: await freePort(), databaseUrl: `sqlite:${dbFile}`, logLevel: 'silent', ...opts.config }, {});
  const running = await startServer(config, { logger: false });
  const make = async (slug: string) => {
    const t = await createTenant(running.store, slug);
    const { token } = await issueToken(running.store, t, 86_400_000);
    return { scimUrl: `${running.url}/scim/v2/${slug}`, token };
  };
  const first = await make(opts.tenant ?? `t${process.pid}x${++counter}`);
  return {
    baseUrl: running.url,
    scimUrl: first.scimUrl,
    token: first.token,
    running,
    dbFile,
    createTenant: make,
    async close() {
      await running.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
