// How the admin API validates requests. Fastify's default Ajv settings suit forgiving HTTP APIs:
// they drop unknown properties and convert types ({"slug": 5} would create tenant "5"). The admin
// API is strict instead, so a typo or a wrong type is a 400 naming the field, never silently
// ignored or reinterpreted. Query strings and path parameters arrive as text, so numbers there are
// still read as numbers (`?limit=20`); bodies are taken exactly as sent.
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

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
