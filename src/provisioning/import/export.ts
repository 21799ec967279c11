// Exporting a tenant's users: keyset pages through the store (scanUsers after the last seq, never
// one query for all of them), each page's groups in one more query, written out as they come with
// the writer's backpressure respected, so memory stays bounded at any number of users.
// NDJSON and JSON carry each user as SCIM renders it (with its groups); CSV carries the columns
// `rollcall import` maps by default, so an export imports into another tenant as it is.
import { renderUser } from '../../scim/render.ts';
import { ENTERPRISE_USER_SCHEMA } from '../../scim/schemas/enterprise-user.ts';
import type { UserRecord } from '../../store/store.ts';
import type { ScimContext } from '../context.ts';

export type ExportFormat = 'csv' | 'json' | 'ndjson';

/** Users per page (one scan and one group lookup each). */
export const EXPORT_PAGE = 500;

type Obj = Record<string, unknown>;
interface Column { header: string; get: (doc: Obj, groups: string[]) => unknown }

const typed = (attr: string, type: string) => (doc: Obj) => {
  const list = doc[attr];
  if (!Array.isArray(list)) return undefined;
  const item = (list as Obj[]).find((x) => x?.type === type) ?? (type === 'work' ? (list as Obj[]).find((x) => x?.primary === true) ?? (list as Obj[])[0] : undefined);
  return item?.value;
};
const sub = (attr: string, key: string) => (doc: Obj) => (doc[attr] as Obj | undefined)?.[key];
const ent = (key: string) => (doc: Obj) => {
  const v = (doc[ENTERPRISE_USER_SCHEMA] as Obj | undefined)?.[key];
  return key === 'manager' ? (v as Obj | undefined)?.value : v;
};

/** The CSV columns: the default-mapped headers, then the tenant's single-valued custom attributes by full path, then groups. */
function columns(ctx: ScimContext): Column[] {
  const cols: Column[] = [
    { header: 'id', get: (d) => d.id },
    { header: 'userName', get: (d) => d.userName },
    { header: 'externalId', get: (d) => d.externalId },
    { header: 'active', get: (d) => d.active },
    { header: 'displayName', get: (d) => d.displayName },
    { header: 'givenName', get: sub('name', 'givenName') },
    { header: 'familyName', get: sub('name', 'familyName') },
    { header: 'email', get: typed('emails', 'work') },
    { header: 'phone', get: typed('phoneNumbers', 'work') },
    { header: 'mobile', get: typed('phoneNumbers', 'mobile') },
    { header: 'title', get: (d) => d.title },
    { header: 'userType', get: (d) => d.userType },
    { header: 'department', get: ent('department') },
    { header: 'employeeNumber', get: ent('employeeNumber') },
    { header: 'costCenter', get: ent('costCenter') },
    { header: 'organization', get: ent('organization') },
    { header: 'division', get: ent('division') },
    { header: 'manager', get: ent('manager') },
  ];
  for (const ext of ctx.schemas.User.extensions) {
    if (!ctx.schemas.custom?.has(ext.id)) continue;
    for (const a of ext.attributes) {
      if (a.type === 'complex' || a.mutability === 'readOnly') continue;
      cols.push({ header: `${ext.id}:${a.name}`, get: (d) => { const v = (d[ext.id] as Obj | undefined)?.[a.name]; return Array.isArray(v) ? (a.multiValued ? undefined : v) : v; } });
    }
  }
  cols.push({ header: 'groups', get: (_d, groups) => groups.join(';') });
  return cols;
}

/** A CSV field (RFC 4180): quoted when it holds a comma, a quote, a line break, or leading or trailing space. */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface ExportSink { write: (text: string) => Promise<void> }

/** Writes every user of the tenant; returns how many. `onPage` is told the running count. */
export async function exportUsers(ctx: ScimContext, format: ExportFormat, out: ExportSink, onPage?: (count: number) => void): Promise<number> {
  const cols = format === 'csv' ? columns(ctx) : [];
  if (format === 'csv') await out.write(`${cols.map((c) => csvField(c.header)).join(',')}\r\n`);
  if (format === 'json') await out.write('[');
  let count = 0;
  let after: number | undefined;
  for (;;) {
    const page: UserRecord[] = await ctx.store.scanUsers(ctx.tenant.id, ctx.schemas, undefined, after, EXPORT_PAGE);
    if (!page.length) break;
    const groups = await ctx.store.groupsOfUsers(ctx.tenant.id, page.map((u) => u.id));
    let text = '';
    for (const u of page) {
      const gs = groups.get(u.id) ?? [];
      if (format === 'csv') {
        const doc = { ...u.doc, id: u.id };
        const names = gs.map((g) => g.display);
        text += `${cols.map((c) => csvField(c.get(doc, names))).join(',')}\r\n`;
      } else {
        const json = JSON.stringify(renderUser(ctx.schemas.User, ctx.baseUrl, u, gs));
        text += format === 'ndjson' ? `${json}\n` : `${count ? ',' : ''}\n${json}`;
      }
      count++;
    }
    await out.write(text);
    onPage?.(count);
    if (page.length < EXPORT_PAGE) break;
    after = page[page.length - 1].seq;
  }
  if (format === 'json') await out.write(count ? '\n]\n' : ']\n');
  return count;
}
