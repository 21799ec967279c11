// RFC 7644 §3.4.2.2 filter grammar → AST. Pure: no schema knowledge here; names are resolved
// against a ResourceSchema by the compiler, so an unknown attribute is reported there.
import { invalidFilter, invalidPath } from './errors.ts';
import { stringValueProblem } from './string-value.ts';

export const COMPARE_OPS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];
export type FilterValue = string | number | boolean | null;

/** An attribute path as written: [urn ":"] attr ["." subAttr]. */
export interface AttrPath {
  urn?: string;
  attr: string;
  subAttr?: string;
  /** The path exactly as the client wrote it, for error messages. */
  text: string;
}

export type Filter =
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; filter: Filter }
  | { op: 'pr'; path: AttrPath }
  | { op: CompareOp; path: AttrPath; value: FilterValue }
  /** attr[filter]: the inner filter's paths are relative to attr (RFC 7644 §3.4.2.2 valuePath). */
  | { op: 'valuePath'; path: AttrPath; filter: Filter };

export const MAX_FILTER_LENGTH = 8192;
const MAX_DEPTH = 32;

type Token =
  | { kind: '(' | ')' | '[' | ']'; pos: number }
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'end'; pos: number };

// '+' appears in numbers (1e+3) and in bare dates with a positive offset (…T14:38:21+07:00).
const WORD = /[A-Za-z0-9_:$.+-]/;

function describe(t: Token): string {
  switch (t.kind) {
    case 'end': return 'the end of the filter';
    case 'word': return `"${t.text}"`;
    case 'string': return `the string ${JSON.stringify(t.value)}`;
    default: return `"${t.kind}"`;
  }
}

function tokenize(input: string, fail: (pos: number, msg: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    if (c === '(' || c === ')' || c === '[' || c === ']') { tokens.push({ kind: c, pos: i }); i++; continue; }
    if (c === '"') {
      // A JSON string (RFC 7644 §3.4.2.2: compValue strings are JSON strings).
      let j = i + 1;
      while (j < input.length && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= input.length) fail(i, 'the string starting here is never closed with a double quote');
      let value: string;
      try { value = JSON.parse(input.slice(i, j + 1)) as string; } catch { fail(i, 'the string starting here has an invalid escape sequence'); }
      // No stored value can hold such a string (string-value.ts), and PostgreSQL cannot even be asked.
      const problem = stringValueProblem(value);
      if (problem) fail(i, `the string starting here ${problem}`);
      tokens.push({ kind: 'string', value, pos: i });
      i = j + 1;
      continue;
    }
    if (WORD.test(c)) {
      let j = i;
      while (j < input.length && WORD.test(input[j])) j++;
      tokens.push({ kind: 'word', text: input.slice(i, j), pos: i });
      i = j;
      continue;
    }
    fail(i, `unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: 'end', pos: input.length });
  return tokens;
}

/** Splits "urn:…:User:name.givenName" → urn, attr, subAttr. The URN is everything before the last ':'. */
export function parseAttrPath(text: string): AttrPath | undefined {
  let urn: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const cut = text.lastIndexOf(':');
    urn = text.slice(0, cut);
    rest = text.slice(cut + 1);
  }
  const m = /^([A-Za-z$][\w$-]*)(?:\.([A-Za-z$][\w$-]*))?$/.exec(rest);
  if (!m) return undefined;
  return { urn, attr: m[1], subAttr: m[2], text };
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: Token[], private readonly fail: (pos: number, msg: string) => never) {}

  peek(): Token { return this.tokens[this.i]; }
  next(): Token { return this.tokens[this.i++]; }
  isWord(t: Token, word: string): boolean { return t.kind === 'word' && t.text.toLowerCase() === word; }

  expect(kind: Token['kind'], what: string): Token {
    const t = this.next();
    if (t.kind !== kind) this.fail(t.pos, `expected ${what}, found ${describe(t)}`);
    return t;
  }

  parseFilter(inValuePath: boolean): Filter {
    if (++this.depth > MAX_DEPTH) this.fail(this.peek().pos, `filters may nest at most ${MAX_DEPTH} levels deep`);
    let left = this.parseAnd(inValuePath);
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      left = { op: 'or', left, right: this.parseAnd(inValuePath) };
    }
    this.depth--;
    return left;
  }

  parseAnd(inValuePath: boolean): Filter {
    let left = this.parseUnary(inValuePath);
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      left = { op: 'and', left, right: this.parseUnary(inValuePath) };
    }
    return left;
  }

  parseUnary(inValuePath: boolean): Filter {
    const t = this.peek();
    if (this.isWord(t, 'not') && this.tokens[this.i + 1]?.kind === '(') {
      this.next();
      return { op: 'not', filter: this.parseGroup(inValuePath) };
    }
    if (t.kind === '(') return this.parseGroup(inValuePath);
    return this.parseAttrExpression(inValuePath);
  }

  parseGroup(inValuePath: boolean): Filter {
    this.expect('(', '"("');
    const inner = this.parseFilter(inValuePath);
    this.expect(')', 'a closing ")"');
    return inner;
  }

  parsePath(): { path: AttrPath; pos: number } {
    const t = this.next();
    if (t.kind !== 'word') this.fail(t.pos, `expected an attribute name, found ${describe(t)}`);
    const path = parseAttrPath(t.text);
    if (!path) this.fail(t.pos, `"${t.text}" is not a valid attribute path`);
    return { path, pos: t.pos };
  }

  parseAttrExpression(inValuePath: boolean): Filter {
    const { path, pos } = this.parsePath();
    if (this.peek().kind === '[') {
      if (inValuePath) this.fail(this.peek().pos, 'a value filter ("[...]") cannot be nested inside another');
      if (path.subAttr) this.fail(pos, `a value filter applies to a multi-valued attribute, not to the sub-attribute "${path.text}"`);
      this.next();
      const filter = this.parseFilter(true);
      this.expect(']', 'a closing "]"');
      // `emails[type eq "work"].value eq "x"`: not in the RFC grammar, but Microsoft's SCIM guide
      // tells servers to accept it; it means `emails[type eq "work" and value eq "x"]`.
      const after = this.peek();
      if (after.kind === 'word' && /^\.[A-Za-z$][\w$-]*$/.test(after.text)) {
        this.next();
        const sub: AttrPath = { attr: after.text.slice(1), text: after.text.slice(1) };
        const opToken = this.next();
        const op = opToken.kind === 'word' ? opToken.text.toLowerCase() : '';
        const term: Filter = op === 'pr' ? { op: 'pr', path: sub }
          : (COMPARE_OPS as readonly string[]).includes(op) ? { op: op as CompareOp, path: sub, value: this.parseValue(op) }
          : this.fail(opToken.pos, `expected an operator after "${path.text}[...]${after.text}", found ${describe(opToken)}`);
        return { op: 'valuePath', path, filter: { op: 'and', left: filter, right: term } };
      }
      return { op: 'valuePath', path, filter };
    }
    const opToken = this.next();
    if (opToken.kind !== 'word') this.fail(opToken.pos, `expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "${path.text}", found ${describe(opToken)}`);
    const op = opToken.text.toLowerCase();
    if (op === 'pr') return { op: 'pr', path };
    if (!(COMPARE_OPS as readonly string[]).includes(op)) {
      this.fail(opToken.pos, `"${opToken.text}" is not a filter operator; expected one of eq, ne, co, sw, ew, gt, ge, lt, le, pr`);
    }
    return { op: op as CompareOp, path, value: this.parseValue(op) };
  }

  parseValue(op: string): FilterValue {
    const t = this.next();
    if (t.kind === 'string') return t.value;
    if (t.kind === 'word') {
      const w = t.text.toLowerCase();
      if (w === 'true') return true;
      if (w === 'false') return false;
      if (w === 'null') return null;
      if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t.text)) return Number(t.text);
      // RFC 7644 wants strings quoted; Microsoft's reference suite sends bare words
      // (`name.familyName eq Employee`, `meta.created gt 2015-10-10T14:38:21-07:00`). Read them as strings.
      return t.text;
    }
    this.fail(t.pos, `expected a value after "${op}" (a "quoted string", a number, true, false or null), found ${describe(t)}`);
  }
}

function failer(input: string, make: (detail: string) => Error) {
  return (pos: number, msg: string): never => {
    throw make(`Invalid filter ${JSON.stringify(input.length > 200 ? input.slice(0, 200) + '…' : input)} at position ${pos + 1}: ${msg}.`);
  };
}

/** Parses a filter (the `filter` query parameter or a /.search body). Throws 400 invalidFilter. */
export function parseFilter(input: string): Filter {
  if (input.length > MAX_FILTER_LENGTH) throw invalidFilter(`Filter is ${input.length} characters long; the maximum is ${MAX_FILTER_LENGTH}.`);
  if (input.trim() === '') throw invalidFilter('Filter is empty.');
  const fail = failer(input, invalidFilter);
  const parser = new Parser(tokenize(input, fail), fail);
  const filter = parser.parseFilter(false);
  const rest = parser.peek();
  if (rest.kind !== 'end') fail(rest.pos, `unexpected ${describe(rest)}; combine expressions with "and" or "or"`);
  return filter;
}

/** A PATCH path (RFC 7644 §3.5.2): attrPath, or valuePath with an optional ".subAttr". */
export interface PatchPath {
  path: AttrPath;
  filter?: Filter;
  /** Sub-attribute after the value filter: emails[type eq "work"].value */
  subAttr?: string;
}

export function parsePatchPath(input: string): PatchPath {
  const make = (d: string) => invalidPath(d.replace(/^Invalid filter/, 'Invalid path'));
  if (input.length > MAX_FILTER_LENGTH) throw invalidPath(`Path is longer than ${MAX_FILTER_LENGTH} characters.`);
  if (input.trim() === '') throw invalidPath('Path is empty.');
  const fail = failer(input, make);
  const tokens = tokenize(input, fail);
  const parser = new Parser(tokens, fail);
  const { path, pos } = parser.parsePath();
  let filter: Filter | undefined;
  let subAttr: string | undefined;
  if (parser.peek().kind === '[') {
    if (path.subAttr) fail(pos, `a value filter applies to a multi-valued attribute, not to "${path.text}"`);
    parser.next();
    filter = parser.parseFilter(true);
    parser.expect(']', 'a closing "]"');
    const after = parser.peek();
    if (after.kind === 'word') {
      if (!/^\.[A-Za-z$][\w$-]*$/.test(after.text)) fail(after.pos, `expected ".subAttribute" after "]", found ${describe(after)}`);
      subAttr = after.text.slice(1);
      parser.next();
    }
  }
  const rest = parser.peek();
  if (rest.kind !== 'end') fail(rest.pos, `unexpected ${describe(rest)}`);
  return { path, filter, subAttr };
}
