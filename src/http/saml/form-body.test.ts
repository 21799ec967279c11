import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formFields, FormRefused } from './form-body.ts';

test('form fields are decoded (percent-encoding, + as space) and absent ones left out', () => {
  assert.deepEqual(formFields('SAMLResponse=PHNh%2BbWw%3D&RelayState=a+b&other=1', ['SAMLResponse', 'RelayState'] as const), { SAMLResponse: 'PHNh+bWw=', RelayState: 'a b' });
  assert.deepEqual(formFields('', ['SAMLResponse'] as const), {});
  assert.deepEqual(formFields('SAMLResponse=%E0%A4%A', ['SAMLResponse'] as const).SAMLResponse?.endsWith('%A'), true, 'broken escapes do not throw');
});

test('a field sent twice is refused', () => {
  assert.throws(() => formFields('SAMLResponse=a&SAMLResponse=b', ['SAMLResponse'] as const), FormRefused);
});
