/**
 * Query cost limits (RULES §10 QUERY_TOO_COMPLEX). Batching keeps the number of SQL statements
 * flat, but nested lists still multiply the rows a request loads and serialises: a page of 100
 * partners' customers' loans' transactions is millions of objects. Before execution every
 * operation's size is estimated from its selections — each field counts once per object it is
 * resolved on; a connection multiplies its `edges`/`nodes` by `first` (its default when not
 * given), any other list by LIST_FACTOR — and its depth is measured; over a limit the request
 * is refused with QUERY_TOO_COMPLEX and nothing runs.
 */
import {
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  Kind,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { MAX_PAGE_SIZE } from "../shared/connections.js";
import { DomainError } from "../shared/errors.js";

export interface ComplexityLimits {
  /** Estimated objects and fields resolved. */
  maxCost: number;
  /** Nested selection levels. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: ComplexityLimits = { maxCost: 250_000, maxDepth: 16 };

/** Assumed length of a plain (non-connection) list: installments, allocations, history, … */
export const LIST_FACTOR = 10;
const DEFAULT_PAGE = 20;

export interface Complexity {
  /** Fields resolved: each field counts once for every object it is resolved on. */
  cost: number;
  depth: number;
  /** Selections of the document with every fragment spread expanded where it stands. */
  selections: number;
}

function pageSizeOf(node: FieldNode, field: GraphQLField<unknown, unknown>, variables: Record<string, unknown>): number {
  const arg = node.arguments?.find((a) => a.name.value === "first");
  let value: unknown = arg ? valueFromASTUntyped(arg.value, variables) : undefined;
  if (value === undefined || value === null) value = field.args.find((a) => a.name === "first")?.defaultValue ?? DEFAULT_PAGE;
  // An out-of-range `first` is refused by the resolver anyway; estimate with the largest page.
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_PAGE_SIZE ? value : MAX_PAGE_SIZE;
}

const isConnection = (t: GraphQLNamedType) => t.name.endsWith("Connection");

interface Measure {
  /** Cost of the selection set resolved on ONE parent object. */
  cost: number;
  /** Selection sets nested below (0 for a set of leaves). */
  depth: number;
  /** Selections, fragments expanded (not multiplied by lists). */
  selections: number;
}

/**
 * Size and depth of the operation that will run (introspection fields are not counted). Each
 * copy of a field counts: a fragment spread three times per level, five levels deep, counts its
 * fields 243 times, as the response will hold them. The measurement itself is linear in the
 * document: a fragment's cost per parent object is worked out once (per page size of its
 * parent connection) and multiplied, so a fragment bomb that expands to 2^40 selections is
 * measured, and refused, in microseconds.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): Complexity {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = schema.getRootType(operation.operation);
  if (!root) return { cost: 0, depth: 0, selections: 0 };
  const memo = new Map<string, Measure>();

  const measureSet = (set: SelectionSetNode, parent: GraphQLNamedType, pageSize: number, seen: ReadonlySet<string>): Measure => {
    let cost = 0;
    let depth = 0;
    let selections = 0;
    const add = (m: Measure, times: number, below: number) => {
      cost += times * m.cost;
      depth = Math.max(depth, below + m.depth);
      selections += m.selections;
    };
    for (const sel of set.selections) {
      selections++;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        add(measureSet(sel.selectionSet, t ?? parent, pageSize, seen), 1, 0);
        continue;
      }
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(sel.name.value);
        // A cycle is a validation error; never follow one.
        if (!f || seen.has(f.name.value)) continue;
        const key = `${f.name.value}|${pageSize}`;
        let m = memo.get(key);
        if (!m) {
          const t = schema.getType(f.typeCondition.name.value) ?? parent;
          m = measureSet(f.selectionSet, t, pageSize, new Set([...seen, f.name.value]));
          memo.set(key, m);
        }
        add(m, 1, 0);
        continue;
      }
      if (sel.name.value.startsWith("__")) continue;
      cost += 1;
      if (!sel.selectionSet || !isObjectType(parent)) continue;
      const field = parent.getFields()[sel.name.value];
      if (!field) continue;
      const childType = getNamedType(field.type);
      let factor = 1;
      let childPage = pageSize;
      if (isConnection(childType)) childPage = pageSizeOf(sel, field, variables);
      else if (isListType(getNullableType(field.type))) factor = isConnection(parent) ? pageSize : LIST_FACTOR;
      add(measureSet(sel.selectionSet, childType, childPage, seen), factor, 1);
    }
    return { cost, depth, selections };
  };
  return measureSet(operation.selectionSet, root, DEFAULT_PAGE, new Set());
}

/** Refuses an operation over the limits (QUERY_TOO_COMPLEX, HTTP 400) before it runs. */
export function checkComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  limits: ComplexityLimits = DEFAULT_LIMITS,
): Complexity {
  const c = measureOperation(schema, document, operation, variables ?? {});
  // Fragments spread into fragments: a short document that stands for more selections than
  // the cost limit allows fields is refused whatever it resolves (the compiler and validation
  // would otherwise walk every copy).
  if (c.selections > limits.maxCost) {
    throw new DomainError("QUERY_TOO_COMPLEX", `Query expands (through its fragments) to more than ${limits.maxCost} selections`, {
      maxCost: limits.maxCost,
      http: { status: 400 },
    });
  }
  if (c.depth > limits.maxDepth) {
    throw new DomainError("QUERY_TOO_COMPLEX", `Query is nested ${c.depth} levels deep; the limit is ${limits.maxDepth}`, {
      depth: c.depth,
      maxDepth: limits.maxDepth,
      http: { status: 400 },
    });
  }
  if (c.cost > limits.maxCost) {
    throw new DomainError(
      "QUERY_TOO_COMPLEX",
      `Query would resolve about ${c.cost} fields; the limit is ${limits.maxCost}. Ask for smaller pages or fewer nested lists.`,
      { cost: c.cost, maxCost: limits.maxCost, http: { status: 400 } },
    );
  }
  return c;
}
