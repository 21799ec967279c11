// The rows of an import file, one at a time, as SCIM user bodies. CSV and NDJSON are streamed (a
// piece of the file in memory at a time, and each record bounded by MAX_RECORD_CHARS); a JSON file
// is one document and is parsed whole, so it is refused above MAX_JSON_BYTES (NDJSON has no limit).
import { createReadStream, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { TenantSchemas } from '../../store/store.ts';
import { CsvReader } from './csv.ts';
import { mapColumns, MappingError, rowToBody, splitGroups, type Target } from './mapping.ts';

/** One record of the file: its body and group names, or why it could not be read. */
export interface ImportRecord {
  /** 1-based number of the record among the file's data rows (a CSV header is not a row). */
  row: number;
  /** The line of the file on which it starts. */
  line: number;
  body?: Record<string, unknown>;
  groups?: string[];
  error?: string;
}

export type Format = 'csv' | 'json' | 'ndjson';

/** Longest record read, in characters; a longer one is an error of its row (never held in memory). */
export const MAX_RECORD_CHARS = 1 << 20;
/** Largest .json file accepted (it is parsed whole); use NDJSON for more. */
export const MAX_JSON_BYTES = 256 << 20;

export function formatOf(file: string): Format {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === 'csv') return 'csv';
  if (ext === 'json') return 'json';
  if (ext === 'ndjson' || ext === 'jsonl') return 'ndjson';
  throw new MappingError(`cannot tell the format of ${file}: name it .csv, .json or .ndjson (.jsonl)`);
}

/** Progress through the file: bytes read so far. */
export interface Source { records: AsyncIterable<ImportRecord>; bytesRead: () => number; size: number }

export async function openSource(file: string, format: Format, schemas: TenantSchemas, map?: Record<string, string | null>): Promise<Source> {
  const size = statSync(file).size;
  let bytes = 0;
  const chunks = async function* (): AsyncGenerator<string> {
    const decoder = new StringDecoder('utf8');
    for await (const buf of createReadStream(file, { highWaterMark: 1 << 16 })) {
      bytes += (buf as Buffer).length;
      yield decoder.write(buf as Buffer);
    }
    yield decoder.end();
  };
  if (format === 'json') {
    if (size > MAX_JSON_BYTES) throw new MappingError(`${file} is ${Math.round(size / 1048576)} MiB; a .json file is read whole, up to ${MAX_JSON_BYTES / 1048576} MiB: write NDJSON (one user per line) instead`);
    const text = await readFile(file, 'utf8');
    bytes = size;
    return { records: jsonRecords(jsonList(text, file)), bytesRead: () => bytes, size };
  }
  if (format === 'ndjson') return { records: ndjsonRecords(chunks()), bytesRead: () => bytes, size };
  // CSV: the header row first, mapped before any row is read (an unknown column stops the import before it starts).
  const it = csvRecords(chunks())[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.error) first = await it.next();
  if (first.done) throw new MappingError(`${file} has no header row`);
  const header = first.value;
  const targets = mapColumns(header.fields, schemas, map);
  return { records: csvRows(it, header.fields.length, targets), bytesRead: () => bytes, size };
}

async function* csvRecords(chunks: AsyncIterable<string>) {
  const reader = new CsvReader(MAX_RECORD_CHARS);
  for await (const text of chunks) yield* reader.push(text);
  yield* reader.finish();
}

async function* csvRows(it: AsyncIterator<{ fields: string[]; line: number; error?: string }>, width: number, targets: Target[]): AsyncGenerator<ImportRecord> {
  let row = 0;
  for (let r = await it.next(); !r.done; r = await it.next()) {
    const rec = r.value;
    row++;
    if (rec.error) { yield { row, line: rec.line, error: rec.error }; continue; }
    if (rec.fields.length !== width) { yield { row, line: rec.line, error: `the row has ${rec.fields.length} field${rec.fields.length === 1 ? '' : 's'}, the header ${width}` }; continue; }
    yield { row, line: rec.line, ...rowToBody(targets, rec.fields) };
  }
}

async function* ndjsonRecords(chunks: AsyncIterable<string>): AsyncGenerator<ImportRecord> {
  let line = 0;
  let row = 0;
  let pending = '';
  let tooLong = false;
  const one = (text: string, lineNo: number): ImportRecord | undefined => {
    if (text.trim() === '') return undefined;
    row++;
    return fromJson(text, row, lineNo);
  };
  for await (const text of chunks) {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      line++;
      if (tooLong) {
        row++;
        yield { row, line, error: `the line is longer than ${MAX_RECORD_CHARS} characters; it was skipped` };
        tooLong = false;
      } else {
        const rec = one(pending + text.slice(start, nl), line);
        if (rec) yield rec;
      }
      pending = '';
      start = nl + 1;
    }
    if (!tooLong) {
      pending += text.slice(start);
      if (pending.length > MAX_RECORD_CHARS) { tooLong = true; pending = ''; }
    }
  }
  line++;
  if (tooLong) yield { row: row + 1, line, error: `the line is longer than ${MAX_RECORD_CHARS} characters; it was skipped` };
  else { const rec = one(pending, line); if (rec) yield rec; }
}

function fromJson(text: string, row: number, line: number): ImportRecord {
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch (err) { return { row, line, error: `not JSON: ${(err as Error).message}` }; }
  return fromObject(parsed, row, line);
}

/** A SCIM user as an import record: its groups' display names become the groups to join; id and meta are the source's, dropped. */
function fromObject(value: unknown, row: number, line: number): ImportRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { row, line, error: 'a user must be a JSON object' };
  const { id: _id, meta: _meta, groups, ...body } = value as Record<string, unknown>;
  let names: string[] = [];
  if (groups !== undefined) {
    if (typeof groups === 'string') names = splitGroups(groups);
    else if (Array.isArray(groups)) names = [...new Set(groups.map((g) => (typeof g === 'string' ? g : (g as { display?: unknown })?.display)).filter((g): g is string => typeof g === 'string' && g.trim() !== '').map((g) => g.trim()))];
    else return { row, line, error: '"groups" must be an array of group names or {"display": name} objects' };
  }
  return { row, line, body, groups: names };
}

/** The users of a .json file, checked before the import starts: a file that is not a list of them is refused. */
function jsonList(text: string, file: string): unknown[] {
  let parsed: unknown;
  try { parsed = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text); } catch (err) { throw new MappingError(`${file} is not JSON: ${(err as Error).message}`); }
  const list = Array.isArray(parsed) ? parsed : (parsed as { Resources?: unknown })?.Resources;
  if (!Array.isArray(list)) throw new MappingError(`${file} must hold an array of SCIM users, or a list response {"Resources": [...]}`);
  return list;
}

async function* jsonRecords(list: unknown[]): AsyncGenerator<ImportRecord> {
  let row = 0;
  for (const item of list) { row++; yield fromObject(item, row, 0); }
}
