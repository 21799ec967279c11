// Another program of the vendor's, outside the app: a nightly report of the users each customer's
// identity provider has deactivated, read through Rollcall's admin API with the typed client.
//
//   ROLLCALL_URL=https://app.example.com/identity ROLLCALL_ADMIN_KEY=rca_… node dist/deactivated-report.js
import { RollcallAdmin } from 'rollcall/client';

const admin = RollcallAdmin({ baseUrl: process.env.ROLLCALL_URL ?? 'http://127.0.0.1:3000/identity', key: process.env.ROLLCALL_ADMIN_KEY ?? '' });

let after: string | undefined;
do {
  const tenants = await admin.GET('/admin/v1/tenants', { params: { query: { after, limit: 100 } } });
  if (tenants.error) throw new Error(`${tenants.error.type}: ${tenants.error.detail}`);
  for (const tenant of tenants.data.data) {
    const users = await admin.GET('/admin/v1/tenants/{tenant}/users', { params: { path: { tenant: tenant.slug }, query: { filter: 'active eq false', limit: 500 } } });
    if (users.error) throw new Error(`${users.error.type}: ${users.error.detail}`);
    for (const user of users.data.data) console.log(`${tenant.slug}\t${user.userName}\tdeactivated, last change ${user.updatedAt}`);
  }
  after = tenants.data.next ?? undefined;
} while (after);
