// The connection timeouts are read from the environment, default to documented values, and a
// headers timeout longer than the request timeout (which Node would refuse) is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULTS, insecureSettings, loadConfig } from './config.ts';

test('timeouts default to the documented values and each can be set on its own', () => {
  assert.deepEqual(loadConfig({}, {}).timeouts, { requestMs: 60_000, headersMs: 10_000, idleMs: 120_000, keepAliveMs: 72_000 });
  const c = loadConfig({}, { ROLLCALL_REQUEST_TIMEOUT_MS: '90000', ROLLCALL_KEEP_ALIVE_TIMEOUT_MS: '5000' });
  assert.deepEqual(c.timeouts, { ...DEFAULTS.timeouts, requestMs: 90_000, keepAliveMs: 5000 });
  assert.equal(loadConfig({}, { ROLLCALL_HEADERS_TIMEOUT_MS: '2000', ROLLCALL_IDLE_TIMEOUT_MS: '3000' }).timeouts.idleMs, 3000);
});

test('a timeout that is not a whole number of ms in range, or headers longer than the request, is refused', () => {
  assert.throws(() => loadConfig({}, { ROLLCALL_REQUEST_TIMEOUT_MS: '1.5s' }), (e: unknown) => e instanceof ConfigError && /ROLLCALL_REQUEST_TIMEOUT_MS must be an integer/.test(e.message));
  assert.throws(() => loadConfig({}, { ROLLCALL_IDLE_TIMEOUT_MS: '0' }), ConfigError);
  assert.throws(() => loadConfig({}, { ROLLCALL_HEADERS_TIMEOUT_MS: '61000' }), (e: unknown) => e instanceof ConfigError && /cannot exceed ROLLCALL_REQUEST_TIMEOUT_MS/.test(e.message));
});

test('the shutdown timeout defaults to 20 s, can be 0 (cut at once), and is refused when not whole ms in range', () => {
  assert.equal(loadConfig({}, {}).shutdownTimeoutMs, 20_000);
  assert.equal(loadConfig({}, { ROLLCALL_SHUTDOWN_TIMEOUT_MS: '45000' }).shutdownTimeoutMs, 45_000);
  assert.equal(loadConfig({}, { ROLLCALL_SHUTDOWN_TIMEOUT_MS: '0' }).shutdownTimeoutMs, 0);
  assert.throws(() => loadConfig({}, { ROLLCALL_SHUTDOWN_TIMEOUT_MS: '30s' }), (e: unknown) => e instanceof ConfigError && /ROLLCALL_SHUTDOWN_TIMEOUT_MS must be an integer from 0 to 3600000/.test(e.message));
  assert.throws(() => loadConfig({}, { ROLLCALL_SHUTDOWN_TIMEOUT_MS: '-1' }), ConfigError);
});

test('the welcome email SMTP URL and sender come from the environment; a bad URL is refused without echoing its password', () => {
  const c = loadConfig({}, { ROLLCALL_SMTP_URL: 'smtp://mailer:s3cret@mail.example.com:587', ROLLCALL_EMAIL_FROM: 'Rollcall <rollcall@example.com>' });
  assert.equal(c.smtpUrl, 'smtp://mailer:s3cret@mail.example.com:587');
  assert.equal(c.emailFrom, 'Rollcall <rollcall@example.com>');
  assert.equal(loadConfig({}, {}).smtpUrl, undefined, 'unset: no email is sent');
  assert.throws(() => loadConfig({}, { ROLLCALL_SMTP_URL: 'http://mailer:s3cret@mail.example.com' }),
    (e: unknown) => e instanceof ConfigError && /ROLLCALL_SMTP_URL/.test(e.message) && !e.message.includes('s3cret'));
  assert.throws(() => loadConfig({}, { ROLLCALL_EMAIL_FROM: 'a@b.example, c@d.example' }), ConfigError);
});

test('delivery runs in its own thread unless ROLLCALL_DELIVERY_THREAD=main; any other value is refused', () => {
  assert.equal(loadConfig({}, {}).delivery.thread, 'worker');
  assert.equal(loadConfig({}, { ROLLCALL_DELIVERY_THREAD: 'main' }).delivery.thread, 'main');
  assert.throws(() => loadConfig({}, { ROLLCALL_DELIVERY_THREAD: 'both' }), (e: Error) => e instanceof ConfigError && /ROLLCALL_DELIVERY_THREAD must be worker .* or main/.test(e.message));
  assert.throws(() => loadConfig({ delivery: { ...DEFAULTS.delivery, thread: 'thread' as never } }, {}), /delivery.thread must be 'worker' or 'main'/);
});

test('the request log is written by a thread of its own on SQLite unless ROLLCALL_REQUEST_LOG_THREAD=main; any other value is refused', () => {
  assert.equal(loadConfig({}, { ROLLCALL_REQUEST_LOG_THREAD: 'main' }).requestLog.thread, 'main');
  assert.throws(() => loadConfig({}, { ROLLCALL_REQUEST_LOG_THREAD: 'yes' }), (e: Error) => e instanceof ConfigError && /ROLLCALL_REQUEST_LOG_THREAD must be worker \(write recorded SCIM requests from a thread of their own, the default\) or main/.test(e.message));
  assert.throws(() => loadConfig({ requestLog: { ...DEFAULTS.requestLog, thread: 'both' as never } }, {}), /requestLog.thread must be 'worker' or 'main'/);
});

test('the SAML SP key and certificate are read from the PEM files named; one without the other, or a file that is not PEM, is refused without echoing it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-config-'));
  try {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    // Any PEM with the certificate label passes the config check; the certificate itself is checked where it is used.
    const certPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    writeFileSync(join(dir, 'sp.key'), keyPem);
    writeFileSync(join(dir, 'sp.crt'), certPem);
    writeFileSync(join(dir, 'not-pem.txt'), 'secret-material-not-pem');
    const c = loadConfig({}, { ROLLCALL_SAML_SP_KEY_FILE: join(dir, 'sp.key'), ROLLCALL_SAML_SP_CERT_FILE: join(dir, 'sp.crt') });
    assert.equal(c.saml.spPrivateKey, keyPem);
    assert.equal(c.saml.spCertificate, certPem);
    assert.equal(loadConfig({}, {}).saml.spPrivateKey, undefined, 'unset: AuthnRequests go unsigned');
    assert.throws(() => loadConfig({}, { ROLLCALL_SAML_SP_KEY_FILE: join(dir, 'sp.key') }), (e: Error) => e instanceof ConfigError && /go together/.test(e.message));
    assert.throws(() => loadConfig({}, { ROLLCALL_SAML_SP_KEY_FILE: join(dir, 'not-pem.txt'), ROLLCALL_SAML_SP_CERT_FILE: join(dir, 'sp.crt') }),
      (e: Error) => e instanceof ConfigError && /ROLLCALL_SAML_SP_KEY_FILE must name a PEM file/.test(e.message) && !e.message.includes('secret-material'));
    assert.throws(() => loadConfig({}, { ROLLCALL_SAML_SP_CERT_FILE: join(dir, 'missing.crt'), ROLLCALL_SAML_SP_KEY_FILE: join(dir, 'sp.key') }), (e: Error) => e instanceof ConfigError && /cannot be read \(ENOENT\)/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SAML metadata and sign-in durations are read in seconds and bounded', () => {
  assert.equal(loadConfig({}, {}).saml.codeTtlMs, 60_000);
  const c = loadConfig({}, { ROLLCALL_SSO_CODE_TTL_SECONDS: '30', ROLLCALL_SAML_METADATA_REFRESH_SECONDS: '3600', ROLLCALL_SAML_METADATA_ALLOW_HTTP: 'true' });
  assert.equal(c.saml.codeTtlMs, 30_000);
  assert.equal(c.saml.metadataRefreshMs, 3_600_000);
  assert.equal(c.saml.metadataAllowHttp, true);
  assert.equal(c.saml.maxResponseBytes, DEFAULTS.saml.maxResponseBytes, 'the rest keep their defaults');
  assert.throws(() => loadConfig({}, { ROLLCALL_SSO_CODE_TTL_SECONDS: '3600' }), (e: Error) => e instanceof ConfigError && /ROLLCALL_SSO_CODE_TTL_SECONDS must be an integer from 5 to 600/.test(e.message));
});

test('the SCIM request log is on by default and off with ROLLCALL_REQUEST_LOG=off; password stays redacted whatever the list says', () => {
  assert.deepEqual(loadConfig({}, {}).requestLog, { enabled: true, retentionDays: 30, maxRowsPerTenant: 100_000, maxBodyChars: 16_384, redact: ['password'], thread: 'worker' });
  assert.equal(loadConfig({}, { ROLLCALL_REQUEST_LOG: 'off' }).requestLog.enabled, false);
  const c = loadConfig({}, { ROLLCALL_REQUEST_LOG_REDACT: 'ssn, employeeNumber', ROLLCALL_REQUEST_LOG_RETENTION_DAYS: '7', ROLLCALL_REQUEST_LOG_MAX_ROWS: '5000', ROLLCALL_REQUEST_LOG_MAX_BODY_CHARS: '0' });
  assert.deepEqual(c.requestLog, { enabled: true, retentionDays: 7, maxRowsPerTenant: 5000, maxBodyChars: 0, redact: ['password', 'ssn', 'employeeNumber'], thread: 'worker' });
  assert.deepEqual(loadConfig({ requestLog: { ...DEFAULTS.requestLog, redact: ['ssn'] } }, {}).requestLog.redact, ['password', 'ssn'], 'a list in code adds to password too');
  assert.throws(() => loadConfig({}, { ROLLCALL_REQUEST_LOG: 'maybe' }), (e: unknown) => e instanceof ConfigError && /ROLLCALL_REQUEST_LOG must be true or false/.test(e.message));
  assert.throws(() => loadConfig({}, { ROLLCALL_REQUEST_LOG_REDACT: 'ssn,bad name' }), (e: unknown) => e instanceof ConfigError && /ROLLCALL_REQUEST_LOG_REDACT/.test(e.message));
  assert.throws(() => loadConfig({}, { ROLLCALL_REQUEST_LOG_MAX_ROWS: '10' }), ConfigError);
});

test('metrics are off by default; a token, a host:port (IPv6 in brackets) and a tenant cap are read; a short token or bad address is refused without echoing the token', () => {
  assert.deepEqual(loadConfig({}, {}).metrics, { tenants: 0 });
  assert.equal(loadConfig({}, {}).accessLog, false);
  const c = loadConfig({}, { ROLLCALL_METRICS_TOKEN: 'abcdefghijklmnop0123', ROLLCALL_METRICS_ADDRESS: '[::1]:9464', ROLLCALL_METRICS_TENANTS: '50', ROLLCALL_ACCESS_LOG: 'on' });
  assert.deepEqual(c.metrics, { token: 'abcdefghijklmnop0123', address: { host: '::1', port: 9464 }, tenants: 50 });
  assert.equal(c.accessLog, true);
  assert.deepEqual(loadConfig({}, { ROLLCALL_METRICS_ADDRESS: '0.0.0.0:9464' }).metrics.address, { host: '0.0.0.0', port: 9464 });
  assert.throws(() => loadConfig({}, { ROLLCALL_METRICS_TOKEN: 'short-secret' }), (e: unknown) => e instanceof ConfigError && /ROLLCALL_METRICS_TOKEN/.test(e.message) && !e.message.includes('short-secret'));
  for (const bad of ['9464', 'localhost', '::1:9464', 'host:99999']) {
    assert.throws(() => loadConfig({}, { ROLLCALL_METRICS_ADDRESS: bad }), (e: unknown) => e instanceof ConfigError && /ROLLCALL_METRICS_ADDRESS must be host:port/.test(e.message), bad);
  }
  assert.throws(() => loadConfig({}, { ROLLCALL_METRICS_TENANTS: '5000' }), ConfigError);
});

test('a metrics listener beyond loopback (it has no token) is warned about at start-up; on loopback it is not', () => {
  assert.ok(insecureSettings(loadConfig({}, { ROLLCALL_METRICS_ADDRESS: '0.0.0.0:9464' })).some((w) => /ROLLCALL_METRICS_ADDRESS listens on 0\.0\.0\.0/.test(w)));
  assert.deepEqual(insecureSettings(loadConfig({}, { ROLLCALL_METRICS_ADDRESS: '127.0.0.1:9464' })), []);
  assert.deepEqual(insecureSettings(loadConfig({}, { ROLLCALL_METRICS_ADDRESS: '[::1]:9464' })), []);
});
