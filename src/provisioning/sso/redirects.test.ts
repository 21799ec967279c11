// The returnTo allow-list (redirects.ts): what a sign-in may be handed to, and every open-redirect
// shape we know refused with a machine-readable reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReturnTo, ReturnToRefused, type ReturnToReason } from './redirects.ts';
import { DEFAULT_SSO, type SsoSettings } from './settings.ts';

const settings = (redirectUrls: string[], defaultRedirectUrl: string | null = null): SsoSettings => ({ ...DEFAULT_SSO, redirectUrls, defaultRedirectUrl });
const acme = settings(['https://app.example/app', 'https://admin.example:8443/', 'http://localhost:3000/cb']);

const refused = (s: SsoSettings, raw: string | undefined, reason: ReturnToReason) => {
  assert.throws(() => checkReturnTo(s, raw), (err: unknown) => {
    assert.ok(err instanceof ReturnToRefused, String(err));
    assert.equal(err.reason, reason, `${JSON.stringify(raw)}: ${err.message}`);
    return true;
  }, JSON.stringify(raw));
};

test('a URL under an entry\'s path, on its scheme, host and port, is allowed and returned as parsed', () => {
  assert.equal(checkReturnTo(acme, 'https://app.example/app').href, 'https://app.example/app');
  assert.equal(checkReturnTo(acme, 'https://app.example/app/').href, 'https://app.example/app/');
  assert.equal(checkReturnTo(acme, 'https://APP.example/app/deep/page?state=a%20b#top').href, 'https://app.example/app/deep/page?state=a%20b#top');
  assert.equal(checkReturnTo(acme, 'https://admin.example:8443/anything').href, 'https://admin.example:8443/anything');
  assert.equal(checkReturnTo(acme, 'http://localhost:3000/cb?x=1').href, 'http://localhost:3000/cb?x=1');
  assert.equal(checkReturnTo(acme, 'https://app.example:443/app/x').href, 'https://app.example/app/x', 'the default port is the same origin');
});

test('open-redirect attempts are refused: other host, scheme-relative, userinfo, backslashes, javascript:, path-prefix trick', () => {
  refused(acme, 'https://evil.example/app', 'not_allowed');
  refused(acme, 'https://app.example.evil.example/app', 'not_allowed');
  refused(acme, '//evil.example/app', 'not_url');
  refused(acme, '/app/x', 'not_url');
  refused(acme, 'https://app.example@evil.example/app', 'not_allowed');
  refused(acme, 'https://user:pass@app.example/app', 'not_allowed');
  refused(acme, 'https://app.example\\@evil.example/app', 'not_url');
  refused(acme, 'https:\\\\evil.example/app', 'not_url');
  refused(acme, 'https://app.example/app\\..\\..\\evil', 'not_url');
  refused(acme, 'javascript:alert(document.cookie)//https://app.example/app', 'scheme');
  refused(acme, 'JavaScript:alert(1)', 'scheme');
  refused(acme, 'data:text/html,<script>alert(1)</script>', 'scheme');
  refused(acme, 'https://app.example/application', 'not_allowed');
  refused(acme, 'https://app.example/ap', 'not_allowed');
  refused(acme, 'https://app.example/app/../admin', 'not_allowed');
  refused(acme, 'https://app.example/app/%2e%2e/admin', 'not_allowed');
  refused(acme, 'http://app.example/app', 'not_allowed');
  refused(acme, 'https://admin.example/x', 'not_allowed');
  refused(acme, 'http://localhost:3001/cb', 'not_allowed');
  refused(acme, ' https://app.example/app', 'not_url');
  refused(acme, 'https://app.example/app\n.evil.example', 'not_url');
  refused(acme, 'https://app.example/app\t', 'not_url');
  refused(acme, `https://app.example/app/${'a'.repeat(3000)}`, 'not_url');
  refused(acme, 'not a url', 'not_url');
});

test('without returnTo the default is used; no default or an empty list is refused', () => {
  assert.equal(checkReturnTo(settings(['https://app.example/'], 'https://app.example/home'), undefined).href, 'https://app.example/home');
  refused(settings(['https://app.example/']), undefined, 'not_allowed');
  refused(settings([]), 'https://app.example/', 'no_allow_list');
  refused(settings([]), undefined, 'no_allow_list');
});

test('an entry ending in a slash allows what is below it only', () => {
  const s = settings(['https://app.example/sso/']);
  assert.equal(checkReturnTo(s, 'https://app.example/sso/cb').pathname, '/sso/cb');
  refused(s, 'https://app.example/sso', 'not_allowed');
  refused(s, 'https://app.example/ssox', 'not_allowed');
});
