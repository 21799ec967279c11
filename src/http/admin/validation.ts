// How the admin API validates requests. Fastify's default Ajv settings suit forgiving HTTP APIs:
// they drop unknown properties and convert types ({"slug": 5} would create tenant "5"). The admin
// API is strict instead, so a typo or a wrong type is a 400 naming the field, never silently
// ignored or reinterpreted. Query strings and path parameters arrive as text, so numbers there are
// still read as numbers (`?limit=20`); bodies are taken exactly as sent.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { stringValueProblem } from '../../scim/string-value.ts';
import { Problem } from './problem.ts';

function ajv(coerceTypes: boolean): Ajv {
  const options: Options = { coerceTypes, removeAdditional: false, useDefaults: true, allErrors: false, strict: false };
  const instance = new Ajv(options);
  addFormats.default(instance);
  return instance;
}

export function strictValidatorCompiler(): FastifySchemaCompiler<object> {
  const body = ajv(false);
  const text = ajv(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema) as ReturnType<FastifySchemaCompiler<object>>;
}

/** The first string in a JSON value that no database can store faithfully, with its field path. */
function unstorable(value: unknown, path: string, depth = 0): { path: string; problem: string } | undefined {
  if (typeof value === 'string') {
    const problem = stringValueProblem(value);
    return problem ? { path, problem } : undefined;
  }
  if (depth > 64 || value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = unstorable(k, path ? `${path}.${k}` : k, depth + 1) ?? unstorable(v, path ? `${path}.${k}` : k, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * preValidation hook: a NUL or an unpaired surrogate anywhere in the query, path or body is a 400
 * naming the field, before any handler runs. PostgreSQL cannot store either (SQLite can), so
 * without this a tenant name like "\u0000" was a 500 on one database and not the other, and a
 * token named "\ud800" was created before its audit entry failed, leaving a live token whose secret
 * was never shown.
 */
export async function refuseUnstorableStrings(request: FastifyRequest): Promise<void> {
  const found = unstorable(request.params, '') ?? unstorable(request.query, '') ?? unstorable(request.body, '');
  if (found) throw new Problem(400, 'invalid-request', `${found.path || 'A value'} ${found.problem}.`, { field: found.path });
}
