// Where webhooks may go: https only unless allowed, and never to loopback, private or link-local
// addresses unless allowed, checked on the resolved addresses at connect time (a name cannot smuggle
// one in) and, for a clear early error, when the endpoint is saved.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { WebhookEndpoints, EndpointError } from '../../src/events/endpoints.ts';
import { guardedLookup, isForbiddenAddress } from '../../src/events/webhook-address-guard.ts';
import { WebhookSink } from '../../src/events/webhook-sender.ts';
import { systemClock } from '../../src/provisioning/clock.ts';
import type { EventRecord, Store } from '../../src/store/store.ts';
import { startReceiver, type Receiver } from '../support/webhook-receiver.ts';

const receivers: Receiver[] = [];
after(async () => { for (const r of receivers) await r.close(); });

const strict = { allowHttp: false, allowPrivateAddresses: false };
// The use cases refuse a URL before touching the store.
const endpoints = new WebhookEndpoints({} as Store, systemClock, strict);

test('endpoint URLs are refused when saved: http, loopback names and private, link-local or mapped IP literals', async () => {
  for (const url of [
    'http://example.com/hook', 'https://localhost/hook', 'https://api.localhost/hook', 'https://127.0.0.1/hook', 'https://10.1.2.3/hook',
    'https://172.16.0.1/hook', 'https://192.168.1.1/hook', 'https://169.254.169.254/latest/meta-data', 'https://100.64.0.1/hook',
    'https://[::1]/hook', 'https://[fd00::1]/hook', 'https://[fe80::1]/hook', 'https://[::ffff:127.0.0.1]/hook', 'https://[::ffff:a00:1]/hook',
    'https://0.0.0.0/hook', 'https://224.0.0.1/hook', 'https://2130706433/hook', 'https://user:pw@example.com/hook', 'ftp://example.com/x', 'not a url',
  ]) {
    await assert.rejects(endpoints.create(null, { url }), (err: unknown) => err instanceof EndpointError && err.status === 400 && err.field === 'url' && err.message.length > 20, url);
  }
});

test('public addresses pass the guard; private, loopback, link-local and IPv4-mapped ones do not', () => {
  for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) assert.equal(isForbiddenAddress(ip), false, ip);
  for (const ip of ['127.0.0.1', '10.0.0.1', '172.31.255.255', '192.168.0.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fc00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', 'ff02::1']) {
    assert.equal(isForbiddenAddress(ip), true, ip);
  }
});

test('a hostname that resolves to 127.0.0.1 is refused at connect time, and the receiver gets nothing', async () => {
  const r = await startReceiver();
  receivers.push(r);
  const port = new URL(r.url).port;
  const err = await new Promise<Error>((resolve) => {
    const req = request(`http://localhost:${port}/hook`, { method: 'POST', lookup: guardedLookup(strict), agent: false }, () => resolve(new Error('connected')));
    req.once('error', resolve);
    req.end('{}');
  });
  assert.match(err.message, /Refused to send to 127\.0\.0\.1 \(localhost resolves to it\)/);
  assert.equal(r.received.length, 0);
});

test('the webhook sink turns a refused address or scheme into a failed attempt with a clear error, sending nothing', async () => {
  const r = await startReceiver();
  receivers.push(r);
  const event = { id: 'evt_x', tenantId: 't', tenantSlug: 't', type: 'user.created', at: new Date().toISOString(), position: 1, tenantPosition: 1, actor: { type: 'cli', id: null, name: null }, requestId: null, data: {} } satisfies EventRecord;
  const consumer = { id: 'wh_x', kind: 'webhook' as const, tenantId: null, url: r.url, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' };
  const signal = new AbortController().signal;
  const noHttp = await new WebhookSink({ allowHttp: false, allowPrivateAddresses: true, timeoutMs: 5000 }, systemClock).deliver(event, consumer, signal);
  assert.equal(noHttp.ok, false);
  assert.match(noHttp.error ?? '', /https/);
  const noPrivate = await new WebhookSink({ allowHttp: true, allowPrivateAddresses: false, timeoutMs: 5000 }, systemClock).deliver(event, consumer, signal);
  assert.equal(noPrivate.ok, false);
  assert.match(noPrivate.error ?? '', /Refused to send to 127\.0\.0\.1/);
  const byName = await new WebhookSink({ allowHttp: true, allowPrivateAddresses: false, timeoutMs: 5000 }, systemClock).deliver(event, { ...consumer, url: r.url.replace('127.0.0.1', 'localhost') }, signal);
  assert.equal(byName.ok, false);
  assert.equal(r.received.length, 0, 'nothing reached the receiver');
  const allowed = await new WebhookSink({ allowHttp: true, allowPrivateAddresses: true, timeoutMs: 5000 }, systemClock).deliver(event, consumer, signal);
  assert.equal(allowed.ok, true, 'allowed by the development settings');
  assert.equal(r.received.length, 1);
});
