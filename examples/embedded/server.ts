// A vendor's own app with Rollcall inside it: the app's API under /api, Rollcall's SCIM surface
// under /identity for its customers' identity providers, and the app's code reading the users and
// groups those identity providers pushed. docs/library.md walks through it.
//
//   PORT=3000 DATABASE_URL=sqlite:./rollcall.db npm start
//   curl -X POST localhost:3000/api/organisations -H 'content-type: application/json' -d '{"slug":"acme"}'
//   → the SCIM base URL and bearer token to paste into Okta or Entra ID
import Fastify from 'fastify';
import { createRollcall, ScimError, TenantError } from 'rollcall';

const port = Number(process.env.PORT ?? 3000);
// Where this app is reached from outside (behind a proxy: its public https URL).
const appUrl = process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`;

const rollcall = await createRollcall({
  database: process.env.DATABASE_URL ?? 'sqlite:./rollcall.db',
  // Rollcall builds every URL it returns (meta.location, $ref) from this: it includes the prefix below.
  publicUrl: `${appUrl}/identity`,
});

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });
await app.register(rollcall.plugin, { prefix: '/identity' });

// The app's own errors. Rollcall's SCIM routes keep their SCIM errors: this handler is not theirs.
app.setErrorHandler((err, request, reply) => {
  if (err instanceof TenantError) return reply.code(400).send({ error: err.message });
  if (err instanceof ScimError) return reply.code(err.status).send({ error: err.message });
  request.log.error(err);
  return reply.code(500).send({ error: 'Internal error' });
});

app.get('/api/health', async () => ({ ok: true }));

// Onboarding a customer: its organisation becomes a Rollcall tenant, and its admin gets the SCIM
// URL and token to paste into the identity provider (the token is shown this once).
app.post<{ Body: { slug: string; name?: string } }>('/api/organisations', {
  schema: { body: { type: 'object', required: ['slug'], properties: { slug: { type: 'string' }, name: { type: 'string' } } } },
}, async (request, reply) => {
  const tenant = await rollcall.tenants.create(request.body.slug, { name: request.body.name });
  const { token, record } = await rollcall.tokens.issue(tenant.slug);
  return reply.code(201).send({ organisation: tenant.slug, scimUrl: rollcall.scimUrl(tenant.slug), token, expiresAt: record.expiresAt });
});

// The app's own use of the directory: who may sign in, as the customer's IdP says.
app.get<{ Params: { org: string }; Querystring: { startsWith?: string } }>('/api/organisations/:org/people', async (request, reply) => {
  if (!(await rollcall.tenants.get(request.params.org))) return reply.code(404).send({ error: 'No such organisation.' });
  const { startsWith } = request.query;
  // A SCIM string literal is a JSON string: JSON.stringify quotes and escapes whatever was typed.
  const filter = startsWith ? `active eq true and userName sw ${JSON.stringify(startsWith)}` : 'active eq true';
  const page = await rollcall.tenant(request.params.org).users.list({ filter, sortBy: 'userName', count: 50, attributes: 'userName,name,emails' });
  return { total: page.totalResults, people: page.Resources.map((u) => ({ id: u.id, userName: u.userName, name: u.name })) };
});

// Close the server first (requests in flight finish), then Rollcall's database.
const stop = async () => {
  await app.close();
  await rollcall.close();
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port });
