/**
 * A schema-aware generator of GraphQL requests for the fuzz tests: random root fields of the live
 * schema (buildGatewaySchema()), random arguments — valid-looking, invalid, of the wrong kind,
 * unknown enum names, nulls — passed inline or as variables (declared with the right type or a
 * wrong one), and random nested selections of bounded depth, sometimes with an unknown field.
 */
import fc from "fast-check";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from "graphql";

/** An enum value written bare in a literal (a string in variables). */
export class EnumName {
  constructor(public readonly name: string) {}
}

export interface IdPool {
  ids: string[];
  cursors: string[];
  /** Ids by the argument or input field they are meant for (loanId, applicationId, …). */
  byName?: Record<string, string[]>;
  /** Set by `requests` for a "mostly valid" generator: right shapes and types nearly always. */
  valid?: boolean;
}

export interface GeneratedRequest {
  query: string;
  variables: Record<string, unknown>;
  /** The root field asked for (for filtering and reports). */
  root: string;
}

const SQLISH = [
  "'; drop table customers; --",
  "1 or 1=1",
  "' OR '1'='1",
  "1; select pg_sleep(3)",
  "%' union select nik from customers --",
  "\\",
  "%",
  "_",
  "$1",
];

const weird = fc.oneof(
  fc.constantFrom(...SQLISH),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.constantFrom("", " ", "\u0000", "a\u0000b", "\ud800", "null", "undefined", "NaN", "-0", "0x10", "1e6", "१२३"),
  fc.nat(3000).map((n) => "x".repeat(n)),
);

/** Any JSON value, for "wrong kind" inputs. */
const wildJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e21, -1, 0),
    weird,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "id", "amount", "where", "__proto__", "constructor"), tie("v"), { maxKeys: 3 }),
  ),
})).v;

const validDate = fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2100-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const badDate = fc.constantFrom("2026-02-30", "2026-13-01", "2026-00-01", "2026-1-1", "01/02/2026", "20260101", "2026-01-01T00:00:00Z", "9999-12-31", "0001-01-01", "10000-01-01", "");
const dateTime = fc.oneof(
  fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom("2026-02-30T03:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T10:00:00", "2026-01-01T10:00:00+14:00", "2026-01-01T10:00:00-12:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "now"),
);
const money = fc.oneof(
  fc.bigInt(0n, 20_000_000n).map(String),
  fc.nat(20_000_000),
  fc.bigInt(0n, 2n ** 70n).map(String),
  fc.constantFrom("-1", "1.5", "1e6", "0x10", " 100", "100,000", "", "9223372036854775807", "9223372036854775808", "0", "3000000", "1124000"),
  fc.constantFrom(-5, 1.5, 1e21, 2 ** 53 + 2),
);
const int = fc.oneof(fc.integer({ min: -5, max: 200 }), fc.integer(), fc.constantFrom(1, 3, 6, 100, 101, 0, -1, 2147483647, -2147483648));

const pastDateTime = fc.date({ min: new Date("2025-01-01T00:00:00Z"), max: new Date(), noInvalidDate: true }).map((d) => d.toISOString());
const smallMoney = fc.oneof(fc.bigInt(1n, 9_000_000n).map(String), fc.constantFrom("1124000", "3000000", "500000", "1"));

function scalarValue(name: string, pool: IdPool, field = ""): fc.Arbitrary<unknown> {
  if (pool.valid) {
    const w = (good: fc.Arbitrary<unknown>, any: fc.Arbitrary<unknown>) => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: any });
    const meant = pool.byName?.[field];
    if (name === "ID") return w(fc.constantFrom(...(meant?.length ? meant : pool.ids)), fc.uuid());
    if (name === "Money") return w(smallMoney, money);
    if (name === "Date") return w(validDate, badDate);
    if (name === "DateTime") return w(pastDateTime, dateTime);
    if (name === "Int") return w(fc.integer({ min: 1, max: 8 }), int);
  }
  switch (name) {
    case "ID":
      return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...pool.ids) }, { weight: 2, arbitrary: fc.uuid() }, { weight: 2, arbitrary: weird }, { weight: 1, arbitrary: fc.integer() });
    case "String":
      return fc.oneof(
        { weight: 3, arbitrary: weird },
        { weight: 2, arbitrary: fc.constantFrom("MTL", "STL", "Modal usaha", "081234567890", "+6281234567890", "3171015705900001", "siti@example.id", "246810", "bank-ref-1") },
        { weight: 2, arbitrary: fc.constantFrom(...pool.cursors, ...pool.ids) },
      );
    case "Int":
      return int;
    case "Float":
      return fc.double();
    case "Boolean":
      return fc.boolean();
    case "Money":
      return money;
    case "Date":
      return fc.oneof(validDate, badDate);
    case "DateTime":
      return dateTime;
    default:
      return weird;
  }
}

/** A value for an input type: mostly of the right shape, sometimes wrong, sometimes null. */
export function inputValue(type: GraphQLInputType, pool: IdPool, depth = 0, field = ""): fc.Arbitrary<unknown> {
  const right = rightShape(type, pool, depth, field);
  return fc.oneof({ weight: pool.valid ? 40 : 8, arbitrary: right }, { weight: 1, arbitrary: wildJson }, { weight: 1, arbitrary: fc.constant(null) });
}

function rightShape(type: GraphQLInputType, pool: IdPool, depth: number, field: string): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return rightShape(type.ofType, pool, depth, field);
  if (isListType(type)) {
    const item = inputValue(type.ofType, pool, depth + 1, field);
    return fc.oneof({ weight: 3, arbitrary: fc.array(item, { maxLength: 3 }) }, { weight: 1, arbitrary: item });
  }
  if (isEnumType(type)) {
    const names = type.getValues().map((v) => v.name);
    return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constantFrom("NOPE", "current", names[0]!.toLowerCase(), "LATE_0DPD") }).map((n) => new EnumName(n));
  }
  if (isScalarType(type)) return scalarValue(type.name, pool, field);
  if (isInputObjectType(type)) {
    if (depth > 3) return fc.constant({});
    const fields = Object.values(type.getFields());
    const entries = fields.map((f) => {
      const v = inputValue(f.type, pool, depth + 1, f.name);
      // Required fields are usually there; optional ones half of the time.
      const keep = isNonNullType(f.type) ? fc.oneof({ weight: pool.valid ? 60 : 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) : fc.boolean();
      return fc.tuple(fc.constant(f.name), keep, v);
    });
    return fc.tuple(fc.tuple(...entries), fc.oneof({ weight: pool.valid ? 100 : 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom("where", "sql", "id", "__typename"), wildJson) })).map(([list, extra]) => {
      const out: Record<string, unknown> = {};
      for (const [name, keep, v] of list) if (keep) out[name] = v;
      if (extra) out[extra[0]] = extra[1];
      return out;
    });
  }
  return wildJson;
}

/** JSON for variables: enum names become strings. */
export function toJson(v: unknown): unknown {
  if (v instanceof EnumName) return v.name;
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

const NAME_RE = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** A GraphQL literal for a value (enum names bare, invalid object keys dropped). */
export function toLiteral(v: unknown): string {
  if (v instanceof EnumName) return NAME_RE.test(v.name) ? v.name : JSON.stringify(v.name);
  if (v === null || v === undefined) return "null";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "0";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(toLiteral).join(", ")}]`;
  if (typeof v === "object") {
    const parts = Object.entries(v as Record<string, unknown>).filter(([k]) => NAME_RE.test(k)).map(([k, x]) => `${k}: ${toLiteral(x)}`);
    return `{${parts.join(", ")}}`;
  }
  return JSON.stringify(String(v));
}

/** Argument plan: how an argument is passed. */
interface ArgPlan {
  name: string;
  mode: "var" | "literal" | "omit";
  /** Declared variable type (usually the argument's own). */
  declared: string;
  value: unknown;
  /** A variable declared but left out of `variables`. */
  dropValue: boolean;
}

interface FieldPlan {
  name: string;
  alias?: string;
  args: ArgPlan[];
  children?: FieldPlan[];
}

const WRONG_TYPES = ["Int", "String", "ID!", "[ID]", "Money", "Date", "Boolean", "LoanStatus", "Nope"];

function argPlan(arg: GraphQLArgument, pool: IdPool): fc.Arbitrary<ArgPlan> {
  const required = isNonNullType(arg.type);
  const mode = required
    ? fc.oneof({ weight: 6, arbitrary: fc.constant("var" as const) }, { weight: pool.valid ? 0 : 3, arbitrary: fc.constant("literal" as const) }, { weight: pool.valid ? 0 : 1, arbitrary: fc.constant("omit" as const) })
    : fc.constantFrom("var" as const, "literal" as const, "omit" as const, "omit" as const);
  const declared = fc.oneof({ weight: pool.valid ? 100 : 9, arbitrary: fc.constant(String(arg.type)) }, { weight: 1, arbitrary: fc.constantFrom(...WRONG_TYPES) });
  const dropValue = fc.oneof({ weight: pool.valid ? 100 : 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  return fc.record({ name: fc.constant(arg.name), mode, declared, value: inputValue(arg.type, pool, 0, arg.name), dropValue });
}

type AnyField = GraphQLField<unknown, unknown>;

function fieldsOf(type: GraphQLObjectType): AnyField[] {
  return Object.values(type.getFields());
}

function selectionFor(field: AnyField, pool: IdPool, depth: number, maxDepth: number): fc.Arbitrary<FieldPlan> {
  const named = getNamedType(field.type);
  const args = field.args.length ? fc.tuple(...field.args.map((a) => argPlan(a, pool))) : fc.constant([] as ArgPlan[]);
  const alias = fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom("a", "b", "x1") });
  if (!(isObjectType(named) || isInterfaceType(named) || isUnionType(named))) {
    // A leaf; once in a while given a sub-selection (a validation error).
    const bogus = fc.oneof({ weight: pool.valid ? 1000 : 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant([{ name: "x", args: [] }] as FieldPlan[]) });
    return fc.record({ name: fc.constant(field.name), alias, args, children: bogus });
  }
  if (!isObjectType(named)) return fc.record({ name: fc.constant(field.name), alias, args, children: fc.constant([{ name: "__typename", args: [] }]) });
  const children = depth >= maxDepth ? leafSelection(named) : subSelection(named, pool, depth + 1, maxDepth);
  return fc.record({ name: fc.constant(field.name), alias, args, children });
}

function leafSelection(type: GraphQLObjectType): fc.Arbitrary<FieldPlan[]> {
  const leaves = fieldsOf(type).filter((f) => !isObjectType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type)));
  if (leaves.length === 0) return fc.constant([{ name: "__typename", args: [] }]);
  return fc.subarray(leaves, { minLength: 1, maxLength: Math.min(4, leaves.length) }).map((fs) => fs.map((f) => ({ name: f.name, args: [] })));
}

function subSelection(type: GraphQLObjectType, pool: IdPool, depth: number, maxDepth: number): fc.Arbitrary<FieldPlan[]> {
  const all = fieldsOf(type);
  return fc
    .tuple(
      fc.subarray(all, { minLength: 1, maxLength: Math.min(4, all.length) }),
      fc.oneof({ weight: pool.valid ? 1000 : 25, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    )
    .chain(([picked, unknown]) =>
      fc.tuple(...picked.map((f) => selectionFor(f, pool, depth, maxDepth))).map((plans) => (unknown ? [...plans, { name: "nope", args: [] }] : plans)),
    );
}

/** Turns a plan into a request: variables named $v0, $v1, … in order. */
function render(kind: "query" | "mutation" | "subscription", root: FieldPlan, opName: string | undefined): GeneratedRequest {
  const defs: string[] = [];
  const variables: Record<string, unknown> = {};
  let n = 0;
  const renderField = (f: FieldPlan): string => {
    const args = f.args
      .filter((a) => a.mode !== "omit")
      .map((a) => {
        if (a.mode === "literal") return `${a.name}: ${toLiteral(a.value)}`;
        const v = `v${n++}`;
        defs.push(`$${v}: ${a.declared}`);
        if (!a.dropValue) variables[v] = toJson(a.value);
        return `${a.name}: $${v}`;
      });
    const head = `${f.alias ? `${f.alias}: ` : ""}${f.name}${args.length ? `(${args.join(", ")})` : ""}`;
    return f.children?.length ? `${head} { ${f.children.map(renderField).join(" ")} }` : head;
  };
  const body = renderField(root);
  const header = `${kind}${opName ? ` ${opName}` : ""}${defs.length ? `(${defs.join(", ")})` : ""}`;
  return { query: `${header} { ${body} }`, variables, root: root.name };
}

export interface GeneratorOptions {
  kinds: ("query" | "mutation" | "subscription")[];
  maxDepth?: number;
  /** Root fields to leave out. */
  exclude?: string[];
  /** Mostly valid requests (right types and shapes, rare mistakes), to get past validation into the services. */
  mostlyValid?: boolean;
}

/** Random requests over the schema's root fields. */
export function requests(schema: GraphQLSchema, pool: IdPool, opts: GeneratorOptions): fc.Arbitrary<GeneratedRequest> {
  return build(schema, { ...pool, valid: !!opts.mostlyValid }, opts);
}

function build(schema: GraphQLSchema, pool: IdPool, opts: GeneratorOptions): fc.Arbitrary<GeneratedRequest> {
  const maxDepth = opts.maxDepth ?? 3;
  const roots = opts.kinds.flatMap((kind) => {
    const type = kind === "query" ? schema.getQueryType() : kind === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
    return type ? fieldsOf(type).filter((f) => !opts.exclude?.includes(f.name)).map((f) => ({ kind, f })) : [];
  });
  return fc
    .tuple(fc.constantFrom(...roots), fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constant("Fuzz") }))
    .chain(([{ kind, f }, opName]) => selectionFor(f, pool, 1, maxDepth).map((plan) => render(kind, plan, opName)));
}

/** Every string inside a request (they may be echoed back in error messages). */
export function stringsOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringsOf(x, out);
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) (out.push(k), stringsOf(x, out));
  return out;
}
