/**
 * The vocabulary of read models (src/features/<thing>/<thing>.read.ts). A read model says, once,
 * how a GraphQL object type is read: its table, the visibility scope of its rows
 * (src/auth/policy.ts), each field as ONE SQL value expression with its GraphQL scalar kind, and
 * the relations to other types.
 *
 * Two readers use the same declarations:
 * - the repositories select `readColumns(model, role)` (the table's columns plus each derived
 *   field under its GraphQL name), so resolvers return plain columns;
 * - the SQL compiler (src/server/compiler/) renders each value as the JSON the resolvers' scalar
 *   would serialise (`jsonOf`) and follows the relations.
 *
 * Filters are declared the same way (`filters`): each filter field of a list is ONE function from
 * its value to the SQL condition on the model's rows, every value bound through `bind` — a query
 * parameter in the repositories, a placeholder of the prepared statement in the compiler. So a
 * filter's meaning is written once, and a compiled statement never holds a filter value in its text.
 */
import { and, getTableColumns, sql, type SQL } from "drizzle-orm";
import { isUuid } from "../shared/ids.js";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type DataLoader from "dataloader";
import { visible, type Scope, type ViewerId, type ViewerRole } from "../auth/policy.js";
import type { Viewer } from "../auth/viewer.js";
import type { DbOrTx } from "../db/client.js";
import { anyId, type KeyedTable } from "../db/queries.js";
import { byIdLoader } from "./loader-utils.js";

/** How a value is rendered as JSON: the GraphQL scalar (or enum) it is served as. */
export type ScalarKind = "ID" | "String" | "Int" | "Boolean" | "Money" | "Date" | "DateTime" | "Enum";

export interface ValueField {
  kind: "value";
  scalar: ScalarKind;
  /** The field's value as SQL over the model's row (the role matters for the NIK only). */
  sql: (role: ViewerRole) => SQL;
  /** Enum fields: the values the GraphQL enum serialises (anything else: the resolvers answer). */
  values?: readonly string[];
  /** A non-null field whose SQL may yield null (an unknown status code): the resolvers answer. */
  nullFallsBack?: boolean;
  /**
   * Not a column of the table: the repositories select it under the field's name (decoded by
   * `decode`), so the resolver passes it through.
   */
  derived?: { decode?: (v: unknown) => unknown };
}

/** Another object (or null) found by a condition on the child table. */
export interface OneField {
  kind: "one";
  target: string;
  /** Child rows that belong to the current parent row. */
  on: () => SQL;
  nullable: boolean;
  /** The child rows are shown without their own visibility scope (the parent's is enough). */
  trustsParent: boolean;
}

/** A plain list (installments of a loan). */
export interface ListField {
  kind: "list";
  target: string;
  on: () => SQL;
  orderBy: () => SQL;
  trustsParent: boolean;
}

/**
 * A Relay connection (first/after, newest first). With `statusArg`, its `status` argument filters
 * the rows by the target model's `filters.status`.
 */
export interface ConnectionField {
  kind: "connection";
  target: string;
  on: () => SQL;
  statusArg: boolean;
}

/** Binds a filter's value: a parameter of the repositories' query, or a compiled statement's placeholder. */
export type Bind = (value: unknown) => SQL;

/**
 * One field of a list's filter input (`CustomerFilter.search`, `LoanFilter.minDaysPastDue`, …):
 * the condition a (non-null) value puts on the model's rows, or undefined for none. Every value
 * goes through `bind`; the SQL text may depend on the value only through the branch it takes (an
 * empty status list is `false`), and the compiler keys its statements by that text.
 */
export interface FilterField<V = never> {
  where: (value: V, bind: Bind) => SQL | undefined;
  /**
   * Values the resolvers refuse with an error of their own (a search longer than any name): the
   * compiler leaves such requests to them.
   */
  refuses?: (value: V) => boolean;
}

export type ReadField = ValueField | OneField | ListField | ConnectionField;

/**
 * An object computed in SQL rather than read from a table's row (PortfolioSummary): each value
 * field is an SQL expression valid where the object is built, and `rows` fields are lists of such
 * objects over a FROM clause of their own. The repository selects the same expressions
 * (`computedColumns`), so both paths compute every figure the same way.
 */
export interface ComputedModel {
  typeName: string;
  fields: Record<string, ValueField | RowsField>;
}

/** A list of computed objects: one per row of `from`, in `orderBy` order. */
export interface RowsField {
  kind: "rows";
  target: ComputedModel;
  from: SQL;
  orderBy: SQL;
}

export interface ReadModel {
  typeName: string;
  table: KeyedTable;
  /** The table's SQL name: compiled SQL refers to rows as "<table>"."<column>". */
  tableName: string;
  /** Cursor kind of this type's connections (src/shared/connections.ts). */
  cursorKind: string;
  scope: Scope;
  /** The order of the model's plain root list (`partners`, `loanProducts`), if it has one. */
  listOrder?: () => SQL;
  /** The filter fields of the model's lists (root `filter` input fields, nested `status`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  filters?: Record<string, FilterField<any>>;
  fields: Record<string, ReadField>;
}

// ---- value fields --------------------------------------------------------------------------------

const value = (scalar: ScalarKind, expr: (role: ViewerRole) => SQL, more: Partial<ValueField> = {}): ValueField => ({
  kind: "value",
  scalar,
  sql: expr,
  ...more,
});

/** A value of a computed object (ComputedModel); an enum's values are those it serialises. */
export const computed = (scalar: ScalarKind, expr: SQL, values?: readonly string[]): ValueField =>
  value(scalar, () => expr, values ? { values } : {});

/** A column served as it is stored (a uuid as ID, a bigint as Money, …). */
export const column = (scalar: Exclude<ScalarKind, "Enum">, c: PgColumn) => value(scalar, () => sql`${c}`);

/** A value computed in SQL, selected by the repositories under the field's name. */
export const derived = (
  scalar: Exclude<ScalarKind, "Enum">,
  expr: (role: ViewerRole) => SQL,
  more: { decode?: (v: unknown) => unknown; nullFallsBack?: boolean } = {},
) => value(scalar, expr, { derived: { decode: more.decode }, nullFallsBack: more.nullFallsBack });

/** Money computed in SQL (a bigint in the resolvers). */
export const derivedMoney = (expr: () => SQL) => derived("Money", expr, { decode: (v) => BigInt(v as string | number | bigint) });

function codeCases(codes: Readonly<Record<string, number>>): SQL {
  return sql.raw(
    Object.entries(codes)
      .map(([status, code]) => {
        if (!/^[A-Z0-9_]+$/.test(status) || !Number.isInteger(code)) throw new Error(`bad status code entry ${status}`);
        return `when '${status}' then ${code}`;
      })
      .join(" "),
  );
}

/** A status column served as its GraphQL enum. */
export const status = (c: PgColumn, codes: Readonly<Record<string, number>>) =>
  value("Enum", () => sql`${c}`, { values: Object.keys(codes) });

/** The status's JULO code from its code table (null for a status outside it: the resolvers answer). */
export const statusCode = (c: PgColumn, codes: Readonly<Record<string, number>>) =>
  derived("Int", () => sql`(case ${c} ${codeCases(codes)} end)`, { nullFallsBack: true, decode: (v) => (v == null ? v : Number(v)) });

// ---- filters ----------------------------------------------------------------------------------------

/** `col = id` for an ID filter; an id that is not a uuid matches nothing. */
export const idFilter = (col: PgColumn): FilterField<string> => ({
  where: (id, bind) => (isUuid(id) ? sql`${col} = ${bind(id.toLowerCase())}::uuid` : sql`false`),
});

/** `col = any(statuses)`; an empty list (or a value that is not a status name) matches nothing. */
export const statusFilter = (col: PgColumn): FilterField<readonly string[]> => ({
  where: (statuses, bind) =>
    statuses.length === 0 || statuses.some((s) => !/^[A-Z0-9_]+$/.test(s))
      ? sql`false`
      : sql`${col} = any(${bind(`{${statuses.join(",")}}`)}::text[])`,
});

/** `col >= n`. */
export const atLeastFilter = (col: PgColumn): FilterField<number> => ({
  where: (n, bind) => sql`${col} >= ${bind(n)}::int`,
});

/** A repository's binding: an ordinary query parameter. */
const asParam: Bind = (v) => sql`${v}`;

/**
 * The conditions of a filter input on the model's rows (null or absent fields add none). The
 * repositories call it with their parameters; the compiler with its placeholders.
 */
export function filterConds(model: ReadModel, filter: object | null | undefined, bind: Bind = asParam): (SQL | undefined)[] {
  if (!filter) return [];
  const conds: (SQL | undefined)[] = [];
  for (const [name, v] of Object.entries(filter)) {
    if (v === null || v === undefined) continue;
    const f = model.filters?.[name];
    if (!f) throw new Error(`${model.typeName} has no filter ${name}`);
    conds.push(f.where(v as never, bind));
  }
  return conds;
}

// ---- what the repositories select ------------------------------------------------------------------

/** A computed value as the resolvers hold it (Money a bigint, Int a number). */
function decodeComputed(scalar: ScalarKind, v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (scalar === "Money") return BigInt(String(v));
  if (scalar === "Int") return Number(v);
  return v;
}

/**
 * Every field of a computed model as one SQL select list (lists as JSON arrays of objects, Money
 * as text inside them), and how to turn the row it yields into the object the resolvers return.
 */
export function computedColumns(model: ComputedModel): { select: SQL; decode: (row: Record<string, unknown>) => Record<string, unknown> } {
  const cols: SQL[] = [];
  for (const [name, f] of Object.entries(model.fields)) {
    let e: SQL;
    if (f.kind === "value") e = f.sql("ADMIN");
    else {
      const pairs = Object.entries(f.target.fields).map(([k, sub]) => {
        if (sub.kind !== "value") throw new Error(`${model.typeName}.${name}: nested rows are not supported`);
        return sql`${sql.raw(`'${k}'`)}, ${sub.scalar === "Money" ? sql`(${sub.sql("ADMIN")})::text` : sub.sql("ADMIN")}`;
      });
      e = sql`(select coalesce(json_agg(json_build_object(${sql.join(pairs, sql`, `)}) order by ${f.orderBy}), '[]'::json) from ${f.from})`;
    }
    cols.push(sql`${e} as ${sql.raw(`"${name}"`)}`);
  }
  const decode = (row: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(model.fields)) {
      const v = row[name];
      if (f.kind === "value") out[name] = decodeComputed(f.scalar, v);
      else {
        const items = (typeof v === "string" ? JSON.parse(v) : v) as Record<string, unknown>[];
        out[name] = items.map((item) => {
          const o: Record<string, unknown> = {};
          for (const [k, sub] of Object.entries(f.target.fields)) if (sub.kind === "value") o[k] = decodeComputed(sub.scalar, item[k]);
          return o;
        });
      }
    }
    return out;
  };
  return { select: sql.join(cols, sql`, `), decode };
}

/** Marks a row read through its read model (its derived fields are on it, as the role sees them). */
const READ_MARK = "__read";

/**
 * The table's columns plus every derived field of the model under the field's name, as the role
 * may see it (the NIK's column then holds the NIK as shown).
 */
export function readColumns(model: ReadModel, role: ViewerRole): Record<string, PgColumn | SQL.Aliased> {
  const cols: Record<string, PgColumn | SQL.Aliased> = { ...getTableColumns(model.table) };
  for (const [name, f] of Object.entries(model.fields)) {
    if (f.kind !== "value" || !f.derived) continue;
    const decode = f.derived.decode;
    const expr = sql`${f.sql(role)}`;
    cols[name] = (decode ? expr.mapWith(decode) : expr).as(name);
  }
  cols[READ_MARK] = sql<boolean>`true`.as(READ_MARK);
  return cols;
}

/** A relation's visibility condition: the child's scope, unless it trusts its parent's. */
export function relationScope(model: ReadModel, relation: OneField | ListField, role: ViewerRole, viewerId: ViewerId) {
  return relation.trustsParent ? undefined : model.scope(role, viewerId);
}

/** The model's rows matching `where`, as the role sees them (the caller adds the scope). */
export async function readRows<R>(db: DbOrTx, model: ReadModel, role: ViewerRole, where: SQL | undefined): Promise<R[]> {
  return (await db.select(readColumns(model, role)).from(model.table as PgTable).where(where)) as R[];
}

/** Rows of the model by id as the viewer sees them (its scope applied). */
export function readByIds<R>(db: DbOrTx, model: ReadModel, viewer: Viewer, ids: string[]): Promise<R[]> {
  return readRows<R>(db, model, viewer.role, and(anyId(model.table.id, ids), visible(model.scope, viewer)));
}

type ReadRow = { id: string } & Record<string, unknown>;
export type ReadAgain = (model: ReadModel) => DataLoader<string, ReadRow | null>;

/**
 * Per model, rows the caller already holds (a command's result) read again through the model, so
 * their derived fields exist: no scope (the row is already the viewer's), the viewer's role.
 */
export function readAgainLoaders(db: DbOrTx, viewer: Viewer): ReadAgain {
  const byModel = new Map<ReadModel, DataLoader<string, ReadRow | null>>();
  return (model) => {
    let loader = byModel.get(model);
    if (!loader) {
      loader = byIdLoader((ids) => readRows<ReadRow>(db, model, viewer.role, anyId(model.table.id, ids)));
      byModel.set(model, loader);
    }
    return loader;
  };
}

/**
 * A derived field of a row: on the row when it was read through the model (the repositories);
 * else (a row a command returned) read once more through the model.
 */
export async function derivedValue<M extends ReadModel>(readAgain: ReadAgain, model: M, row: { id: string }, field: keyof M["fields"] & string) {
  const r = row as Record<string, unknown>;
  return r[READ_MARK] === true ? r[field] : (await readAgain(model).load(row.id))?.[field];
}
