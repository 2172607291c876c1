/**
 * The one errors module: domain errors carry a code; `formatError` maps them to
 * `extensions.code` and masks everything unexpected (no SQL, stack or driver text leaves).
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";

export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "CONFLICT"
  | "INVALID_STATE"
  | "IDEMPOTENCY_CONFLICT"
  | "QUERY_TOO_COMPLEX"
  | "NOT_IMPLEMENTED"
  | "INTERNAL_SERVER_ERROR";

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = { UNAUTHENTICATED: 401 };

export class DomainError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
  get code(): ErrorCode {
    return this.extensions.code as ErrorCode;
  }
}

export const unauthenticated = (message = "Authentication required") =>
  new DomainError("UNAUTHENTICATED", message, { http: { status: HTTP_STATUS.UNAUTHENTICATED } });
export const forbidden = (message = "Not allowed for this role") => new DomainError("FORBIDDEN", message);
export const notFound = (what: string) => new DomainError("NOT_FOUND", `${what} not found`);
export const badInput = (field: string, message: string) =>
  new DomainError("BAD_USER_INPUT", message, { field });
export const conflict = (message: string, field?: string) =>
  new DomainError("CONFLICT", message, field ? { field } : {});
export const invalidState = (message: string, currentStatus: string) =>
  new DomainError("INVALID_STATE", message, { currentStatus });
export const idempotencyConflict = (message: string) => new DomainError("IDEMPOTENCY_CONFLICT", message);
export const notImplemented = (what: string) =>
  new DomainError("NOT_IMPLEMENTED", `${what} is not implemented yet`);

/** Errors a scalar or input parser raises for bad client values; mapped to BAD_USER_INPUT. */
export class InputValueError extends Error {
  constructor(
    message: string,
    public readonly field?: string,
  ) {
    super(message);
  }
}

const PASS_THROUGH = new Set([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "CONFLICT",
  "INVALID_STATE",
  "IDEMPOTENCY_CONFLICT",
  "QUERY_TOO_COMPLEX",
  "NOT_IMPLEMENTED",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "BAD_REQUEST",
]);

type Reporter = (error: unknown) => void;
let reportUnexpected: Reporter = () => {};
/** Where masked errors are logged (the server sets its logger here). */
export function setUnexpectedErrorReporter(fn: Reporter): void {
  reportUnexpected = fn;
}

function findInputValueError(err: unknown): InputValueError | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur; i++) {
    if (cur instanceof InputValueError) return cur;
    cur = (cur as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/** Apollo `formatError`: keep known codes, turn scalar errors into BAD_USER_INPUT, mask the rest. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const inputErr = findInputValueError(error);
  const code = formatted.extensions?.code as string | undefined;
  if (inputErr) {
    return {
      message: formatted.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: "BAD_USER_INPUT", ...(inputErr.field ? { field: inputErr.field } : {}) },
    };
  }
  if (code && PASS_THROUGH.has(code)) {
    // Drop anything Apollo adds in development (stacktrace) and internal http hints.
    const { stacktrace: _s, http: _h, exception: _e, ...ext } = formatted.extensions ?? {};
    return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: ext };
  }
  reportUnexpected(error);
  return {
    message: "Internal server error",
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}
