// Another program of the vendor's: follows the events feed and locks out every user an identity
// provider deactivates, keeping its place in a file so a restart neither misses nor repeats events.
//
//   ROLLCALL_URL=https://app.example.com/identity ROLLCALL_ADMIN_KEY=rca_… node dist/events-follower.js
import { readFile, writeFile } from 'node:fs/promises';
import { RollcallAdmin } from 'rollcall/client';

const admin = RollcallAdmin({ baseUrl: process.env.ROLLCALL_URL ?? 'http://127.0.0.1:3000/identity', key: process.env.ROLLCALL_ADMIN_KEY ?? '' });
const CURSOR_FILE = 'events-cursor.txt';

async function lockOut(tenant: string, userId: string, userName: unknown): Promise<void> {
  console.log(`${tenant}: locking out ${String(userName)} (${userId})`); // the app's own session revocation goes here
}

let after: string | undefined = await readFile(CURSOR_FILE, 'utf8').then((s) => s.trim() || undefined, () => undefined);
for (;;) {
  // Long poll: the answer comes as soon as an event commits, or empty after 30 s.
  const page = await admin.GET('/admin/v1/events', { params: { query: { types: 'user.deactivated,user.deleted', after, wait: 30, limit: 100 } } });
  if (page.error) throw new Error(`${page.error.type}: ${page.error.detail}`);
  for (const event of page.data.data) {
    const user = event.data.user as { id: string; userName?: unknown };
    await lockOut(event.tenant.slug, user.id, user.userName);
  }
  after = page.data.next;
  await writeFile(CURSOR_FILE, after); // after handling: a crash in between repeats events, never loses one
}
