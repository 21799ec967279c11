// The connection timeouts are read from the environment, default to documented values, and a
// headers timeout longer than the request timeout (which Node would refuse) is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, DEFAULTS, loadConfig } from './config.ts';

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
