// The "sso" settings section (settings.ts) as the settings document checks it: defaults, every
// problem at its pointer, unknown keys refused, the default URL held to the allow-list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSettings, DEFAULT_SETTINGS } from '../tenants/settings-document.ts';
import { DEFAULT_SSO } from './settings.ts';

const pointers = (input: unknown) => checkSettings({ sso: input }).problems.map((p) => p.pointer).sort();

test('a tenant that set nothing has SSO without an allow-list: code hand-off, match by userName, 60 s of skew', () => {
  assert.deepEqual(DEFAULT_SETTINGS.sso, DEFAULT_SSO);
  assert.deepEqual(checkSettings({}).settings?.sso, {
    redirectUrls: [], defaultRedirectUrl: null, handoff: 'code', ssoRequired: false, justInTime: false,
    matchBy: 'userName', nameIdAttribute: null, connectionAttribute: null, clockSkewSeconds: 60,
  });
});

test('a complete section is kept as written', () => {
  const sso = {
    redirectUrls: ['https://app.example/sso', 'http://localhost:3000/'], defaultRedirectUrl: 'https://app.example/sso/home', handoff: 'jwt',
    ssoRequired: true, justInTime: true, matchBy: 'email', nameIdAttribute: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
    connectionAttribute: 'urn:ietf:params:scim:schemas:extension:acme:2.0:User:ssoName', clockSkewSeconds: 0,
  };
  const r = checkSettings({ sso });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.settings?.sso, sso);
});

test('every problem is named by its pointer, unknown keys included', () => {
  assert.deepEqual(pointers({
    redirectUrls: ['http://app.example/', 'https://u:p@app.example/', 'https://app.example/?x=1', 'ftp://app.example/', 'nope', 5, 'https://ok.example/'],
    handoff: 'cookie', matchBy: 'phone', ssoRequired: 'yes', justInTime: 1, nameIdAttribute: 'has space', connectionAttribute: '',
    clockSkewSeconds: 601, colour: 'red',
  }), [
    '/sso/clockSkewSeconds', '/sso/colour', '/sso/connectionAttribute', '/sso/handoff', '/sso/justInTime', '/sso/matchBy', '/sso/nameIdAttribute',
    '/sso/redirectUrls/0', '/sso/redirectUrls/1', '/sso/redirectUrls/2', '/sso/redirectUrls/3', '/sso/redirectUrls/4', '/sso/redirectUrls/5', '/sso/ssoRequired',
  ]);
  assert.deepEqual(pointers([]), ['/sso']);
  assert.deepEqual(pointers({ redirectUrls: 'https://app.example/' }), ['/sso/redirectUrls']);
  assert.deepEqual(pointers({ clockSkewSeconds: 1.5 }), ['/sso/clockSkewSeconds']);
  assert.deepEqual(pointers({ redirectUrls: Array.from({ length: 51 }, (_, i) => `https://app${i}.example/`) }), ['/sso/redirectUrls']);
});

test('the default redirect URL must be allowed by the list', () => {
  assert.deepEqual(pointers({ defaultRedirectUrl: 'https://app.example/' }), ['/sso/defaultRedirectUrl'], 'no list at all');
  const off = checkSettings({ sso: { redirectUrls: ['https://app.example/app'], defaultRedirectUrl: 'https://app.example/application' } });
  assert.deepEqual(off.problems.map((p) => p.pointer), ['/sso/defaultRedirectUrl']);
  assert.match(off.problems[0].message, /redirectUrls/);
  assert.deepEqual(pointers({ redirectUrls: ['https://app.example/'], defaultRedirectUrl: 'javascript:alert(1)' }), ['/sso/defaultRedirectUrl']);
  assert.deepEqual(pointers({ redirectUrls: ['https://app.example/'], defaultRedirectUrl: null }), []);
});
