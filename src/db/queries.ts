/**
 * Generic keyset paging and batching helpers shared by the repositories.
 * Lists are ordered newest first: (created_at desc, id desc).
 */
import { and, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { PageArgs } from "../shared/connections.js";
import { uuidArrayParam } from "../shared/ids.js";
import type { DbOrTx } from "./client.js";

export interface KeyedTable extends PgTable {
  id: PgColumn;
  createdAt: PgColumn;
}

/** What a read selects: the table's columns, or a read model's (src/graphql/read-model.ts). */
export type Columns = Record<string, PgColumn | SQL.Aliased>;

export function anyId(col: PgColumn, ids: readonly string[]): SQL {
  return sql`${col} = any(${uuidArrayParam(ids)}::uuid[])`;
}

/** `status = any($1::text[])` for an optional status filter (an empty list matches nothing). */
export function statusIn(col: PgColumn, statuses: readonly string[] | null | undefined): SQL | undefined {
  if (!statuses) return undefined;
  if (statuses.length === 0) return sql`false`;
  if (statuses.some((s) => !/^[A-Z0-9_]+$/.test(s))) return sql`false`;
  return sql`${col} = any(${`{${statuses.join(",")}}`}::text[])`;
}

function afterCond(t: KeyedTable, args: PageArgs): SQL | undefined {
  if (!args.after) return undefined;
  return sql`(${t.createdAt}, ${t.id}) < (${args.after.createdAt.toISOString()}::timestamptz, ${args.after.id}::uuid)`;
}

/** One page of a root list: `first + 1` rows so the caller knows whether there is a next page. */
export async function pageRows<T extends KeyedTable>(
  db: DbOrTx,
  table: T,
  where: (SQL | undefined)[],
  args: PageArgs,
  columns: Columns = getTableColumns(table),
): Promise<T["$inferSelect"][]> {
  return (await db
    .select(columns)
    .from(table as PgTable)
    .where(and(...where, afterCond(table, args)))
    .orderBy(sql`${table.createdAt} desc`, sql`${table.id} desc`)
    .limit(args.first + 1)) as T["$inferSelect"][];
}

export async function countRows(db: DbOrTx, table: PgTable, where: (SQL | undefined)[]): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(table)
    .where(and(...where));
  return row?.n ?? 0;
}

/**
 * The first page of a list for MANY parents in one statement: a window numbers each parent's
 * rows and keeps `first + 1` of each. Returns rows grouped by parent, in order.
 */
export async function pagePerParent<T extends KeyedTable>(
  db: DbOrTx,
  table: T,
  parentCol: PgColumn,
  parentIds: readonly string[],
  where: (SQL | undefined)[],
  args: PageArgs,
  columns?: Columns,
): Promise<Map<string, T["$inferSelect"][]>> {
  const byParent = new Map<string, T["$inferSelect"][]>();
  if (parentIds.length === 0) return byParent;
  const cols = getTableColumns(table);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const sq: any = db
    .select({
      ...(columns ?? cols),
      rn: sql<number>`row_number() over (partition by ${parentCol} order by ${table.createdAt} desc, ${table.id} desc)`.as("rn"),
    })
    .from(table as PgTable)
    .where(and(anyId(parentCol, parentIds), ...where, afterCond(table, args)))
    .as("pg");
  const rows = (await db
    .select()
    .from(sq)
    .where(sql`${sq.rn} <= ${args.first + 1}`)
    .orderBy(sq.rn)) as (T["$inferSelect"] & { rn: number })[];
  const parentKey = Object.entries(cols).find(([, c]) => c === parentCol)?.[0];
  if (!parentKey) throw new Error("parent column is not a column of the table");
  for (const row of rows) {
    const { rn: _rn, ...rest } = row as Record<string, unknown>;
    const key = rest[parentKey] as string;
    let list = byParent.get(key);
    if (!list) byParent.set(key, (list = []));
    list.push(rest as T["$inferSelect"]);
  }
  return byParent;
}

/** Row counts per parent for `totalCount` of per-parent connections, in one statement. */
export async function countPerParent(
  db: DbOrTx,
  table: PgTable,
  parentCol: PgColumn,
  parentIds: readonly string[],
  where: (SQL | undefined)[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (parentIds.length === 0) return out;
  const rows = await db
    .select({ parent: sql<string>`${parentCol}`, n: sql<number>`count(*)::int` })
    .from(table)
    .where(and(anyId(parentCol, parentIds), ...where))
    .groupBy(parentCol);
  for (const r of rows) out.set(r.parent, r.n);
  return out;
}

/**
 * A Postgres array literal passed as ONE parameter (for `unnest`): uuids, A-Z_ codes, integers
 * and instants only, each quoted; `null` is SQL NULL.
 */
export function arrayParam(values: readonly (string | number | bigint | Date | null)[]): string {
  const items = values.map((v) => {
    if (v === null) return "NULL";
    const s = v instanceof Date ? v.toISOString() : String(v);
    if (!/^[A-Za-z0-9_:.-]+$/.test(s)) throw new RangeError("arrayParam takes uuids, codes, integers and instants only");
    return `"${s}"`;
  });
  return `{${items.join(",")}}`;
}
