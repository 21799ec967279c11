import { after } from 'node:test';
import { storeContract } from '../contract/store-contract.ts';
import { PostgresStore } from './postgres-store.ts';
import { freshDatabase, postgresAvailable } from '../../../test/helpers/postgres.ts';

const drops: (() => Promise<void>)[] = [];
after(async () => { for (const d of drops) await d(); });

if (await postgresAvailable()) {
  storeContract('postgres', async () => {
    const db = await freshDatabase();
    drops.push(db.drop);
    return PostgresStore.open({ connectionString: db.url });
  });
}
