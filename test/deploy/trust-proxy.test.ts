// ROLLCALL_TRUST_PROXY behind a reverse proxy (docs/deploy.md "Reverse proxy"): by default the
// X-Forwarded-* headers are ignored, so a client cannot choose the address the log records for it;
// with the proxy's address configured, the log names the client the proxy saw, the host it was
// asked for, and a console cookie set through an https proxy is Secure. Real server, real HTTP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULTS, fromEnv, loadConfig } from '../../src/config/config.ts';
import { startAdminServer, type AdminTestServer } from '../support/admin.ts';

interface LogLine { msg: string; reqId?: string; req?: { remoteAddress?: string; host?: string } }

const FORWARDED = { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-host': 'scim.example.com', 'x-forwarded-proto': 'https' };

const servers: AdminTestServer[] = [];
after(async () => { for (const s of servers) await s.close(); });

/** A server whose log lines are captured, with this trust setting. */
async function serverTrusting(trustProxy: readonly string[] | false) {
  const output: string[] = [];
  const stream = { write: (line: string) => { output.push(line); } };
  const server = await startAdminServer({ config: { logLevel: 'info', trustProxy }, server: { logger: { stream } } });
  servers.push(server);
  /** The "incoming request" line of a /healthz request sent with the forwarded headers. */
  const seen = async (id: string) => {
    const res = await fetch(`${server.baseUrl}/healthz`, { headers: { ...FORWARDED, 'x-request-id': id } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const line = output.map((l) => JSON.parse(l) as LogLine).find((l) => l.reqId === id && l.msg === 'incoming request');
    assert.ok(line?.req, `an "incoming request" line for ${id}: ${output.join('')}`);
    return line.req;
  };
  /** The console session cookie set when signing in through the "proxy". */
  const cookie = async () => {
    const res = await server.admin('POST', '/sessions', { headers: FORWARDED });
    assert.equal(res.status, 201, res.text);
    const set = res.headers.getSetCookie().find((c) => c.startsWith('rollcall_session='));
    assert.ok(set, 'a session cookie');
    return set;
  };
  return { server, seen, cookie };
}

test('by default X-Forwarded-For, -Host and -Proto are ignored: the log records the connection itself', async () => {
  const { server, seen, cookie } = await serverTrusting(DEFAULTS.trustProxy);
  const req = await seen('untrusted-1');
  assert.equal(req.remoteAddress, '127.0.0.1');
  assert.equal(req.host, new URL(server.baseUrl).host);
  assert.doesNotMatch(await cookie(), /;\s*Secure/i, 'plain http, whatever X-Forwarded-Proto claims');
});

test("with the proxy's address in ROLLCALL_TRUST_PROXY, the log records the client and host the proxy was asked by", async () => {
  const { seen, cookie } = await serverTrusting(fromEnv({ ROLLCALL_TRUST_PROXY: '127.0.0.1' }).trustProxy as readonly string[]);
  const req = await seen('trusted-1');
  assert.equal(req.remoteAddress, '203.0.113.7');
  assert.equal(req.host, 'scim.example.com');
  assert.match(await cookie(), /;\s*Secure/i, 'the browser reached the proxy over https: the cookie is Secure');
});

test('forwarded headers from a peer that is not a listed proxy are ignored', async () => {
  const { server, seen } = await serverTrusting(['10.0.0.0/8', 'uniquelocal']);
  const req = await seen('other-peer-1');
  assert.equal(req.remoteAddress, '127.0.0.1');
  assert.equal(req.host, new URL(server.baseUrl).host);
});

test('ROLLCALL_TRUST_PROXY takes off or a list of addresses, ranges and named ranges', () => {
  assert.equal(loadConfig({}, {}).trustProxy, false, 'off unless set');
  assert.equal(fromEnv({ ROLLCALL_TRUST_PROXY: 'off' }).trustProxy, false);
  assert.deepEqual(fromEnv({ ROLLCALL_TRUST_PROXY: ' 127.0.0.1, 10.0.0.0/8 ,::1, fd00::/8, loopback,uniquelocal,linklocal' }).trustProxy,
    ['127.0.0.1', '10.0.0.0/8', '::1', 'fd00::/8', 'loopback', 'uniquelocal', 'linklocal']);
  assert.deepEqual(loadConfig({}, { ROLLCALL_TRUST_PROXY: '172.16.0.0/12' }).trustProxy, ['172.16.0.0/12']);
});

test('ROLLCALL_TRUST_PROXY refuses every hop, hop counts and malformed addresses, naming the setting', () => {
  for (const bad of ['true', 'on', '1', '2', 'banana', '10.0.0.0/33', '::1/129', '1.2.3.4/8/9', '300.1.1.1', ',']) {
    assert.throws(() => fromEnv({ ROLLCALL_TRUST_PROXY: bad }), (err: unknown) => {
      assert.ok(err instanceof ConfigError, `${bad}: a ConfigError`);
      assert.match(err.message, /^ROLLCALL_TRUST_PROXY must be off .* or a comma-separated list of the addresses/);
      return true;
    }, bad);
  }
  assert.throws(() => fromEnv({ ROLLCALL_TRUST_PROXY: 'true' }), /any client could choose the address/);
  assert.throws(() => fromEnv({ ROLLCALL_TRUST_PROXY: '1' }), /a number of proxies cannot be checked/);
});
