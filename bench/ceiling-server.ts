// The ceiling: a bare Fastify 5 server doing the least a JSON API can (GET a small JSON, POST echo
// a user JSON). Rollcall's figures are reported as ratios to this one, measured in the same run.
// One calibration besides: GET /page answers a page of 100 users captured from Rollcall (PUT /page
// sets it), showing what sending a list response costs before any database or rendering work.
import Fastify from 'fastify';
import { USER_SCHEMA } from '../src/scim/schemas/core.ts';

const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
let page = '{}';
app.get('/small', async () => ({ schemas: [USER_SCHEMA], id: '2819c223', userName: 'bjensen', active: true }));
app.post('/echo', async (request) => request.body);
app.put('/page', async (request) => { page = JSON.stringify(request.body); return { bytes: page.length }; });
app.get('/page', async (_request, reply) => reply.type('application/json').send(page));
const port = Number(process.argv[2] ?? 0);
await app.listen({ host: '127.0.0.1', port });
console.log(`ceiling listening on ${port}`);
