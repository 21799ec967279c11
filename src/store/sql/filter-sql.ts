// Compiles a SCIM filter AST (scim/filter.ts) to one SQL boolean expression with bound
// parameters, over the mapping in tables.ts. Nothing is ever evaluated by loading rows.
import { sql } from './kysely.ts';
import { invalidFilter, invalidValue, ScimError, type ErrorReason } from '../../scim/errors.ts';
import type { AttrPath, CompareOp, Filter, FilterValue } from '../../scim/filter.ts';
import { resolveAttribute, type ResolvedAttribute } from '../../scim/schemas/resource-schema.ts';
import { findAttribute, type AttributeDef } from '../../scim/schemas/types.ts';
import { stringValueProblem } from '../../scim/string-value.ts';
import { escapeLike, type Sql, type SqlDialect } from './dialect.ts';
import type { Operand, ResourceMapping, RowSource } from './tables.ts';

/** An invalid filter: the clause is kept apart from the prefix so sortBy can reuse it in its own words. */
function filterError(clause: string, reason: Partial<ErrorReason> = {}): ScimError {
  return invalidFilter(`Invalid filter: ${clause}.`, { code: 'invalidFilter', ...reason, clause });
}

const FALSE = sql`1 = 0`;

/** Where a path leads: a scalar operand, or rows of a multi-valued attribute (with the sub-attribute). */
type Target =
  | { kind: 'scalar'; operand: Operand; def: AttributeDef }
  | { kind: 'rows'; source: RowSource; def: AttributeDef; sub?: AttributeDef; custom?: boolean }
  | { kind: 'json-array'; keys: string[]; def: AttributeDef; sub?: AttributeDef };

export class FilterCompiler {
  /** Compiles for one tenant: row-source subqueries are bound to it (tables.ts RowSource). */
  constructor(readonly dialect: SqlDialect, readonly mapping: ResourceMapping, readonly tenantId: string) {}

  compile(filter: Filter): Sql {
    switch (filter.op) {
      case 'and': return sql`(${this.compile(filter.left)} AND ${this.compile(filter.right)})`;
      case 'or': return sql`(${this.compile(filter.left)} OR ${this.compile(filter.right)})`;
      // coalesce: SQL's NULL must not make "not (title eq x)" drop users without a title.
      case 'not': return sql`NOT coalesce(${this.compile(filter.filter)}, ${FALSE})`;
      case 'valuePath': return this.valuePath(filter.path, filter.filter);
      default: return this.attrExpression(filter.path, filter.op, filter.op === 'pr' ? undefined : filter.value);
    }
  }

  private resolve(path: AttrPath): ResolvedAttribute {
    const r = resolveAttribute(this.mapping.rs, path.attr, path.urn);
    if (!r) {
      const resourceType = this.mapping.rs.type.name;
      throw filterError(`"${path.text}" is not an attribute of ${resourceType}`, { code: 'unknownAttribute', attribute: path.text, resourceType });
    }
    return r;
  }

  private target(path: AttrPath): Target {
    const r = this.resolve(path);
    const def = r.def;
    let sub: AttributeDef | undefined;
    if (path.subAttr) {
      sub = findAttribute(def.subAttributes, path.subAttr);
      if (!sub) throw filterError(`"${def.name}" has no sub-attribute "${path.subAttr}"`);
    }
    const key = r.extension ? `${r.schema}:${def.name}` : def.name;
    // A custom attribute (simple, single- or multi-valued) compares on its own rows: it is its own "value".
    const customSource = r.extension ? this.mapping.customs[key] : undefined;
    if (customSource) return { kind: 'rows', source: customSource, def, sub: sub ?? def, custom: true };
    if (def.multiValued) {
      // RFC 7644 §3.4.2.2: a multi-valued complex attribute without a sub-attribute means its "value".
      if (!sub && def.type === 'complex') sub = findAttribute(def.subAttributes, 'value');
      const source = this.mapping.rowSources[key];
      if (source) return { kind: 'rows', source, def, sub };
      return { kind: 'json-array', keys: r.extension ? [r.schema, def.name] : [def.name], def, sub };
    }
    const columnKey = sub ? `${key}.${sub.name}` : key;
    const column = this.mapping.columns[columnKey];
    const leaf = sub ?? def;
    if (column) return { kind: 'scalar', operand: column, def: leaf };
    if (leaf.type === 'complex') return { kind: 'scalar', operand: { expr: sql`NULL`, type: 'complex', caseExact: false }, def: leaf };
    if (!r.extension && def.name === 'meta') {
      // Behind a CAST: PostgreSQL refuses a bare string constant in ORDER BY ("non-integer constant
      // in ORDER BY"), so sortBy=meta.resourceType was a 500 there (found by the fuzz test).
      if (sub?.name === 'resourceType') return { kind: 'scalar', operand: { expr: sql`CAST(${sql.lit(this.mapping.rs.type.name)} AS TEXT)`, type: 'string', caseExact: true }, def: leaf };
      throw filterError(`"${path.text}" cannot be filtered on`);
    }
    const keys = [...(r.extension ? [r.schema] : []), def.name, ...(sub ? [sub.name] : [])];
    return { kind: 'scalar', operand: this.jsonOperand(keys, leaf), def: leaf };
  }

  private jsonOperand(keys: string[], def: AttributeDef): Operand {
    const doc = sql.ref('r.doc');
    const expr = def.type === 'boolean' ? this.dialect.jsonBool(doc, keys)
      : def.type === 'integer' || def.type === 'decimal' ? this.dialect.jsonNumber(doc, keys)
      : this.dialect.jsonText(doc, keys);
    return { expr, type: def.type, caseExact: def.caseExact };
  }

  private attrExpression(path: AttrPath, op: CompareOp | 'pr', value: FilterValue | undefined): Sql {
    const t = this.target(path);
    if (t.kind === 'scalar') {
      if (op === 'pr') {
        if (t.def.type === 'complex') {
          const r = this.resolve(path);
          return this.dialect.jsonPresent(sql.ref('r.doc'), r.extension ? [r.schema, r.def.name] : [r.def.name]);
        }
        return present(t.operand);
      }
      return this.compare(t.operand, t.def, op, value!, path.text);
    }
    if (!t.sub) throw filterError(`"${path.text}" needs a sub-attribute to compare`);
    const sub = t.sub;
    if (t.kind === 'rows' && t.custom && !t.def.multiValued && op !== 'pr') {
      // A single-valued attribute without a value has no row. As for attributes read from the
      // document, "eq null" and "ne x" must still match the resources lacking it: negate the rows.
      if (op === 'eq' && value === null) return sql`NOT coalesce(${t.source.exists(sql`1 = 1`, this.tenantId)}, ${FALSE})`;
      if (op === 'ne' && value !== null) return sql`NOT coalesce(${this.inRows(t, (operandOf) => this.compare(operandOf(sub), sub, 'eq', value!, path.text))}, ${FALSE})`;
    }
    return this.inRows(t, (operandOf) => {
      const operand = operandOf(sub);
      return op === 'pr' ? present(operand) : this.compare(operand, sub, op, value!, path.text);
    });
  }

  private valuePath(path: AttrPath, inner: Filter): Sql {
    const t = this.target(path);
    if (t.kind === 'scalar') throw filterError(`"${path.text}[...]" needs a multi-valued attribute`);
    return this.inRows(t, (operandOf) => this.compileInner(t.def, inner, operandOf));
  }

  /** EXISTS over the values of a multi-valued attribute, with a condition built per element. */
  private inRows(t: Exclude<Target, { kind: 'scalar' }>, build: (operandOf: (sub: AttributeDef) => Operand) => Sql): Sql {
    if (t.kind === 'rows') {
      return t.source.exists(build((sub) => t.source.sub(sub.name) ?? { expr: sql`NULL`, type: sub.type, caseExact: sub.caseExact }), this.tenantId);
    }
    return this.dialect.jsonArrayExists(sql.ref('r.doc'), t.keys, (subText) =>
      build((sub) => ({ expr: subText(sub.name, sub.type), type: sub.type, caseExact: sub.caseExact })));
  }

  /** A filter inside "attr[...]": its paths name sub-attributes of attr. */
  compileInner(parent: AttributeDef, f: Filter, operandOf: (sub: AttributeDef) => Operand): Sql {
    switch (f.op) {
      case 'and': return sql`(${this.compileInner(parent, f.left, operandOf)} AND ${this.compileInner(parent, f.right, operandOf)})`;
      case 'or': return sql`(${this.compileInner(parent, f.left, operandOf)} OR ${this.compileInner(parent, f.right, operandOf)})`;
      case 'not': return sql`NOT coalesce(${this.compileInner(parent, f.filter, operandOf)}, ${FALSE})`;
      case 'valuePath': throw filterError('value filters ("[...]") cannot be nested');
      default: {
        const sub = findAttribute(parent.subAttributes, f.path.attr);
        if (!sub || f.path.subAttr || f.path.urn) throw filterError(`"${parent.name}" has no sub-attribute "${f.path.text}"`);
        const operand = operandOf(sub);
        return f.op === 'pr' ? present(operand) : this.compare(operand, sub, f.op, f.value, f.path.text);
      }
    }
  }

  private compare(operand: Operand, def: AttributeDef, op: CompareOp, value: FilterValue, text: string): Sql {
    const expr = operand.expr;
    if (def.type === 'complex') throw filterError(`"${text}" is a complex attribute; compare one of its sub-attributes`);
    if (value === null) {
      if (op === 'eq') return sql`${expr} IS NULL`;
      if (op === 'ne') return sql`${expr} IS NOT NULL`;
      throw filterError(`"${op}" cannot compare with null`);
    }
    if (operand.type === 'boolean' || def.type === 'boolean') {
      const b = typeof value === 'boolean' ? value : typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : undefined;
      if (b === undefined) throw filterError(`"${text}" is a boolean; compare it with true or false`);
      if (op === 'eq') return sql`${expr} = ${this.dialect.bool(b)}`;
      if (op === 'ne') return sql`(${expr} IS NULL OR ${expr} <> ${this.dialect.bool(b)})`;
      throw filterError(`"${op}" cannot be used with the boolean attribute "${text}"`);
    }
    if (def.type === 'integer' || def.type === 'decimal') {
      const n = typeof value === 'number' ? value : Number(value);
      if (!Number.isFinite(n)) throw filterError(`"${text}" is a number; ${JSON.stringify(value)} is not`);
      if (op === 'co' || op === 'sw' || op === 'ew') throw filterError(`"${op}" cannot be used with the number "${text}"`);
      return this.ordered(expr, op, n);
    }
    let v = typeof value === 'string' ? value : String(value);
    // The parser refuses these already; a filter built otherwise must not reach PostgreSQL either.
    const problem = stringValueProblem(v);
    if (problem) throw filterError(`the value compared with "${text}" ${problem}`, { code: 'unstorableString', attribute: text });
    if (def.type === 'dateTime') {
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw filterError(`"${text}" is a dateTime; compare it with a date such as "2026-01-31T00:00:00Z"`);
      v = new Date(value).toISOString();
      if (op === 'co' || op === 'sw' || op === 'ew') throw filterError(`"${op}" cannot be used with the dateTime "${text}"`);
      return this.ordered(expr, op, v);
    }
    if (def.type === 'binary' && op !== 'eq' && op !== 'ne') throw filterError(`"${op}" cannot be used with the binary attribute "${text}"`);
    const exact = operand.caseExact && !operand.lowered;
    const lhs = exact || operand.lowered ? expr : sql`lower(${expr})`;
    if (!exact) v = v.toLowerCase();
    switch (op) {
      case 'co': return exact ? this.dialect.containsExact(lhs, v) : sql`${lhs} LIKE ${'%' + escapeLike(v) + '%'} ESCAPE '\\'`;
      case 'sw': return exact ? this.dialect.startsWithExact(lhs, v) : sql`${lhs} LIKE ${escapeLike(v) + '%'} ESCAPE '\\'`;
      case 'ew': return exact ? this.dialect.endsWithExact(lhs, v) : sql`${lhs} LIKE ${'%' + escapeLike(v)} ESCAPE '\\'`;
      default: return this.ordered(lhs, op, v);
    }
  }

  private ordered(lhs: Sql, op: CompareOp, v: string | number): Sql {
    switch (op) {
      case 'eq': return sql`${lhs} = ${v}`;
      case 'ne': return sql`(${lhs} IS NULL OR ${lhs} <> ${v})`;
      case 'gt': return sql`${lhs} > ${v}`;
      case 'ge': return sql`${lhs} >= ${v}`;
      case 'lt': return sql`${lhs} < ${v}`;
      case 'le': return sql`${lhs} <= ${v}`;
    }
    throw filterError(`operator "${op}" is not supported here`);
  }

  /** ORDER BY expression for sortBy (RFC 7644 §3.4.2.3); multi-valued sorts by the primary value. */
  sortExpression(path: AttrPath): Sql {
    const cannot = (why: string, reason: Partial<ErrorReason> = {}) => invalidValue(`"sortBy" cannot sort by "${path.text}": ${why}.`, { code: 'invalidSort', ...reason, attribute: path.text });
    let t: Target;
    try {
      t = this.target(path);
    } catch (err) {
      if (err instanceof ScimError && err.reason?.clause) throw cannot(err.reason.clause, { code: err.reason.code });
      throw err;
    }
    if (t.kind === 'scalar') {
      if (t.def.type === 'complex') throw cannot('it is complex; name one of its sub-attributes');
      // Only text folds case: PostgreSQL has no lower(boolean) or lower(numeric), so sortBy=active was
      // a 500 there while SQLite sorted (found by test/http/fuzz.test.ts), and lower(number) on SQLite
      // would sort numbers as text.
      const text = t.operand.type === 'string' || t.operand.type === 'reference' || t.operand.type === 'binary';
      return !text || t.operand.caseExact || t.operand.lowered ? t.operand.expr : sql`lower(${t.operand.expr})`;
    }
    const first = t.kind === 'rows' && t.sub ? t.source.first?.(t.sub.name) : undefined;
    if (first) return first;
    throw cannot('sorting is supported on single-valued attributes and on value, type and display of emails, phoneNumbers, ims, photos, entitlements, roles and x509Certificates');
  }
}

function present(operand: Operand): Sql {
  if (operand.type === 'boolean' || operand.type === 'integer' || operand.type === 'decimal') return sql`${operand.expr} IS NOT NULL`;
  return sql`(${operand.expr} IS NOT NULL AND ${operand.expr} <> '')`;
}

