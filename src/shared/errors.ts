/**
 * Domain errors: every refusal the rules make carries a code (RULES §10). The edge
 * (src/server/errors.ts) maps them to `extensions.code` and HTTP statuses and masks anything
 * else; this module is the ground floor, so features, auth, events and shared code raise them
 * without knowing the transport.
 */
import { GraphQLError } from "graphql";

export type ErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "BAD_USER_INPUT"
  | "CONFLICT"
  | "INVALID_STATE"
  | "IDEMPOTENCY_CONFLICT"
  | "QUERY_TOO_COMPLEX"
  | "RATE_LIMITED"
  | "PERSISTED_QUERY_NOT_ALLOWED"
  | "PERSISTED_QUERY_NOT_FOUND"
  | "REQUEST_TIMEOUT"
  | "NOT_IMPLEMENTED"
  | "SERVICE_UNAVAILABLE"
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

export const unauthenticated = (message = "Authentication required") => new DomainError("UNAUTHENTICATED", message);
/** A token that cannot be trusted: the whole request is refused with HTTP 401. */
export const invalidCredentials = (message: string) =>
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

/** Errors a scalar or input parser raises for bad client values; mapped to BAD_USER_INPUT. */
export class InputValueError extends Error {
  constructor(
    message: string,
    public readonly field?: string,
  ) {
    super(message);
  }
}
