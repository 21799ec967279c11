// The RelayState of a test sign-in (test-relay-state.ts): only its own form names a test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRequestId } from '../../saml/authn-request.ts';
import { testRelayState, testRequestId } from './test-relay-state.ts';

test('a test\'s RelayState names its request id; a sign-in\'s (the bare id), a URL or anything else names no test', () => {
  const id = newRequestId();
  assert.equal(testRequestId(testRelayState(id)), id);
  for (const other of [undefined, '', id, 'test.', `test.${id}x`, ` test.${id}`, `TEST.${id}`, 'https://app.example/test._0', `test.${id.toUpperCase()}`]) {
    assert.equal(testRequestId(other), undefined, String(other));
  }
});
