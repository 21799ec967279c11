// Unit tests for the pure part of /Bulk (RFC 7644 §3.7): reading a BulkRequest, the references an
// operation makes, resolving them, and the order operations run in (forward references, circles).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BULK_REQUEST_SCHEMA, parseBulkRequest, planBulk, resolveReferences, type BulkOperation } from './bulk.ts';
import { ScimError } from './errors.ts';

const request = (Operations: unknown[], extra: Record<string, unknown> = {}) => ({ schemas: [BULK_REQUEST_SCHEMA], ...extra, Operations });
const parse = (Operations: unknown[], extra: Record<string, unknown> = {}, maxOperations = 100) => parseBulkRequest(request(Operations, extra), { maxOperations });
const post = (bulkId: string, data: Record<string, unknown> = {}, path = '/Users') => ({ method: 'POST', path, bulkId, data });
const group = (bulkId: string, ...members: string[]) => post(bulkId, { displayName: bulkId, members: members.map((value) => ({ value })) }, '/Groups');

function refused(fn: () => unknown, status: number, scimType: string | undefined, detail: RegExp): void {
  let caught: unknown;
  try { fn(); } catch (e) { caught = e; }
  assert.ok(caught instanceof ScimError, `expected a ScimError, got ${String(caught)}`);
  assert.equal(caught.status, status);
  assert.equal(caught.scimType, scimType);
  assert.match(caught.message, detail);
}

describe('parseBulkRequest', () => {
  test('reads each operation: method, endpoint, target, version, data and the bulkIds it refers to', () => {
    const { operations, failOnErrors } = parse([
      post('u1', { userName: 'a' }),
      { method: 'patch', path: '/Groups/bulkId:g', version: 'W/"2"', data: { Operations: [{ op: 'remove', path: 'members[value eq "bulkId:u1"]' }] } },
      { method: 'DELETE', path: '/Users/2819c223' },
      group('g', 'bulkId:u1', 'plain-id'),
    ], { failOnErrors: 2 });
    assert.equal(failOnErrors, 2);
    assert.deepEqual(operations.map((o) => [o.method, o.endpoint, o.target, o.refs]), [
      ['POST', 'Users', undefined, []],
      ['PATCH', 'Groups', { bulkId: 'g' }, ['g', 'u1']],
      ['DELETE', 'Users', { id: '2819c223' }, []],
      ['POST', 'Groups', undefined, ['u1']],
    ]);
    assert.equal(operations[1].version, 'W/"2"');
    assert.equal(operations[2].data, undefined);
  });

  test('more operations than maxOperations is 413 (RFC 7644 §3.7.4), before any operation is read', () => {
    refused(() => parse(Array(4).fill('junk'), {}, 3), 413, undefined, /at most 3/);
  });

  test('a reference to a bulkId no POST defines, a duplicate bulkId and a malformed reference are refused', () => {
    refused(() => parse([{ method: 'DELETE', path: '/Users/bulkId:x' }]), 400, 'invalidValue', /no POST operation of this request has bulkId "x"/);
    refused(() => parse([post('a'), post('a')]), 400, 'invalidValue', /Operations\[0\] already uses/);
    refused(() => parse([post('a', { manager: { value: 'bulkId:' } })]), 400, 'invalidValue', /not a bulkId/);
    refused(() => parse([post('a'.repeat(201))]), 400, 'invalidValue', /bulkId must be/);
  });
});

describe('resolveReferences', () => {
  const ids = new Map([['u1', 'id-1'], ['g', 'id-g']]);

  test('replaces whole-string references anywhere in the data, and leaves the original alone', () => {
    const data = { members: [{ value: 'bulkId:u1' }, { value: 'other' }], manager: { value: 'bulkId:g' }, note: 'see bulkId:u1' };
    assert.deepEqual(resolveReferences(data, ids, false), { members: [{ value: 'id-1' }, { value: 'other' }], manager: { value: 'id-g' }, note: 'see bulkId:u1' });
    assert.equal(data.members[0].value, 'bulkId:u1');
  });

  test('in a PATCH, quoted references inside an operation\'s path are replaced too', () => {
    const data = { schemas: ['x'], Operations: [{ op: 'remove', path: 'members[value eq "bulkId:u1"]' }, { op: 'add', path: 'members', value: [{ value: 'bulkId:g' }] }] };
    assert.deepEqual(resolveReferences(data, ids, true), { schemas: ['x'], Operations: [{ op: 'remove', path: 'members[value eq "id-1"]' }, { op: 'add', path: 'members', value: [{ value: 'id-g' }] }] });
  });
});

describe('planBulk', () => {
  const plan = (ops: unknown[]) => planBulk(parse(ops));
  const methodsOf = (ops: BulkOperation[], order: number[]) => order.map((i) => ops[i].bulkId ?? `#${i}`);

  test('request order when nothing refers forward', () => {
    const p = plan([post('a'), group('g', 'bulkId:a'), { method: 'DELETE', path: '/Users/x' }]);
    assert.deepEqual(p.order, [0, 1, 2]);
    assert.equal(p.circular.size, 0);
  });

  test('a forward reference waits for its POST; of the ready operations the earliest runs first', () => {
    const request = parse([group('g', 'bulkId:b'), { method: 'DELETE', path: '/Users/x' }, post('b')]);
    assert.deepEqual(methodsOf(request.operations, planBulk(request).order), ['#1', 'b', 'g']);
  });

  test('a chain of forward references runs from its end', () => {
    const request = parse([group('a', 'bulkId:b'), group('b', 'bulkId:c'), group('c', 'bulkId:d'), post('d')]);
    assert.deepEqual(methodsOf(request.operations, planBulk(request).order), ['d', 'c', 'b', 'a']);
  });

  test('circles and self-references are found; what hangs off a circle is not part of it; every operation is in the order once', () => {
    const p = plan([group('a', 'bulkId:b'), group('b', 'bulkId:a'), group('c', 'bulkId:a'), post('s', { manager: { value: 'bulkId:s' } }), post('free')]);
    assert.deepEqual([...p.circular].sort(), [0, 1, 3]);
    assert.deepEqual([...p.order].sort(), [0, 1, 2, 3, 4]);
    assert.ok(p.order.indexOf(2) > p.order.indexOf(0), 'c comes after the circle it hangs off');
  });

  test('a chain of a thousand forward references runs from its end (no recursion to overflow)', () => {
    const ops = Array.from({ length: 1000 }, (_, i) => (i === 999 ? post(`n${i}`) : group(`n${i}`, `bulkId:n${i + 1}`)));
    const p = planBulk(parseBulkRequest(request(ops), { maxOperations: 1000 }));
    assert.equal(p.order[0], 999);
    assert.equal(p.order[999], 0);
  });
});
