/**
 * graphql-ws operations get the same error codes as HTTP ones (RULES §10): before anything runs,
 * a subscribe message is parsed (GRAPHQL_PARSE_FAILED), validated (GRAPHQL_VALIDATION_FAILED),
 * its operation picked (OPERATION_RESOLUTION_FAILURE), its variables coerced (BAD_USER_INPUT) and
 * its inputs checked; results sent afterwards go through the same `formatError` as HTTP (no
 * unexpected error's text reaches a subscriber).
 */
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { DomainError, formatError } from "./errors.js";

export interface SubscribePayload {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** A copy of a graphql-js error carrying `code` (and keeping its source, for `extensions.field`). */
function withCode(err: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(err.message, {
    nodes: err.nodes,
    source: err.source,
    positions: err.positions,
    path: err.path,
    originalError: err.originalError,
    extensions: { ...err.extensions, code },
  });
}

/**
 * Errors to answer a subscribe message with, or undefined when it may run. `check` runs the
 * gateway's own pre-execution checks (cost/depth limits, input text) on the resolved operation
 * and throws a DomainError to refuse it.
 */
export function checkSubscribeMessage(
  schema: GraphQLSchema,
  payload: SubscribePayload,
  check: (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>) => void,
): readonly GraphQLError[] | undefined {
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch (err) {
    if (err instanceof GraphQLError) return [withCode(err, "GRAPHQL_PARSE_FAILED")];
    throw err;
  }
  const invalid = validate(schema, document);
  if (invalid.length > 0) return invalid.map((e) => withCode(e, "GRAPHQL_VALIDATION_FAILED"));
  const operation = getOperationAST(document, payload.operationName ?? undefined);
  if (!operation) {
    const message = payload.operationName ? `Unknown operation named "${payload.operationName}".` : "Must provide operation name if query contains multiple operations.";
    return [new GraphQLError(message, { extensions: { code: "OPERATION_RESOLUTION_FAILURE" } })];
  }
  const variables = payload.variables ?? {};
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
  if (coerced.errors) return coerced.errors.map((e) => withCode(e, "BAD_USER_INPUT"));
  try {
    check(document, operation, variables);
  } catch (err) {
    if (err instanceof DomainError) {
      const { http: _h, ...extensions } = err.extensions;
      return [new GraphQLError(err.message, { nodes: err.nodes, source: err.source, positions: err.positions, extensions })];
    }
    throw err;
  }
  return undefined;
}

/** A `next` payload with its errors formatted like HTTP responses (codes kept, the unexpected masked). */
export function formatSubscriptionResult(result: ExecutionResult): FormattedExecutionResult | undefined {
  if (!result.errors?.length) return undefined;
  return { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) };
}
