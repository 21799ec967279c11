import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatementNames } from './pg-runner.ts';

test('a statement text is named (prepared) from its second use on, and keeps its name', () => {
  const names = new StatementNames();
  assert.equal(names.nameFor('SELECT 1'), undefined, 'a one-off text is not prepared');
  const name = names.nameFor('SELECT 1');
  assert.ok(name);
  assert.equal(names.nameFor('SELECT 1'), name);
  names.nameFor('SELECT 2');
  const other = names.nameFor('SELECT 2');
  assert.ok(other && other !== name, 'each text has its own name');
});

test('named texts are bounded, so endless distinct filters cannot fill the database connections', () => {
  const names = new StatementNames();
  const given = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    names.nameFor(`SELECT ${i}`);
    const n = names.nameFor(`SELECT ${i}`);
    if (n) given.add(n);
  }
  assert.ok(given.size > 0 && given.size <= 300, `${given.size} names`);
});

test('a refused text is never named again, and its name is never given to another text', () => {
  const names = new StatementNames();
  names.nameFor('SELECT * FROM t');
  const old = names.nameFor('SELECT * FROM t');
  assert.ok(old);
  names.refuse('SELECT * FROM t');
  assert.equal(names.nameFor('SELECT * FROM t'), undefined);
  assert.equal(names.nameFor('SELECT * FROM t'), undefined);
  names.nameFor('SELECT * FROM u');
  const next = names.nameFor('SELECT * FROM u');
  assert.ok(next && next !== old, 'a connection may still hold the old name');
});
