// What the deploy tests read the Dockerfile, .dockerignore and the docs with. No container engine
// runs on Rollcall's build machines, so the Dockerfile is parsed here (the instructions it uses, in
// the forms Docker documents) and its stages are replayed in temporary folders by dockerfile.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, fromEnv } from '../../src/config/config.ts';
import { cli } from '../../harness/processes.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

export interface Instruction { keyword: string; args: string; line: number }
export interface Stage { name: string; image: string; instructions: Instruction[] }

/** The Dockerfile's instructions: comments dropped, `\` continuations joined, keywords upper-cased. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return; // a comment inside a continued instruction
    if (!pending) start = i + 1;
    if (line.endsWith('\\')) { pending += `${line.slice(0, -1).trim()} `; return; }
    const whole = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/.exec(whole);
    assert.ok(m, `Dockerfile line ${start}`);
    out.push({ keyword: m[1].toUpperCase(), args: m[2], line: start });
  });
  assert.equal(pending, '', 'the Dockerfile does not end inside a continued line');
  return out;
}

/** The stages, with ${ARG} in FROM replaced by the ARG's default (global ARGs before the first FROM). */
export function stages(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const list: Stage[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'ARG' && list.length === 0) {
      const m = /^(\w+)(?:=(.*))?$/.exec(ins.args);
      assert.ok(m, `ARG at line ${ins.line}`);
      args[m[1]] = m[2] ?? '';
    } else if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      assert.ok(m, `FROM at line ${ins.line}`);
      const image = m[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
        const name = a ?? b ?? '';
        assert.ok(name in args, `FROM at line ${ins.line} names \${${name}}, which no ARG before it defines`);
        return args[name];
      });
      list.push({ name: m[2] ?? String(list.length), image, instructions: [] });
    } else {
      assert.ok(list.length, `${ins.keyword} at line ${ins.line} comes before any FROM`);
      list[list.length - 1].instructions.push(ins);
    }
  }
  return { args, stages: list };
}

/** A JSON array (the exec form of CMD, HEALTHCHECK CMD, RUN), or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trim().startsWith('[')) return undefined;
  const parsed = JSON.parse(args) as unknown;
  assert.ok(Array.isArray(parsed) && parsed.every((a) => typeof a === 'string'), `exec form: ${args}`);
  return parsed;
}

/** `--from=build --chown=x` → options, and the words after them. */
export function options(args: string): { opts: Record<string, string>; rest: string[] } {
  const words = args.split(/\s+/).filter(Boolean);
  const opts: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v = ''] = words.shift()!.slice(2).split(/=(.*)/s);
    opts[k] = v;
  }
  return { opts, rest: words };
}

/** ENV k=v k2=v2 (and the old `ENV k v` form). */
export function envPairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!args.includes('=')) {
    const [k, ...v] = args.split(/\s+/);
    out[k] = v.join(' ');
    return out;
  }
  for (const m of args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)) out[m[1]] = m[3] ?? m[2];
  return out;
}

/**
 * A shell command line as words: '…' and "…" quoting, and the `&&` lists Dockerfiles chain
 * commands with. Anything else a shell does (pipes, ;, ||, $(…), redirections) is refused, so the
 * replay in dockerfile.test.ts never misreads a command it does not understand.
 */
export function shellCommands(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '&' && line[i + 1] === '&') {
      if (word !== undefined) commands[commands.length - 1].push(word);
      word = undefined;
      commands.push([]);
      i++;
    } else if (/\s/.test(c)) {
      if (word !== undefined) commands[commands.length - 1].push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      assert.ok(end > 0, `an unclosed ${c} in: ${line}`);
      const inner = line.slice(i + 1, end);
      assert.ok(c === "'" || !/[$`\\]/.test(inner), `no expansions in "…": ${inner}`);
      word = (word ?? '') + inner;
      i = end;
    } else {
      assert.ok(!/[|;<>`$()]/.test(c), `the replay does not understand "${c}" in: ${line}`);
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) commands[commands.length - 1].push(word);
  return commands.filter((c) => c.length);
}

/**
 * A .dockerignore as Docker reads it: the last pattern matching a path, or any folder above it,
 * decides; `!` keeps what an earlier pattern excluded; `*` and `?` stay within one path segment,
 * `**` spans any number of them.
 */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const keep = l.startsWith('!');
    const pattern = (keep ? l.slice(1) : l).trim().replace(/^\/+|\/+$/g, '').replace(/^\.\//, '');
    const source = pattern.split(/(\*\*\/|\*\*|\*|\?)/).map((part) => {
      if (part === '**/') return '(?:.*/)?';
      if (part === '**') return '.*';
      if (part === '*') return '[^/]*';
      if (part === '?') return '[^/]';
      return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }).join('');
    return { keep, re: new RegExp(`^${source}$`) };
  });
  /** True when `path` (relative to the context, / separated) is sent to the builder. */
  return (path: string) => {
    const segments = path.split('/');
    const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    let included = true;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) included = rule.keep;
    return included;
  };
}

/**
 * Whether Rollcall's configuration reads this environment variable: set to a nonsense value, it
 * either changes the configuration or is refused with a ConfigError naming it. Asked of the config
 * module itself (src/config/config.ts, the only reader of process.env), not of a copy of its list.
 */
export function configReads(name: string): boolean {
  try {
    return Object.keys(fromEnv({ [name]: 'x' })).length > 0;
  } catch (err) {
    return err instanceof ConfigError && err.message.includes(name);
  }
}

/** Every ROLLCALL_* name in a text. */
export const rollcallVariables = (text: string) => [...new Set(text.match(/\bROLLCALL_[A-Z0-9_]+\b/g) ?? [])].sort();

/**
 * Checks a documented `rollcall <words…>` command line against the CLI: `--help` on it must show
 * the usage of a real command whose path is the leading words, and the words after that path must
 * fit its arguments (so `tenant craete acme` fails, as it would for the reader).
 */
export function assertCliCommand(words: string[], where: string): void {
  const r = cli([...words, '--help']);
  assert.equal(r.code, 0, `${where}: rollcall ${words.join(' ')} --help exited ${r.code}: ${r.stderr}`);
  const usage = /^Usage: rollcall ?(.*)$/m.exec(r.stdout)?.[1] ?? '';
  const path = usage.split(/\s+/).filter(Boolean);
  const firstPlaceholder = path.findIndex((w) => /^[[<]/.test(w));
  const command = firstPlaceholder < 0 ? path : path.slice(0, firstPlaceholder);
  const placeholders = path.slice(command.length).filter((w) => w !== '[options]' && w !== '[command]');
  assert.ok(command.length > 0, `${where}: rollcall ${words.join(' ')} is not a command (${usage})`);
  assert.deepEqual(words.slice(0, command.length), command, `${where}: rollcall ${words.join(' ')}`);
  const extra = words.slice(command.length);
  assert.ok(!(extra.length && path.includes('[command]')), `${where}: rollcall ${words.join(' ')}: "${extra[0]}" is not a command of rollcall ${command.join(' ')}`);
  assert.ok(extra.length <= placeholders.length, `${where}: rollcall ${words.join(' ')}: rollcall ${command.join(' ')} takes ${placeholders.join(' ') || 'no arguments'}`);
}

/**
 * The `rollcall` command lines a text shows (after `bin/rollcall.js`, `.bin/rollcall` or `npx
 * rollcall`): their command words and arguments, up to the first option, quote, redirection or end.
 */
export function documentedCommands(text: string): string[][] {
  const out: string[][] = [];
  for (const m of text.matchAll(/(?:bin\/rollcall\.js|\.bin\/rollcall|npx rollcall)((?: +[a-z0-9][\w.-]*)+)/g)) out.push(m[1].trim().split(/ +/));
  return out;
}
