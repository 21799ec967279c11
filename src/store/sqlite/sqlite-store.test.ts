import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract } from '../contract/store-contract.ts';
import { SqliteStore } from './sqlite-store.ts';

storeContract('sqlite (file)', () => SqliteStore.open({ filename: join(mkdtempSync(join(tmpdir(), 'rollcall-store-')), 'contract.db') }));
storeContract('sqlite (:memory:)', () => SqliteStore.open({ filename: ':memory:' }));
