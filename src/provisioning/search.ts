// POST /.search at the service root: Users and then Groups as one result set (RFC 7644 §3.4.3).
import { isUnknownAttribute, type ScimError } from '../scim/errors.ts';
import { listResponse, parseListQuery } from '../scim/list.ts';
import type { ScimContext } from './context.ts';
import { listGroups } from './groups.ts';
import { listUsers } from './users.ts';

export async function searchAll(ctx: ScimContext, params: Record<string, unknown>) {
  const results: unknown[] = [];
  const unknown: ScimError[] = [];
  let total = 0;
  let startIndex = 1;
  for (const [rs, list] of [[ctx.schemas.User, listUsers], [ctx.schemas.Group, listGroups]] as const) {
    const q = parseListQuery(rs, params, ctx.limits);
    startIndex = q.startIndex;
    // A filter naming an attribute this type lacks (userName on Groups) matches none of it.
    let count: number;
    try {
      count = (await list(ctx, { ...q, sortBy: undefined, count: 0 })).totalResults;
    } catch (err) {
      if (!isUnknownAttribute(err)) throw err;
      unknown.push(err);
      continue;
    }
    const skip = Math.max(0, q.startIndex - 1 - total);
    const want = q.count - results.length;
    if (want > 0 && skip < count) {
      const page = { ...q, startIndex: skip + 1, count: want };
      // RFC 7644 §3.4.2.3: resources without the sort attribute come last, unsorted.
      const rows = await list(ctx, page).catch((err) => {
        if (q.sortBy && isUnknownAttribute(err)) return list(ctx, { ...page, sortBy: undefined });
        throw err;
      });
      results.push(...rows.Resources);
    }
    total += count;
  }
  if (unknown.length === 2) throw unknown[0]; // unknown to every resource type: a typo, say so
  return listResponse(results, total, startIndex);
}
