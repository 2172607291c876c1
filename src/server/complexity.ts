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
import { DomainError } from "./errors.js";

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
  cost: number;
  depth: number;
  /**
   * The walk stopped after `budget` selections (fragments spread into fragments can expand a
   * short document exponentially): the operation is too big whatever its real cost.
   */
  truncated?: boolean;
}

function pageSizeOf(node: FieldNode, field: GraphQLField<unknown, unknown>, variables: Record<string, unknown>): number {
  const arg = node.arguments?.find((a) => a.name.value === "first");
  let value: unknown = arg ? valueFromASTUntyped(arg.value, variables) : undefined;
  if (value === undefined || value === null) value = field.args.find((a) => a.name === "first")?.defaultValue ?? DEFAULT_PAGE;
  // An out-of-range `first` is refused by the resolver anyway; estimate with the largest page.
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_PAGE_SIZE ? value : MAX_PAGE_SIZE;
}

const isConnection = (t: GraphQLNamedType) => t.name.endsWith("Connection");

/** Size and depth of the operation that will run (introspection fields are not counted). */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
  budget: number = DEFAULT_LIMITS.maxCost,
): Complexity {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = schema.getRootType(operation.operation);
  if (!root) return { cost: 0, depth: 0 };
  let cost = 0;
  let depth = 0;
  let visits = 0;

  const walk = (set: SelectionSetNode, parent: GraphQLNamedType, times: number, level: number, pageSize: number, seen: Set<string>) => {
    depth = Math.max(depth, level);
    for (const sel of set.selections) {
      if (++visits > budget) return;
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        walk(sel.selectionSet, t ?? parent, times, level, pageSize, seen);
        continue;
      }
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(sel.name.value);
        if (!f || seen.has(f.name.value)) continue;
        const t = schema.getType(f.typeCondition.name.value) ?? parent;
        walk(f.selectionSet, t, times, level, pageSize, new Set([...seen, f.name.value]));
        continue;
      }
      if (sel.name.value.startsWith("__")) continue;
      cost += times;
      if (!sel.selectionSet || !isObjectType(parent)) continue;
      const field = parent.getFields()[sel.name.value];
      if (!field) continue;
      const named = getNamedType(field.type);
      let factor = 1;
      let childPage = pageSize;
      if (isConnection(named)) childPage = pageSizeOf(sel, field, variables);
      else if (isListType(getNullableType(field.type))) factor = isConnection(parent) ? pageSize : LIST_FACTOR;
      walk(sel.selectionSet, named, times * factor, level + 1, childPage, seen);
    }
  };
  walk(operation.selectionSet, root, 1, 0, DEFAULT_PAGE, new Set());
  return visits > budget ? { cost, depth, truncated: true } : { cost, depth };
}

/** Refuses an operation over the limits (QUERY_TOO_COMPLEX, HTTP 400) before it runs. */
export function checkComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
  limits: ComplexityLimits = DEFAULT_LIMITS,
): Complexity {
  const c = measureOperation(schema, document, operation, variables ?? {}, limits.maxCost);
  if (c.truncated) {
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
