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
 */
import { and, getTableColumns, sql, type SQL } from "drizzle-orm";
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

/** A Relay connection (first/after, newest first), optionally filtered by status. */
export interface ConnectionField {
  kind: "connection";
  target: string;
  on: () => SQL;
  statusArg: boolean;
}

export type ReadField = ValueField | OneField | ListField | ConnectionField;

export interface ReadModel {
  typeName: string;
  table: KeyedTable;
  /** The table's SQL name: compiled SQL refers to rows as "<table>"."<column>". */
  tableName: string;
  /** Cursor kind of this type's connections (src/shared/connections.ts). */
  cursorKind: string;
  scope: Scope;
  statusColumn?: PgColumn;
  fields: Record<string, ReadField>;
}

// ---- value fields --------------------------------------------------------------------------------

const value = (scalar: ScalarKind, expr: (role: ViewerRole) => SQL, more: Partial<ValueField> = {}): ValueField => ({
  kind: "value",
  scalar,
  sql: expr,
  ...more,
});

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

// ---- what the repositories select ------------------------------------------------------------------

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
