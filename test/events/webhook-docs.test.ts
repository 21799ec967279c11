// docs/events.md shows how to verify a webhook in Python: that very code, taken from the document,
// accepts a real delivery from Rollcall and refuses the same delivery with its body changed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DEFAULTS } from '../../src/config/config.ts';
import { USER_SCHEMA } from '../../src/scim/schemas/core.ts';
import { scim } from '../support/admin.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startReceiver, until, type Receiver } from '../support/webhook-receiver.ts';

let server: TestServer;
let receiver: Receiver;

before(async () => {
  server = await startTestServer({ config: { webhooks: { allowHttp: true, allowPrivateAddresses: true, timeoutMs: 15_000 }, delivery: { ...DEFAULTS.delivery, pollMs: 50 } } });
  receiver = await startReceiver();
});
after(async () => {
  await receiver.close();
  await server.close();
});

const python = (() => {
  const doc = readFileSync(new URL('../../docs/events.md', import.meta.url), 'utf8');
  const block = /```python\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'docs/events.md has a Python example');
  return block[1];
})();

function runPython(secret: string, headers: Record<string, unknown>, body: string): { code: number; out: string } {
  const script = `${python}\nimport json, sys\nargs = json.load(sys.stdin)\ntry:\n    verify(args["secret"], args["headers"], args["body"].encode())\n    print("valid")\nexcept ValueError as e:\n    print("refused:", e)\n`;
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify({ secret, headers, body }), encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`.trim() };
}

test('the Python verification in docs/events.md accepts a real delivery and refuses a tampered one', async (t) => {
  if (spawnSync('python3', ['--version']).status !== 0) return t.skip('python3 is not installed');
  const slug = server.scimUrl.split('/').pop()!;
  const tenant = (await server.running.store.findTenantBySlug(slug))!;
  const { secret } = await server.running.endpoints.create(tenant, { url: receiver.url, types: ['user.created'] });
  const res = await scim(`${server.scimUrl}/Users`, server.token, 'POST', { schemas: [USER_SCHEMA], userName: 'verified@example.com' });
  assert.equal(res.status, 201, res.text);
  await until('the delivery', () => receiver.received.length >= 1);
  const [delivery] = receiver.received;
  assert.deepEqual(runPython(secret, delivery.headers, delivery.body), { code: 0, out: 'valid' });
  assert.match(runPython(secret, delivery.headers, delivery.body.replace('verified@', 'forged@')).out, /^refused: no valid signature/);
});
