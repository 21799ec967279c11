// The ceiling: a bare Fastify 5 server doing the least a JSON API can (GET a small JSON, POST
// echo a user JSON). Rollcall's figures are reported as ratios to this one, measured in the same run.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/small', async () => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: '2819c223', userName: 'bjensen', active: true }));
app.post('/echo', async (request) => request.body);
const port = Number(process.argv[2] ?? 0);
await app.listen({ host: '127.0.0.1', port });
console.log(`ceiling listening on ${port}`);
