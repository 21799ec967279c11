// Importing users: each record of the file is matched to an existing user (by externalId when it
// has one, else by userName), then created, or updated in the attributes it gives, through the
// same use cases as the admin API (`local`: createLocalUser and the local-only guard) or the SCIM
// endpoint (`scim`: createUser, and writes as the identity provider's, to which the user policies
// apply). Each write is its own transaction through mutate(), so policies, events and the audit
// entry apply exactly as for a request; up to CHUNK writes are in flight at once, which on SQLite
// share their COMMITs (group commit, sqlite-store.ts) and on PostgreSQL use the pool's connections.
// A user whose attributes and groups already match is not written at all: no event, no audit entry.
import { checkAttributeLimits } from '../../scim/attribute-limits.ts';
import { changedPaths } from '../../scim/diff.ts';
import { ScimError } from '../../scim/errors.ts';
import { parseFilter } from '../../scim/filter.ts';
import { checkRequired, type AttrDoc } from '../../scim/resource.ts';
import type { UserRecord, UserStatus } from '../../store/store.ts';
import { createLocalGroup, createLocalUser, IdpManaged, InvitationsClosed, localOnly } from '../admin/directory.ts';
import type { ScimContext } from '../context.ts';
import { createGroup } from '../groups.ts';
import { mutate, type Change, type ChangeHook } from '../mutate.ts';
import { createUser, userDoc } from '../users.ts';
import type { ImportRecord } from './records.ts';

export type ImportMode = 'local' | 'scim';
export type Outcome = 'created' | 'updated' | 'unchanged' | 'failed';

export interface RowResult {
  row: number;
  line: number;
  /** The userName (or externalId) the row names, when it has one. */
  key: string;
  outcome: Outcome;
  /** What changed (attribute paths, "groups +Name"), for created and updated rows. */
  changes?: string[];
  reason?: string;
}

export interface ImportOptions {
  mode: ImportMode;
  dryRun: boolean;
  /** Rows up to this number were applied by an earlier run (the checkpoint): skipped. */
  skipThrough?: number;
  /** Stop after this many rows (counted from the first one not skipped). */
  limit?: number;
  onRow: (r: RowResult) => void;
  /**
   * Awaited after each chunk's rows were given to onRow, before its checkpoint: the report's
   * backpressure, so that a slow report file slows the import instead of filling memory.
   */
  drain?: () => Promise<void>;
  /** After each chunk: every row up to `row` has been applied. */
  onCheckpoint: (row: number) => Promise<void>;
  /** Asked between chunks (an interrupt): true stops the import there. */
  stopRequested?: () => boolean;
}

export interface ImportSummary { created: number; updated: number; unchanged: number; failed: number; skipped: number; lastRow: number; stopped: boolean }

/** Rows matched and written together; also how many writes are in flight at once. */
export const CHUNK = 256;

/** Thrown by the dry run's only hook: the change is seen, then rolled back with everything it wrote. */
class DryRunRollback extends Error {
  constructor(readonly change: Change) { super('dry run'); }
}

interface Planned {
  rec: ImportRecord;
  key: string;
  body: Record<string, unknown>;
  groups: string[];
  existing?: UserRecord;
  /** The existing user's group names, lower-cased. */
  memberOf?: Set<string>;
}

export async function importUsers(ctx: ScimContext, records: AsyncIterable<ImportRecord>, options: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, failed: 0, skipped: 0, lastRow: options.skipThrough ?? 0, stopped: false };
  const groups = new GroupIds(ctx, options);
  const wctx: ScimContext = options.dryRun ? { ...ctx, hooks: [dryRunHook] } : ctx;
  const seenInDryRun = new Set<string>();
  const report = (r: RowResult) => { summary[r.outcome]++; options.onRow(r); };
  let chunk: ImportRecord[] = [];
  let keys = new Set<string>();
  let taken = 0;

  const flush = async () => {
    if (!chunk.length) return;
    await runChunk(wctx, chunk, groups, options, report, seenInDryRun);
    summary.lastRow = chunk[chunk.length - 1].row;
    chunk = [];
    keys = new Set();
    await options.drain?.();
    if (!options.dryRun) await options.onCheckpoint(summary.lastRow);
  };

  for await (const rec of records) {
    if (rec.row <= (options.skipThrough ?? 0)) { summary.skipped++; continue; }
    if (options.limit !== undefined && taken >= options.limit) { summary.stopped = true; break; }
    taken++;
    // Two rows for one user go to different chunks, in file order: the second sees the first's write.
    const key = keyOf(rec)?.toLowerCase();
    if (key !== undefined && keys.has(key)) await flush();
    if (key !== undefined) keys.add(key);
    chunk.push(rec);
    if (chunk.length >= CHUNK) {
      await flush();
      if (options.stopRequested?.()) { summary.stopped = true; break; }
    }
  }
  await flush();
  return summary;
}

const dryRunHook: ChangeHook = async (_tx, change) => { throw new DryRunRollback(change); };

function keyOf(rec: ImportRecord): string | undefined {
  const b = rec.body;
  if (!b) return undefined;
  if (typeof b.externalId === 'string' && b.externalId.trim() !== '') return `x:${b.externalId}`;
  if (typeof b.userName === 'string' && b.userName.trim() !== '') return `u:${b.userName}`;
  return undefined;
}

const quoted = (v: string) => JSON.stringify(v);
/** The userName (else externalId) of a row, for the report. */
const keyText = (body: Record<string, unknown> | undefined): string => {
  const v = body?.userName ?? body?.externalId;
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
};

async function runChunk(ctx: ScimContext, chunk: ImportRecord[], groups: GroupIds, options: ImportOptions, report: (r: RowResult) => void, seenInDryRun: Set<string>): Promise<void> {
  // Reported in row order once the chunk is done.
  const results: RowResult[] = [];
  await planChunk(ctx, chunk, groups, options, (r) => results.push(r), seenInDryRun);
  results.sort((a, b) => a.row - b.row);
  for (const r of results) report(r);
}

async function planChunk(ctx: ScimContext, chunk: ImportRecord[], groups: GroupIds, options: ImportOptions, report: (r: RowResult) => void, seenInDryRun: Set<string>): Promise<void> {
  const planned: Planned[] = [];
  const valid: ImportRecord[] = [];
  for (const rec of chunk) {
    const key = keyText(rec.body);
    if (rec.error || !rec.body) { report({ row: rec.row, line: rec.line, key, outcome: 'failed', reason: rec.error ?? 'no user in this row' }); continue; }
    const k = keyOf(rec);
    if (k === undefined) { report({ row: rec.row, line: rec.line, key, outcome: 'failed', reason: 'the row has no userName (nor externalId)' }); continue; }
    if (JSON.stringify(k).length > MAX_FILTER / 2) { report({ row: rec.row, line: rec.line, key: key.slice(0, 100), outcome: 'failed', reason: `the ${k.startsWith('x:') ? 'externalId' : 'userName'} is ${k.length - 2} characters long` }); continue; }
    valid.push(rec);
  }
  const found = await findUsers(ctx, valid);
  for (const rec of valid) {
    const key = keyText(rec.body);
    const holders = found.get(keyOf(rec)!.toLowerCase()) ?? [];
    if (holders.length > 1) {
      const attr = keyOf(rec)!.startsWith('x:') ? 'externalId' : 'userName';
      report({ row: rec.row, line: rec.line, key, outcome: 'failed', reason: `${holders.length} users have the ${attr} ${quoted(keyOf(rec)!.slice(2))}; fix them first` });
      continue;
    }
    planned.push({ rec, key, body: rec.body!, groups: rec.groups ?? [], existing: holders[0] });
  }
  const existingIds = planned.filter((p) => p.existing).map((p) => p.existing!.id);
  if (existingIds.length) {
    const of = await ctx.store.groupsOfUsers(ctx.tenant.id, existingIds);
    for (const p of planned) if (p.existing) p.memberOf = new Set((of.get(p.existing.id) ?? []).map((g) => g.display.toLowerCase()));
  }

  // The users, as many at once as the store takes (each its own transaction).
  const written = await inParallel(planned, parallelism(ctx), async (p) => {
    try {
      return await writeUser(ctx, p, options, seenInDryRun);
    } catch (err) {
      report({ row: p.rec.row, line: p.rec.line, key: p.key, outcome: 'failed', reason: reasonOf(err) });
      return undefined;
    }
  });

  // Then the memberships: per group, one write adding every user of the chunk it gains.
  const joining = new Map<string, { name: string; rows: { p: Planned; id: string; changes: string[] }[] }>();
  const done: { p: Planned; outcome: Outcome; changes: string[] }[] = [];
  planned.forEach((p, i) => {
    const w = written[i];
    if (!w) return;
    const gained = p.groups.filter((g) => !p.memberOf?.has(g.toLowerCase()));
    const changes = [...w.changes, ...gained.map((g) => `groups +${g}`)];
    const outcome: Outcome = w.created ? 'created' : changes.length ? 'updated' : 'unchanged';
    if (options.dryRun || !gained.length) { done.push({ p, outcome, changes }); return; }
    for (const g of gained) {
      const entry = joining.get(g.toLowerCase()) ?? { name: g, rows: [] };
      entry.rows.push({ p, id: w.id, changes });
      joining.set(g.toLowerCase(), entry);
    }
  });
  const failedRows = new Map<Planned, string>();
  await inParallel([...joining.values()], parallelism(ctx), async ({ name, rows }) => {
    try {
      await groups.addMembers(name, rows.map((r) => r.id));
    } catch (err) {
      for (const r of rows) failedRows.set(r.p, `the user was written, but not added to group ${quoted(name)}: ${reasonOf(err)}`);
    }
  });
  const joined = new Map<Planned, { changes: string[] }>();
  for (const { rows } of joining.values()) for (const r of rows) joined.set(r.p, { changes: r.changes });
  for (const [p, { changes }] of joined) {
    const w = written[planned.indexOf(p)]!;
    done.push({ p, outcome: w.created ? 'created' : 'updated', changes });
  }
  for (const d of done) {
    const reason = failedRows.get(d.p);
    if (reason) report({ row: d.p.rec.row, line: d.p.rec.line, key: d.p.key, outcome: 'failed', reason, changes: d.changes });
    else report({ row: d.p.rec.row, line: d.p.rec.line, key: d.p.key, outcome: d.outcome, ...(d.outcome === 'unchanged' ? {} : { changes: d.changes }) });
  }
}

/**
 * The users the records name, by key (keyOf, lower-cased): externalId when a record has one, else
 * userName (userName case-insensitively, externalId exactly, as SCIM's filters compare them); one indexed lookup per value, all
 * of a chunk's at once. (One scan with "userName eq a or userName eq b …" was tried: on
 * PostgreSQL the planner walked the seq index with the filter instead, 300 ms a chunk at 20,000
 * users: docs/performance.md "Import".)
 */
async function findUsers(ctx: ScimContext, recs: ImportRecord[]): Promise<Map<string, UserRecord[]>> {
  const out = new Map<string, UserRecord[]>();
  const keys = [...new Set(recs.map((r) => keyOf(r)!))];
  const found = await inParallel(keys, parallelism(ctx), (k) => {
    const attr = k.startsWith('x:') ? 'externalId' : 'userName';
    return ctx.store.scanUsers(ctx.tenant.id, ctx.schemas, parseFilter(`${attr} eq ${JSON.stringify(k.slice(2))}`), undefined, 2);
  });
  keys.forEach((k, i) => out.set(k.toLowerCase(), found[i]));
  return out;
}

/**
 * How many of a chunk's reads or writes are in flight at once. SQLite: the whole chunk (its queued
 * transactions share commits: the 100,000-user figure in docs/performance.md). PostgreSQL: the
 * pool's size. More would only wait for a connection, and a wait past the pool's connect timeout
 * (5 s) fails as "database unavailable": on a loaded machine 239 of 1,234 rows of
 * test/cli/export.test.ts's import failed so, with all 256 of a chunk in flight.
 */
function parallelism(ctx: ScimContext): number {
  return ctx.store.poolUse?.().max ?? CHUNK;
}

/** fn over items, at most `limit` at once; the results in the items' order. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The longest userName or externalId looked up (a filter is at most 8192 characters, scim/filter.ts). */
const MAX_FILTER = 8000;

/** A user document with `partial`'s attributes over `current`'s: complex attributes and extensions merge one level down. */
function merged(current: AttrDoc, partial: AttrDoc): AttrDoc {
  const out: AttrDoc = { ...current };
  for (const [k, v] of Object.entries(partial)) {
    const was = out[k];
    const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isObj(was) && isObj(v) ? { ...was, ...v } : v;
  }
  return out;
}

/** A local user's status from the `active` a row gives (undefined: unchanged). */
function statusFrom(partial: AttrDoc, current?: UserRecord): UserStatus | undefined {
  if (partial.active === false) return current?.status === 'deactivated' ? undefined : 'deactivated';
  if (partial.active === true && current?.status === 'deactivated') return 'active';
  return undefined;
}

async function writeUser(ctx: ScimContext, p: Planned, options: ImportOptions, seenInDryRun: Set<string>): Promise<{ id: string; created: boolean; changes: string[] } | undefined> {
  const local = options.mode === 'local';
  if (!p.existing) {
    const k = keyOf(p.rec)!.toLowerCase();
    if (options.dryRun && seenInDryRun.has(k)) return { id: '', created: false, changes: [] };
    if (options.dryRun) seenInDryRun.add(k);
    try {
      const id = local ? (await createLocalUser(ctx, p.body)).user.id : String((await createUser(ctx, p.body)).resource.id);
      return { id, created: true, changes: [] };
    } catch (err) {
      if (err instanceof DryRunRollback) return { id: err.change.id, created: err.change.kind === 'create', changes: err.change.kind === 'create' ? [] : err.change.changedPaths };
      throw err;
    }
  }
  const current = p.existing;
  const partial = userDoc(ctx, p.body, true);
  // Unchanged as read: nothing is written (no event, no audit entry).
  const status = local ? statusFrom(partial, current) : undefined;
  if (!changedPaths(current.doc, merged(current.doc, partial)).length && status === undefined) return { id: current.id, created: false, changes: [] };
  const guard = local ? localOnly(ctx, 'User', current.id) : undefined;
  const next = (c: { doc: AttrDoc }) => {
    const doc = merged(c.doc, partial);
    checkRequired(ctx.schemas.User, doc, c.doc);
    checkAttributeLimits(doc, ctx.attributeLimits);
    return status === undefined ? { doc } : { doc, status };
  };
  try {
    const change = await mutate(ctx, { kind: 'patch', type: 'User', id: current.id, fromIdp: !local, guard, next }, async (_tx, c) => c);
    return { id: current.id, created: false, changes: change.changedPaths };
  } catch (err) {
    if (err instanceof DryRunRollback) return { id: current.id, created: false, changes: err.change.changedPaths };
    throw err;
  }
}

/** Group ids by name (lower-cased), found or created on first use, cached for the run. */
class GroupIds {
  private readonly ids = new Map<string, Promise<string>>();
  constructor(private readonly ctx: ScimContext, private readonly options: ImportOptions) {}

  private idOf(name: string): Promise<string> {
    const k = name.toLowerCase();
    let id = this.ids.get(k);
    if (!id) {
      id = this.findOrCreate(name);
      this.ids.set(k, id);
      id.catch(() => this.ids.delete(k));
    }
    return id;
  }

  private async findOrCreate(name: string): Promise<string> {
    const ctx = this.ctx;
    const found = await ctx.store.scanGroups(ctx.tenant.id, ctx.schemas, parseFilter(`displayName eq ${JSON.stringify(name)}`), undefined, 1);
    if (found[0]) return found[0].id;
    if (this.options.mode === 'local') return (await createLocalGroup(ctx, { displayName: name })).id;
    return String((await createGroup(ctx, { displayName: name })).resource.id);
  }

  async addMembers(name: string, userIds: string[]): Promise<void> {
    const id = await this.idOf(name);
    const ctx = this.ctx;
    const guard = this.options.mode === 'local' ? localOnly(ctx, 'Group', id) : undefined;
    await mutate(ctx, { kind: 'patch', type: 'Group', id, guard, next: (c) => ({ doc: c.doc, memberOps: [{ kind: 'add', members: userIds.map((value) => ({ value })) }] }) }, async () => undefined);
  }
}

/** A row's failure as one line for the report. */
export function reasonOf(err: unknown): string {
  if (err instanceof ScimError) return `${err.message}${err.scimType ? ` (${err.scimType})` : ''}`;
  if (err instanceof IdpManaged || err instanceof InvitationsClosed) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
