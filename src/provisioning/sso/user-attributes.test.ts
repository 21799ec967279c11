import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidatedResponse } from '../../saml/validate.ts';
import { DEFAULT_SSO } from './settings.ts';
import { jitAttributes, userAttributeValue } from './user-attributes.ts';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CUSTOM = 'urn:acme:params:scim:schemas:extension:acme:2.0:User';

test('a pinned connection is read from a core attribute, a sub-attribute, an extension by URN, or any extension by name', () => {
  const doc = { userName: 'ada', name: { givenName: 'Ada' }, [ENTERPRISE]: { organization: ' okta ' }, [CUSTOM]: { ssoName: 'entra' } };
  assert.equal(userAttributeValue(doc, 'userName'), 'ada');
  assert.equal(userAttributeValue(doc, 'name.givenName'), 'Ada');
  assert.equal(userAttributeValue(doc, `${ENTERPRISE}:organization`), 'okta');
  assert.equal(userAttributeValue(doc, `${ENTERPRISE.toUpperCase()}:Organization`), 'okta', 'names ignore case (RFC 7643 §2.1)');
  assert.equal(userAttributeValue(doc, 'ssoName'), 'entra');
  assert.equal(userAttributeValue(doc, 'missing'), undefined);
  assert.equal(userAttributeValue({ ...doc, emails: [{ value: 'x' }] }, 'emails'), undefined, 'only a string pins');
  assert.equal(userAttributeValue({ ssoName: '  ' }, 'ssoName'), undefined, 'an empty value pins nothing');
});

const response = (attributes: Record<string, string[]>): ValidatedResponse => ({
  assertionId: '_a', issuer: 'i', nameId: 'n', nameIdFormat: null, attributes, sessionIndex: null, inResponseTo: null, expiresAt: new Date(0).toISOString(),
});

test('a just-in-time user takes the matched value as userName, an email, and Okta\'s or Entra\'s name attributes', () => {
  assert.deepEqual(jitAttributes('ada@acme.example', response({ firstName: ['Ada'], lastName: ['Lovelace'] }), DEFAULT_SSO), {
    userName: 'ada@acme.example', emails: [{ value: 'ada@acme.example', type: 'work', primary: true }],
    name: { givenName: 'Ada', familyName: 'Lovelace' }, displayName: 'Ada Lovelace', active: true,
  });
  const claims = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/';
  assert.deepEqual(jitAttributes('00u1abc', response({ [`${claims}emailaddress`]: ['grace@acme.example'], [`${claims}givenname`]: ['Grace'], 'http://schemas.microsoft.com/identity/claims/displayname': ['Grace H.'] }), DEFAULT_SSO), {
    userName: '00u1abc', emails: [{ value: 'grace@acme.example', type: 'work', primary: true }], name: { givenName: 'Grace' }, displayName: 'Grace H.', active: true,
  });
  assert.deepEqual(jitAttributes('opaque', response({}), DEFAULT_SSO), { userName: 'opaque', active: true });
});
