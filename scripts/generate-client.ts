// npm run generate:client — writes src/client/schema.ts, the types of the typed admin client, from
// the OpenAPI document the server itself serves (built from the route schemas; nothing hand-kept).
// test/http/admin-openapi.test.ts fails when the committed file differs from a fresh generation.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clientSchemaSource } from '../harness/openapi.ts';

const target = fileURLToPath(new URL('../src/client/schema.ts', import.meta.url));
writeFileSync(target, await clientSchemaSource());
console.log(`wrote ${target}`);
