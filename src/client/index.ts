// The typed admin API client: `import { RollcallAdmin } from 'rollcall/client'`. Its types are
// generated from the server's own OpenAPI document (schema.ts, `npm run generate:client`); requests
// go through openapi-fetch, so every path, parameter, body and response is checked by TypeScript.
//
//   const admin = RollcallAdmin({ baseUrl: 'https://rollcall.example.com', key: process.env.ROLLCALL_ADMIN_KEY! });
//   const { data, error } = await admin.GET('/admin/v1/tenants/{tenant}/users', { params: { path: { tenant: 'acme' }, query: { filter: 'userName sw "a"' } } });
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.ts';

export type { components, operations, paths };
export type RollcallAdminClient = Client<paths>;

export interface RollcallAdminOptions {
  /** Where Rollcall is served (its ROLLCALL_PUBLIC_URL), without /admin/v1. */
  baseUrl: string;
  /** An admin API key (rca_…), from `rollcall admin-key create`. */
  key: string;
  /** A fetch implementation (default: the global fetch). */
  fetch?: ClientOptions['fetch'];
  /** Extra headers sent with every request (e.g. x-request-id). */
  headers?: Record<string, string>;
}

export function RollcallAdmin(options: RollcallAdminOptions): RollcallAdminClient {
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    fetch: options.fetch,
    headers: { ...options.headers, authorization: `Bearer ${options.key}` },
  });
}
