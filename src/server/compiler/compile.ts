/**
 * Compiles a validated read operation into ONE SQL statement that builds the whole `data` JSON
 * inside PostgreSQL (row_to_json / array_to_json: compact, in selection order, byte-identical to
 * what graphql-js and Apollo would serialise). The general path (resolvers + DataLoader) stays
 * beside it: whatever this compiler does not know (a field or root without a read model in
 * read-models.ts, directives, an anonymous caller, an argument the resolvers would reject) is
 * answered there.
 *
 * The compiler is an engine over the read models (src/graphql/read-model.ts): it imports no table
 * and no status table. Each value field's SQL comes from its read model, the JSON form from the
 * field's scalar kind (jsonOf), visibility from the model's scope with the viewer id a parameter.
 *
 * A statement's text depends only on the document, the viewer's role and a few "shape" choices
 * made by argument values (is `after` given, which filter conditions the read models' filter
 * declarations make of the given filter fields); values are parameters,
 * so each shape is a prepared statement of its own and PostgreSQL plans it once per connection.
 */
import { and, Placeholder, sql, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import {
  getArgumentValues,
  getVariableValues,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { viewerIdOf, type ViewerRole } from "../../auth/policy.js";
import type { Viewer } from "../../auth/viewer.js";
import { relationScope, type Bind, type ComputedModel, type ReadModel, type ValueField } from "../../graphql/read-model.js";
import { cursorHmacPads, decodeCursor, MAX_PAGE_SIZE } from "../../shared/connections.js";
import { isUuid } from "../../shared/ids.js";
import { READ_MODELS, ROOT_FIELDS } from "./read-models.js";

/** The viewer roles a compiled plan is made for (anonymous callers use the resolvers). */
export type CompiledRole = "ADMIN" | "PARTNER" | "CUSTOMER";

/**
 * A value no resolver could serialise (a status outside its enum, null in a non-null field)
 * yields the fallback sentinel, so the resolvers answer that request with the error GraphQL
 * prescribes.
 */
export const FALLBACK_SENTINEL = '{"!fallback":1}';
const fallback = sql.raw(`'${FALLBACK_SENTINEL}'::json`);

/** Exactly `Date.prototype.toISOString()` (timestamps are stored with millisecond precision). */
const isoTimestamp = (e: SQL) => sql`to_char(${e} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A value field as the JSON its GraphQL scalar serialises: Money as a decimal string, DateTime as
 * `toISOString()`, Date as YYYY-MM-DD, an enum as its name. test/compiled-reads.test.ts checks
 * byte for byte that this and the resolvers answer the same.
 */
function jsonOf(f: ValueField, role: ViewerRole): SQL {
  const e = f.sql(role);
  switch (f.scalar) {
    case "ID":
      return sql`${e}::text`;
    case "Money":
      return sql`(${e})::text`;
    case "Date":
      return sql`to_char(${e}, 'YYYY-MM-DD')`;
    case "DateTime":
      return isoTimestamp(e);
    case "Enum": {
      const cases = (f.values ?? []).map((v) => {
        if (!/^[A-Z0-9_]+$/.test(v)) throw new Error(`bad enum value ${v}`);
        return `when '${v}' then '"${v}"'::json`;
      });
      return sql`(case ${e} ${sql.raw(cases.join(" "))} else ${fallback} end)`;
    }
    default:
      return f.nullFallsBack ? sql`coalesce(to_json(${e}), ${fallback})` : e;
  }
}

/** The document cannot be compiled (whatever the variables): use the resolvers, remember it. */
class NotCompilable extends Error {}
/** This request's argument values are for the resolvers to judge (their errors are the contract's). */
class UseResolvers extends Error {}


export interface CompiledStatement {
  text: string;
  /** The size estimated before building it (bounded by MAX_COMPILED_SQL_BYTES). */
  estimatedBytes: number;
  /** Kept as a prepared statement on the connections (StatementCache's budget). */
  prepare: boolean;
  /** Per parameter: the name of its value in the request's values. */
  params: string[];
}

type FieldMap = Map<string, FieldNode[]>;

const dialect = new PgDialect();

function collect(
  set: SelectionSetNode,
  typeName: string,
  fragments: Map<string, FragmentDefinitionNode>,
  into: FieldMap = new Map(),
  visited = new Set<string>(),
): FieldMap {
  for (const sel of set.selections) {
    if (sel.directives && sel.directives.length > 0) throw new NotCompilable("directives");
    if (sel.kind === Kind.FIELD) {
      const key = sel.alias?.value ?? sel.name.value;
      // A response key becomes a column name, some with a two-letter prefix (connection()).
      if (key.length > MAX_IDENTIFIER_BYTES - 2) throw new NotCompilable(`name longer than ${MAX_IDENTIFIER_BYTES} bytes`);
      const list = into.get(key);
      if (list) list.push(sel);
      else into.set(key, [sel]);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      if (sel.typeCondition && sel.typeCondition.name.value !== typeName) throw new NotCompilable("type condition");
      collect(sel.selectionSet, typeName, fragments, into, visited);
    } else {
      // A fragment spread again into the same selection set adds nothing (graphql-js's
      // collectFields skips it too).
      if (visited.has(sel.name.value)) continue;
      visited.add(sel.name.value);
      const f = fragments.get(sel.name.value);
      if (!f || f.typeCondition.name.value !== typeName) throw new NotCompilable("fragment type");
      collect(f.selectionSet, typeName, fragments, into, visited);
    }
  }
  return into;
}

function subfields(nodes: FieldNode[], typeName: string, fragments: Map<string, FragmentDefinitionNode>): FieldMap {
  const into: FieldMap = new Map();
  for (const n of nodes) {
    if (!n.selectionSet) throw new NotCompilable("leaf where an object was expected");
    collect(n.selectionSet, typeName, fragments, into);
  }
  return into;
}

/**
 * PostgreSQL cuts identifiers at 63 bytes (NAMEDATALEN - 1), and row_to_json takes its keys from
 * the column names: a longer alias would come back cut (two long aliases even as one key twice).
 * Such documents are answered by the resolvers.
 */
export const MAX_IDENTIFIER_BYTES = 63;

const ident = (name: string) => {
  if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(name)) throw new NotCompilable(`unexpected name ${name}`);
  // Names are ASCII here (GraphQL names), so characters are bytes.
  if (name.length > MAX_IDENTIFIER_BYTES) throw new NotCompilable(`name longer than ${MAX_IDENTIFIER_BYTES} bytes`);
  return sql.raw(`"${name}"`);
};
const literal = (s: string) => {
  if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(s)) throw new NotCompilable(`unexpected literal ${s}`);
  return sql.raw(`'${s}'`);
};

/** `(select row_to_json(o) from (select e1 as "k1", …) o)`: a compact JSON object in key order. */
function objectOf(entries: [string, SQL][], alias = "__o"): SQL {
  if (entries.length === 0) throw new NotCompilable("empty selection");
  const cols = sql.join(
    entries.map(([k, e]) => sql`${e} as ${ident(k)}`),
    sql`, `,
  );
  return sql`(select row_to_json(${ident(alias)}) from (select ${cols}) ${ident(alias)})`;
}

/**
 * The most SQL one compiled statement may have, estimated before it is built. Fragments that
 * spread each other expand a short document exponentially (a 1 KB document can select 729
 * loans); the compiler would copy each loan's SQL 729 times, and PostgreSQL would parse and plan
 * megabytes. Over this bound the resolvers answer (DataLoader fetches each row once); the cost
 * limit (complexity.ts) bounds what they do. The largest statement of the benchmark and the
 * front-ends is ~4 KB.
 */
export const MAX_COMPILED_SQL_BYTES = 64 * 1024;

/** Estimated SQL of the structure around a relation's object, and of a connection's. */
const RELATION_BYTES = 150;
const OBJECT_BYTES = 90;
const CONNECTION_BYTES = 600;
const LIST_IN_CONNECTION_BYTES = 150;
const CURSOR_BYTES = 450;

/**
 * Rendered length of each value field's SQL, per field declaration and role (measured once;
 * keyed by the declaration object, so the per-request walk allocates nothing to look it up).
 */
const valueBytes = new WeakMap<object, Partial<Record<CompiledRole, number>>>();
const rendered = (q: SQL) => dialect.sqlToQuery(q).sql.length;
/** Rendered length of a computed root's WITH clause, per root and shape. */
const preludeBytes = new Map<string, number>();

/**
 * Compiles one operation: a walk over its selections. With `build` it also produces the SQL (only
 * on a cache miss); without, it only collects the parameter values, the shape and the size.
 */
class OperationCompiler {
  readonly values: Record<string, unknown> = {};
  readonly shape: string[] = [];
  private n = 0;
  /** Estimated bytes of the statement (the walk without `build` stops past the bound). */
  bytes = 0;
  /** The viewer id as the statement's parameter: one statement serves every viewer of the role. */
  private readonly viewerId = sql.placeholder("viewer");

  constructor(
    readonly schema: GraphQLSchema,
    readonly fragments: Map<string, FragmentDefinitionNode>,
    readonly variables: Record<string, unknown>,
    readonly role: CompiledRole,
    viewer: Viewer,
    readonly build: boolean,
  ) {
    const pads = cursorHmacPads();
    this.values.ki = pads.ipad;
    this.values.ko = pads.opad;
    this.values.viewer = viewerIdOf(viewer);
  }

  /** Counts estimated statement bytes; past MAX_COMPILED_SQL_BYTES the resolvers answer. */
  grow(n: number): void {
    this.bytes += n;
    if (this.bytes > MAX_COMPILED_SQL_BYTES) throw new NotCompilable("statement too large");
  }

  param(name: string, value: unknown): SQL {
    const key = `${name}${this.n++}`;
    this.values[key] = value;
    return this.build ? sql`${sql.placeholder(key)}` : sql``;
  }

  args(parent: GraphQLObjectType, node: FieldNode): Record<string, unknown> {
    const def = parent.getFields()[node.name.value] as GraphQLField<unknown, unknown> | undefined;
    if (!def) throw new NotCompilable(`unknown field ${node.name.value}`);
    try {
      return getArgumentValues(def, node, this.variables);
    } catch {
      throw new UseResolvers("arguments");
    }
  }

  objectType(name: string): GraphQLObjectType {
    const t = this.schema.getType(name);
    if (!isObjectType(t)) throw new NotCompilable(`not an object type: ${name}`);
    return t;
  }

  /** A parameter bound in every walk (its SQL is needed to key the statement, or is tiny). */
  bound: Bind = (v) => {
    const key = `q${this.n++}`;
    this.values[key] = v;
    return sql`${sql.placeholder(key)}`;
  };

  /**
   * The conditions of a list's filter (root `filter` input, nested `status`), from the read model's
   * declarations: each value a placeholder, the rendered text part of the statement's shape (so an
   * omitted filter, an empty status list and a given one are different statements). Values the
   * resolvers refuse are left to them.
   */
  filters(model: ReadModel, filter: Record<string, unknown>): SQL[] {
    const conds: SQL[] = [];
    const bind = this.bound;
    for (const [name, v] of Object.entries(filter)) {
      if (v === null || v === undefined) continue;
      const f = model.filters?.[name];
      if (!f) throw new NotCompilable(`filter ${model.typeName}.${name}`);
      if (f.refuses?.(v as never)) throw new UseResolvers(`filter ${name}`);
      const cond = f.where(v as never, bind);
      if (!cond) continue;
      const q = dialect.sqlToQuery(cond);
      // Every filter value is bound; a value written into the condition would make the cache key
      // (and the prepared statements) grow with the values.
      if (q.params.some((p) => !(p instanceof Placeholder))) throw new NotCompilable(`filter ${name} binds a value itself`);
      this.shape.push(`${name}:${q.sql}`);
      // Written into the page's rows and into totalCount.
      this.grow(2 * (q.sql.length + 8));
      conds.push(cond);
    }
    return conds;
  }

  /** The model's visibility condition for this statement's viewer. */
  scope(model: ReadModel): SQL | undefined {
    return model.scope(this.role, this.viewerId);
  }

  /**
   * The JSON object of `typeName` for these field nodes (aliases, fragments, `__typename`): the
   * SQL of each other selected field comes from `field`.
   */
  private fieldsObject(typeName: string, nodes: FieldNode[], field: (name: string, fnodes: FieldNode[]) => SQL): SQL {
    const entries: [string, SQL][] = [];
    this.grow(OBJECT_BYTES);
    for (const [key, fnodes] of subfields(nodes, typeName, this.fragments)) {
      const name = fnodes[0]!.name.value;
      if (fnodes.some((f) => f.name.value !== name)) throw new NotCompilable("conflicting fields");
      this.grow(key.length + 8);
      entries.push([key, name === "__typename" ? literal(typeName) : field(name, fnodes)]);
    }
    return this.build ? objectOf(entries) : sql``;
  }

  /** Counts `render()`'s SQL length toward the size bound, measured once per declaration and role. */
  private growBy(declaration: object, render: () => SQL, extra = 0): void {
    let sizes = valueBytes.get(declaration);
    if (!sizes) valueBytes.set(declaration, (sizes = {}));
    this.grow((sizes[this.role] ??= rendered(render())) + extra);
  }

  /** The JSON object of the current row of `model`'s table for these field nodes. */
  object(model: ReadModel, nodes: FieldNode[]): SQL {
    const gqlType = this.objectType(model.typeName);
    return this.fieldsObject(model.typeName, nodes, (name, fnodes) => {
      const f = model.fields[name];
      if (!f) throw new NotCompilable(`field ${model.typeName}.${name}`);
      const args = this.args(gqlType, fnodes[0]!);
      switch (f.kind) {
        case "value": {
          if (Object.keys(args).length) throw new NotCompilable("arguments on a value field");
          this.growBy(f, () => jsonOf(f, this.role));
          return this.build ? jsonOf(f, this.role) : sql``;
        }
        case "one": {
          this.grow(RELATION_BYTES);
          const child = READ_MODELS[f.target]!;
          const obj = this.object(child, fnodes);
          const expr = this.build
            ? sql`(select ${obj} from ${ident(child.tableName)} where ${and(f.on(), relationScope(child, f, this.role, this.viewerId))} limit 1)`
            : sql``;
          // A non-null relation that is null (not expected with consistent data): the resolvers
          // then answer, with the error GraphQL prescribes.
          return f.nullable || !this.build ? expr : sql`coalesce(${expr}, ${sql.raw(`'${FALLBACK_SENTINEL}'`)}::json)`;
        }
        case "list": {
          this.grow(RELATION_BYTES);
          const child = READ_MODELS[f.target]!;
          const obj = this.object(child, fnodes);
          return this.build
            ? sql`(select coalesce(array_to_json(array_agg(${obj} order by ${f.orderBy()})), '[]'::json) from ${ident(child.tableName)}
                  where ${and(f.on(), relationScope(child, f, this.role, this.viewerId))})`
            : sql``;
        }
        case "connection":
          return this.connection(READ_MODELS[f.target]!, fnodes, args, f.on(), f.statusArg ? "status" : null);
      }
    });
  }

  /** A computed object (ComputedModel) for these field nodes, over the rows its SQL refers to. */
  computed(model: ComputedModel, nodes: FieldNode[]): SQL {
    const gqlType = this.objectType(model.typeName);
    return this.fieldsObject(model.typeName, nodes, (name, fnodes) => {
      const f = model.fields[name];
      if (!f) throw new NotCompilable(`field ${model.typeName}.${name}`);
      if (Object.keys(this.args(gqlType, fnodes[0]!)).length) throw new NotCompilable("arguments on a computed field");
      if (f.kind === "value") {
        this.growBy(f, () => jsonOf(f, this.role));
        return this.build ? jsonOf(f, this.role) : sql``;
      }
      this.growBy(f, () => sql`${f.from} ${f.orderBy}`, RELATION_BYTES);
      const obj = this.computed(f.target, fnodes);
      return this.build ? sql`(select coalesce(array_to_json(array_agg(${obj} order by ${f.orderBy})), '[]'::json) from ${f.from})` : sql``;
    });
  }

  /** A Relay connection over `model`'s table: first + 1 rows newest first, then one aggregate. */
  connection(model: ReadModel, nodes: FieldNode[], args: Record<string, unknown>, on: SQL | undefined, filterArg: "filter" | "status" | null): SQL {
    for (const k of Object.keys(args)) {
      if (k !== "first" && k !== "after" && k !== filterArg) throw new NotCompilable(`argument ${k}`);
    }
    const first = args.first ?? 20;
    if (typeof first !== "number" || !Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new UseResolvers("first");
    let after;
    if (args.after != null) {
      try {
        after = decodeCursor(model.cursorKind, args.after as string);
      } catch {
        throw new UseResolvers("after");
      }
    }
    this.shape.push(after ? "a" : "-");
    const filter =
      filterArg === "filter" ? ((args.filter ?? {}) as Record<string, unknown>) : filterArg === "status" ? { status: args.status } : {};
    const filterConds = this.filters(model, filter);

    const t = model.table;
    const f = this.param("f", first);
    const afterCond = after
      ? sql`(${t.createdAt}, ${t.id}) < (${this.param("at", after.createdAt.toISOString())}::timestamptz, ${this.param("ai", after.id)}::uuid)`
      : undefined;
    const hasPrevious = this.param("hp", after !== undefined);
    const scope = this.build ? this.scope(model) : undefined;

    const connType = `${model.typeName}Connection`;
    const edgeType = `${model.typeName}Edge`;
    const fields = subfields(nodes, connType, this.fragments);
    this.grow(CONNECTION_BYTES);
    const agg: [string, SQL][] = [];
    const out: [string, SQL][] = [];
    // Lists aggregated over the page; ordered and cut once we know whether `first + 1` rows
    // (hasNextPage) are needed.
    const lists: [string, SQL][] = [];
    let cursorExpr: SQL | undefined;
    const cursor = () => (cursorExpr ??= this.cursorOf(model));
    let needPageInfo = false;
    const pageInfoNeeds = new Set<string>();
    for (const [key, fnodes] of fields) {
      const name = fnodes[0]!.name.value;
      if (fnodes.some((x) => x.name.value !== name)) throw new NotCompilable("conflicting fields");
      switch (name) {
        case "__typename":
          out.push([key, literal(connType)]);
          break;
        case "nodes": {
          this.grow(LIST_IN_CONNECTION_BYTES);
          const obj = this.object(model, fnodes);
          lists.push([`n_${key}`, obj]);
          out.push([key, sql`"__a".${ident(`n_${key}`)}`]);
          break;
        }
        case "edges": {
          this.grow(LIST_IN_CONNECTION_BYTES + OBJECT_BYTES);
          const edgeFields = subfields(fnodes, edgeType, this.fragments);
          const entries: [string, SQL][] = [];
          for (const [ek, enodes] of edgeFields) {
            const en = enodes[0]!.name.value;
            if (enodes.some((x) => x.name.value !== en)) throw new NotCompilable("conflicting fields");
            if (en === "__typename") entries.push([ek, literal(edgeType)]);
            else if (en === "cursor") {
              this.grow(CURSOR_BYTES);
              entries.push([ek, this.build ? cursor() : sql``]);
            }
            else if (en === "node") entries.push([ek, this.object(model, enodes)]);
            else throw new NotCompilable(`edge field ${en}`);
          }
          const edge = this.build ? objectOf(entries, "__e") : sql``;
          lists.push([`e_${key}`, edge]);
          out.push([key, sql`"__a".${ident(`e_${key}`)}`]);
          break;
        }
        case "pageInfo": {
          const pi = subfields(fnodes, "PageInfo", this.fragments);
          const entries: [string, SQL][] = [];
          for (const [pk, pnodes] of pi) {
            const pn = pnodes[0]!.name.value;
            if (pnodes.some((x) => x.name.value !== pn)) throw new NotCompilable("conflicting fields");
            if (pn === "__typename") entries.push([pk, literal("PageInfo")]);
            else if (pn === "hasNextPage") entries.push([pk, sql`"__a"."__next"`]);
            else if (pn === "hasPreviousPage") entries.push([pk, sql`${hasPrevious}::boolean`]);
            else if (pn === "startCursor" || pn === "endCursor") {
              this.grow(CURSOR_BYTES);
              pageInfoNeeds.add(pn);
              entries.push([pk, sql`"__a".${ident(`__${pn}`)}`]);
            } else throw new NotCompilable(`pageInfo field ${pn}`);
          }
          needPageInfo = true;
          out.push([key, this.build ? objectOf(entries, "__i") : sql``]);
          break;
        }
        case "totalCount":
          this.grow(RELATION_BYTES);
          // Like countRows / countPerParent: the scope and filters, not the cursor.
          out.push([
            key,
            this.build
              ? sql`(select count(*)::int from ${ident(model.tableName)} where ${and(on, scope, ...filterConds) ?? sql`true`})`
              : sql``,
          ]);
          break;
        default:
          throw new NotCompilable(`connection field ${name}`);
      }
    }
    if (!this.build) return sql``;
    const table = ident(model.tableName);
    const order = sql`${t.createdAt} desc, ${t.id} desc`;
    const where = and(on, scope, ...filterConds, afterCond) ?? sql`true`;
    let rows: SQL;
    if (needPageInfo) {
      // first + 1 rows, numbered, so hasNextPage is known; the lists keep the first `first`.
      const rn = sql`${table}."__rn"`;
      const kept = sql`filter (where ${rn} <= ${f}::int)`;
      for (const [k, obj] of lists) agg.push([k, sql`coalesce(array_to_json(array_agg(${obj} order by ${rn}) ${kept}), '[]'::json)`]);
      agg.push(["__next", sql`count(*) > ${f}::int`]);
      if (pageInfoNeeds.has("startCursor")) agg.push(["__startCursor", sql`(array_agg(${cursor()} order by ${rn}) ${kept})[1]`]);
      if (pageInfoNeeds.has("endCursor")) agg.push(["__endCursor", sql`(array_agg(${cursor()} order by ${rn} desc) ${kept})[1]`]);
      rows = sql`(select ${table}.*, row_number() over (order by ${order}) as "__rn"
      from (select * from ${table} where ${where} order by ${order} limit ${f}::int + 1) ${table}) ${table}`;
    } else {
      for (const [k, obj] of lists) agg.push([k, sql`coalesce(array_to_json(array_agg(${obj} order by ${order})), '[]'::json)`]);
      rows = sql`(select * from ${table} where ${where} order by ${order} limit ${f}::int) ${table}`;
    }
    // Always an aggregate, so the page yields one row even when it is empty.
    if (agg.length === 0) agg.push(["__none", sql`count(*)`]);

    const aggCols = sql.join(
      agg.map(([k, e]) => sql`${e} as ${ident(k)}`),
      sql`, `,
    );
    const outCols = sql.join(
      out.map(([k, e]) => sql`${e} as ${ident(k)}`),
      sql`, `,
    );
    return sql`(select row_to_json("__c") from (select ${outCols} from (select ${aggCols} from ${rows}) "__a") "__c")`;
  }

  /** connections.encodeCursor in SQL: base64url("c2|kind|ms|id|tag"), tag = HMAC-SHA256 (sha256 twice with the key pads). */
  cursorOf(model: ReadModel): SQL {
    // Fixed names: built only on a cache miss, so they must not shift the numbered parameters.
    const ipad = sql`${sql.placeholder("ki")}`;
    const opad = sql`${sql.placeholder("ko")}`;
    const payload = sql`('c2|' || ${literal(model.cursorKind)} || '|' || floor(extract(epoch from ${model.table.createdAt}) * 1000)::bigint::text || '|' || ${model.table.id}::text)`;
    const tag = sql`left(translate(encode(sha256(decode(${opad}, 'hex') || sha256(decode(${ipad}, 'hex') || convert_to(${payload}, 'UTF8'))), 'base64'), '+/=', '-_'), 16)`;
    return sql`rtrim(translate(replace(encode(convert_to(${payload} || '|' || ${tag}, 'UTF8'), 'base64'), chr(10), ''), '+/', '-_'), '=')`;
  }

  root(parent: GraphQLObjectType, nodes: FieldNode[]): SQL {
    const name = nodes[0]!.name.value;
    if (nodes.some((x) => x.name.value !== name)) throw new NotCompilable("conflicting fields");
    if (name === "__typename") return literal("Query");
    const r = ROOT_FIELDS[name];
    if (!r) throw new NotCompilable(`root ${name}`);
    const args = this.args(parent, nodes[0]!);
    if (r.kind === "me") return this.me(nodes);
    if (r.kind === "computed") {
      // Its scope and checks are the root's (a request the resolvers answer with an error goes to them).
      const prelude = r.prelude(this.role, args, this.values.viewer as string | null, sql`${this.viewerId}`, this.bound);
      if (prelude === "resolvers") throw new UseResolvers(name);
      this.shape.push(prelude.shape);
      const shapeKey = `${name}|${prelude.shape}`;
      let withBytes = preludeBytes.get(shapeKey);
      if (withBytes === undefined) preludeBytes.set(shapeKey, (withBytes = rendered(prelude.with)));
      this.grow(withBytes + (prelude.mustExist ? RELATION_BYTES : 0));
      const obj = this.computed(r.model, nodes);
      if (!this.build) return sql``;
      const e = sql`(${prelude.with} select ${obj})`;
      // A partner that does not exist: the resolvers answer (NOT_FOUND).
      return prelude.mustExist ? sql`(case when ${prelude.mustExist} then ${e} else ${fallback} end)` : e;
    }
    const model = READ_MODELS[r.target]!;
    if (r.kind === "all") {
      if (!model.listOrder) throw new NotCompilable(`root ${name} without an order`);
      this.grow(RELATION_BYTES);
      const obj = this.object(model, nodes);
      return this.build
        ? sql`(select coalesce(array_to_json(array_agg(${obj} order by ${model.listOrder()})), '[]'::json) from ${ident(model.tableName)}
            where ${this.scope(model) ?? sql`true`})`
        : sql``;
    }
    if (r.kind === "byId") {
      const id = args.id;
      if (typeof id !== "string" || !isUuid(id)) throw new UseResolvers("id");
      const p = this.param("id", id.toLowerCase());
      const obj = this.object(model, nodes);
      return this.build
        ? sql`(select ${obj} from ${ident(model.tableName)} where ${and(sql`${model.table.id} = ${p}::uuid`, this.scope(model))} limit 1)`
        : sql``;
    }
    return this.connection(model, nodes, args, undefined, "filter");
  }

  /** `me`: the viewer's role and its customer or partner row. */
  me(nodes: FieldNode[]): SQL {
    const fields = subfields(nodes, "Viewer", this.fragments);
    const entries: [string, SQL][] = [];
    for (const [key, fnodes] of fields) {
      const name = fnodes[0]!.name.value;
      if (fnodes.some((x) => x.name.value !== name)) throw new NotCompilable("conflicting fields");
      if (name === "__typename") entries.push([key, literal("Viewer")]);
      else if (name === "role") entries.push([key, literal(this.role)]);
      else if (name === "customer" || name === "partner") {
        const model = READ_MODELS[name === "customer" ? "Customer" : "Partner"]!;
        const obj = this.object(model, fnodes);
        const mine = (name === "customer" && this.role === "CUSTOMER") || (name === "partner" && this.role === "PARTNER");
        entries.push([
          key,
          !this.build
            ? sql``
            : mine
              ? sql`(select ${obj} from ${ident(model.tableName)} where ${and(sql`${model.table.id} = ${this.viewerId}::uuid`, this.scope(model))} limit 1)`
              : sql`null::json`,
        ]);
      } else throw new NotCompilable(`Viewer.${name}`);
    }
    return this.build ? objectOf(entries, "__v") : sql``;
  }
}

interface OperationPlan {
  id: number;
  compilable: boolean;
}

let nextPlanId = 1;
const plans = new WeakMap<DocumentNode, Map<string, OperationPlan>>();

/**
 * Built statements by (document, role, shape), least recently used first, bounded in bytes: a
 * caller sending ever new documents evicts old statements instead of growing the process.
 *
 * Each statement is also prepared on every pooled connection that runs it, and PostgreSQL keeps
 * a prepared statement (text and plan) until its connection closes. So only the first
 * `maxPreparedBytes` of distinct statement texts are prepared; statements beyond that budget run
 * unnamed (parsed and planned per call, nothing kept). The front-ends' few hot documents come
 * first and stay prepared; a flood of unique variants cannot grow the connections.
 */
export class StatementCache {
  private readonly byKey = new Map<string, CompiledStatement>();
  private readonly preparedTexts = new Set<string>();
  bytes = 0;
  preparedBytes = 0;

  constructor(
    readonly maxBytes = 16 * 1024 * 1024,
    readonly maxPreparedBytes = 4 * 1024 * 1024,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): CompiledStatement | undefined {
    const hit = this.byKey.get(key);
    if (hit) {
      this.byKey.delete(key);
      this.byKey.set(key, hit);
    }
    return hit;
  }

  /** Whether a statement with this text may be prepared (within the budget, or already counted). */
  preparable(text: string): boolean {
    if (this.preparedTexts.has(text)) return true;
    if (this.preparedBytes + text.length > this.maxPreparedBytes) return false;
    this.preparedTexts.add(text);
    this.preparedBytes += text.length;
    return true;
  }

  set(key: string, statement: CompiledStatement): void {
    const old = this.byKey.get(key);
    if (old) {
      this.byKey.delete(key);
      this.bytes -= old.text.length;
    }
    this.byKey.set(key, statement);
    this.bytes += statement.text.length;
    for (const [k, v] of this.byKey) {
      if (this.bytes <= this.maxBytes || k === key) break;
      this.byKey.delete(k);
      this.bytes -= v.text.length;
    }
  }
}

/** The process's statement cache (compiled statements depend only on the schema). */
export let statementCache = new StatementCache();

/** Replaces the statement cache (tests of its bounds); returns the previous one. */
export function useStatementCache(cache: StatementCache): StatementCache {
  const previous = statementCache;
  statementCache = cache;
  return previous;
}

export interface CompiledRequest {
  statement: CompiledStatement;
  values: Record<string, unknown>;
}

/**
 * The statement and parameter values answering this query for this viewer, or null when the
 * resolvers must answer it.
 */
export function compileRequest(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown> | undefined,
  viewer: Viewer,
): CompiledRequest | null {
  if (operation.operation !== "query" || viewer.role === "ANONYMOUS") return null;
  const opName = operation.name?.value ?? "";
  let byOp = plans.get(document);
  if (!byOp) plans.set(document, (byOp = new Map()));
  let plan = byOp.get(opName);
  if (!plan) byOp.set(opName, (plan = { id: nextPlanId++, compilable: true }));
  if (!plan.compilable) return null;
  if (operation.directives && operation.directives.length > 0) {
    plan.compilable = false;
    return null;
  }

  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables ?? {});
  if (coerced.errors) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const role = viewer.role;
  const queryType = schema.getQueryType()!;

  const compileOperation = (build: boolean) => {
    const w = new OperationCompiler(schema, fragments, coerced.coerced, role, viewer, build);
    const roots = collect(operation.selectionSet, queryType.name, fragments);
    const entries: [string, SQL][] = [];
    for (const [key, nodes] of roots) entries.push([key, w.root(queryType, nodes)]);
    return { w, entries };
  };

  try {
    const { w } = compileOperation(false);
    const cacheKey = `${plan.id}|${role}|${w.shape.join(",")}`;
    let statement = statementCache.get(cacheKey);
    if (!statement) {
      const built = compileOperation(true);
      const cols = sql.join(
        built.entries.map(([k, e]) => sql`${e} as ${ident(k)}`),
        sql`, `,
      );
      const q = dialect.sqlToQuery(sql`select row_to_json("__r")::text as "data" from (select ${cols}) "__r"`);
      statement = {
        text: q.sql,
        estimatedBytes: built.w.bytes,
        prepare: statementCache.preparable(q.sql),
        params: q.params.map((p) => {
          const name = (p as { name?: unknown }).name;
          if (typeof name !== "string") throw new NotCompilable("a parameter that is not a placeholder");
          return name;
        }),
      };
      statementCache.set(cacheKey, statement);
    }
    return { statement, values: w.values };
  } catch (err) {
    if (err instanceof NotCompilable) {
      plan.compilable = false;
      return null;
    }
    if (err instanceof UseResolvers) return null;
    throw err;
  }
}

/** The parameter list of a compiled statement for one request. */
export function parameterValues(req: CompiledRequest): unknown[] {
  return req.statement.params.map((name) => {
    if (!(name in req.values)) throw new Error(`compiled statement: no value for ${name}`);
    return req.values[name];
  });
}
