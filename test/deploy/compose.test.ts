// compose.yaml and docs/deploy.md as a reader follows them: the variables they set are ones
// Rollcall reads, the commands they show are real `rollcall` commands, Compose builds this
// repository's Dockerfile and waits for a healthy PostgreSQL, the database URL points at that
// PostgreSQL, and the systemd unit parses. (No container engine runs here: docs/deploy.md.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// `yaml` is installed as a dependency of @fastify/swagger (a production dependency), not declared
// by Rollcall itself: a real YAML parser, so the file is read as Compose reads it.
import { parse } from 'yaml';
import { assertCliCommand, configReads, documentedCommands, envPairs, read, rollcallVariables, stages } from './dockerfile.ts';

interface Service {
  image?: string; build?: string | { context?: string; dockerfile?: string }; environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition?: string }>; healthcheck?: { test?: string[] | string }; ports?: string[]; stop_grace_period?: string;
}
const composeText = read('compose.yaml');
const compose = parse(composeText) as { services: Record<string, Service> };
const deployDoc = read('docs/deploy.md');

const environment = (s: Service): Record<string, string> =>
  Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => e.split(/=(.*)/s).slice(0, 2))) : { ...s.environment };

/** Lines that name settings of other branches, marked for checking when they are merged. */
const pending = (text: string) => new Set(text.split('\n').filter((l) => l.includes('TODO-check')).flatMap(rollcallVariables));

test('every ROLLCALL_* variable compose.yaml and docs/deploy.md name is one Rollcall reads', () => {
  for (const [file, text] of [['compose.yaml', composeText], ['docs/deploy.md', deployDoc]]) {
    const names = rollcallVariables(text);
    assert.ok(names.length > 3, `${file} names Rollcall's settings`);
    const waiting = pending(text);
    const unknown = names.filter((n) => !waiting.has(n) && !configReads(n));
    assert.deepEqual(unknown, [], `${file}: src/config/config.ts reads no such variable`);
  }
  // The variables of the rollcall service are all Rollcall's own.
  const env = environment(compose.services.rollcall);
  for (const name of Object.keys(env)) assert.ok(configReads(name), `compose.yaml sets ${name}`);
});

test('every `rollcall` command line in compose.yaml and docs/deploy.md is a real command', () => {
  const seen = new Set<string>();
  for (const [file, text] of [['compose.yaml', composeText], ['docs/deploy.md', deployDoc]]) {
    const commands = documentedCommands(text);
    assert.ok(commands.length >= 2, `${file} shows rollcall commands`);
    for (const words of commands) {
      if (seen.has(words.join(' '))) continue;
      seen.add(words.join(' '));
      assertCliCommand(words, file);
    }
  }
  // `docker compose exec <service>` and `docker exec <container>` name what compose.yaml and the doc's `docker run` create.
  for (const m of `${composeText}\n${deployDoc}`.matchAll(/docker compose exec (?:-T )?([\w-]+)/g)) assert.ok(m[1] in compose.services, `docker compose exec ${m[1]}: a service of compose.yaml`);
  for (const m of deployDoc.matchAll(/docker exec ([\w-]+)/g)) assert.match(deployDoc, new RegExp(`docker run [^\\n]*--name ${m[1]}\\b`), `docker exec ${m[1]}: the container docker run names`);
});

test('Compose builds this repository\'s Dockerfile and publishes the port the image listens on, to loopback only', () => {
  const rollcall = compose.services.rollcall;
  assert.ok(rollcall, 'a rollcall service');
  const build = typeof rollcall.build === 'string' ? { context: rollcall.build } : rollcall.build;
  assert.equal(build?.context, '.');
  assert.equal(build.dockerfile ?? 'Dockerfile', 'Dockerfile');
  const { stages: list } = stages(read('Dockerfile'));
  const runtime = list[list.length - 1];
  const imageEnv = Object.assign({}, ...runtime.instructions.filter((i) => i.keyword === 'ENV').map((i) => envPairs(i.args))) as Record<string, string>;
  const port = environment(rollcall).ROLLCALL_PORT ?? imageEnv.ROLLCALL_PORT;
  assert.deepEqual(rollcall.ports, [`127.0.0.1:8080:${port}`], 'plain http is reachable from this host only (the TLS proxy)');
  assert.match(rollcall.stop_grace_period ?? '', /^\d+s$/);
  assert.ok(Number.parseInt(rollcall.stop_grace_period!, 10) > 30, 'longer than the slowest request (the 30 s statement timeout)');
});

test('Rollcall waits for a healthy PostgreSQL 16, and its database URL is that server\'s database and user', () => {
  const { rollcall, postgres } = compose.services;
  assert.match(postgres.image ?? '', /^postgres:16(\b|$)/);
  assert.equal(rollcall.depends_on?.postgres?.condition, 'service_healthy');
  const check = postgres.healthcheck?.test;
  assert.ok(Array.isArray(check) && check[0] === 'CMD' && check[1] === 'pg_isready', `pg_isready: ${JSON.stringify(check)}`);
  assert.ok(check.includes('-h'), 'over TCP, not the socket the initialising server listens on');
  const pgEnv = environment(postgres);
  const url = new URL(environment(rollcall).ROLLCALL_DATABASE_URL.replace(/\$\{[^}]*\}/g, 'password'));
  assert.equal(url.protocol, 'postgres:');
  assert.equal(url.hostname, 'postgres', 'the service name');
  assert.equal(url.port, '5432');
  assert.equal(url.username, pgEnv.POSTGRES_USER);
  assert.equal(url.pathname, `/${pgEnv.POSTGRES_DB}`);
  assert.equal(check[check.indexOf('-U') + 1], pgEnv.POSTGRES_USER);
  // The password and the public URL must come from the operator: Compose refuses to start without them.
  assert.match(pgEnv.POSTGRES_PASSWORD, /^\$\{POSTGRES_PASSWORD:\?/);
  assert.match(environment(rollcall).ROLLCALL_DATABASE_URL, /\$\{POSTGRES_PASSWORD:\?/);
  assert.match(environment(rollcall).ROLLCALL_PUBLIC_URL, /^\$\{ROLLCALL_PUBLIC_URL:\?/);
});

test('the systemd unit in docs/deploy.md parses (systemd-analyze verify), and keeps the hardening the doc describes', (t) => {
  const unit = /```ini\n([\s\S]*?)```/.exec(deployDoc)?.[1];
  assert.ok(unit, 'an ini block');
  for (const line of ['User=rollcall', 'EnvironmentFile=/etc/rollcall/rollcall.env', 'Restart=on-failure', 'NoNewPrivileges=true', 'ProtectSystem=strict', 'StateDirectory=rollcall']) {
    assert.ok(unit.split('\n').includes(line), line);
  }
  assert.ok(!/^MemoryDenyWriteExecute=/m.test(unit), "V8's JIT needs writable executable memory");
  assert.ok(Number(/^TimeoutStopSec=(\d+)$/m.exec(unit)?.[1]) > 30, 'TimeoutStopSec above the 30 s statement timeout');
  if (spawnSync('systemd-analyze', ['--version']).status !== 0) { t.skip('systemd-analyze is not installed'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-unit-'));
  try {
    writeFileSync(join(dir, 'rollcall.service'), unit);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'rollcall.service')], { encoding: 'utf8' });
    // The package is not installed on this machine: that is the one complaint allowed.
    const complaints = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() && !/rollcall is not executable: No such file or directory/.test(l));
    assert.deepEqual(complaints, []);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
