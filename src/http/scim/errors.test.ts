// The failures every SCIM handler answers alike (errors.ts knownFailure): the route's error handler
// and each /Bulk operation, which has no Retry-After header of its own and words its 503 so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalidValue } from '../../scim/errors.ts';
import { StoreUnavailable } from '../../store/store.ts';
import { knownFailure } from './errors.ts';

test('a ScimError is answered as it is, an unavailable database with 503 and Retry-After, anything else is unknown (a logged 500)', () => {
  const scim = invalidValue('no');
  assert.equal(knownFailure(scim, 5), scim);
  const down = knownFailure(new StoreUnavailable(new Error('ECONNREFUSED')), 5);
  assert.equal(down?.status, 503);
  assert.deepEqual(down?.headers, { 'Retry-After': '5' });
  assert.match(down?.message ?? '', /Retry-After/);
  assert.equal(knownFailure(new StoreUnavailable(null), 5, 'retry this operation later')?.message, 'retry this operation later');
  assert.equal(knownFailure(new TypeError('x is undefined'), 5), undefined);
  assert.equal(knownFailure('a string', 5), undefined);
});
