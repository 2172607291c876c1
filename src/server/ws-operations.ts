/**
 * graphql-ws operations get the same error codes as HTTP ones (RULES §10): before anything runs,
 * a subscribe message is parsed (GRAPHQL_PARSE_FAILED), validated (GRAPHQL_VALIDATION_FAILED)
 * and limited (limits.ts), its operation picked (OPERATION_RESOLUTION_FAILURE), its variables
 * coerced (BAD_USER_INPUT) and its inputs checked (here); results sent afterwards go through the same `formatError` as HTTP (no
 * unexpected error's text reaches a subscriber).
 */
import {
  getVariableValues,
  GraphQLError,
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { formatError } from "./errors.js";
import { DomainError } from "../shared/errors.js";

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

/** OPERATION_RESOLUTION_FAILURE, worded as Apollo words it over HTTP. */
export function operationResolutionFailure(operationName: string | null | undefined): GraphQLError {
  const message = operationName ? `Unknown operation named "${operationName}".` : "Must provide operation name if query contains multiple operations.";
  return new GraphQLError(message, { extensions: { code: "OPERATION_RESOLUTION_FAILURE" } });
}

/**
 * Errors to answer a subscribe message with, or undefined when it may run: after parsing,
 * validation and the limits (limits.ts prepareWsOperation), its variables are coerced
 * (BAD_USER_INPUT) and `check` runs the gateway's own input checks, throwing a DomainError to
 * refuse it.
 */
export function checkResolvedSubscribe(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  check: (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>) => void,
): readonly GraphQLError[] | undefined {
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

/**
 * A socket whose token expires is closed with 4403 (graphql-ws' Forbidden), idle or not: called
 * at the token's `exp` (atTokenExpiry, armed at connection). Its running subscriptions end at the
 * same moment with UNAUTHENTICATED (the event bus's own expiry), and those errors go out first:
 * the close waits until the socket has no operation left, at most `graceMs`. Operations arriving
 * meanwhile are refused by the per-operation check (websocket.ts onSubscribe).
 */
export function closeExpiredSocket(
  ctx: { readonly subscriptions: Record<string, unknown> },
  socket: { readonly readyState: number; readonly OPEN: number; close(code: number, reason: string): void },
  graceMs = 1_000,
): void {
  const until = Date.now() + graceMs;
  const attempt = () => {
    if (socket.readyState !== socket.OPEN) return;
    if (Object.keys(ctx.subscriptions).length > 0 && Date.now() < until) {
      setTimeout(attempt, 10).unref();
      return;
    }
    socket.close(4403, "Token expired");
  };
  attempt();
}
