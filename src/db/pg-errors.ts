/**
 * Recognising PostgreSQL constraint violations whichever driver raised them. drizzle wraps driver
 * errors in `DrizzleQueryError` (the driver's error is its `cause`); postgres.js names the
 * constraint `constraint_name`, PGlite `constraint`; both carry the SQLSTATE in `code`.
 */

export const UNIQUE_VIOLATION = "23505";
export const FOREIGN_KEY_VIOLATION = "23503";

export interface PgViolation {
  code: string;
  constraint?: string;
  detail?: string;
}

/** The PostgreSQL error with SQLSTATE `code` inside `err` (or its causes), if any. */
export function pgViolation(err: unknown, code: string): PgViolation | undefined {
  let cur: unknown = err;
  for (let i = 0; i < 5 && cur && typeof cur === "object"; i++) {
    const e = cur as { code?: unknown; constraint?: unknown; constraint_name?: unknown; detail?: unknown; cause?: unknown };
    if (e.code === code) {
      const constraint = typeof e.constraint_name === "string" ? e.constraint_name : typeof e.constraint === "string" ? e.constraint : undefined;
      return { code, constraint, detail: typeof e.detail === "string" ? e.detail : undefined };
    }
    cur = e.cause;
  }
  return undefined;
}

/** The unique violation inside `err`, if any. */
export function uniqueViolation(err: unknown): PgViolation | undefined {
  return pgViolation(err, UNIQUE_VIOLATION);
}

/**
 * Errors meaning "the database cannot be reached right now" (not "this query is wrong"): the
 * connection was refused, reset, closed or timed out (postgres.js and Node socket codes), or the
 * server is shutting down, starting up or out of connections (SQLSTATE class 08, 57P01–57P03,
 * 53300). Looked for through `originalError` (GraphQL) and `cause` (drizzle) wrappers.
 */
const CONNECTION_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down, recovering)
  "53300", // too_many_connections
]);

export function isConnectionError(err: unknown): boolean {
  let cur: unknown = err;
  for (let i = 0; i < 8 && cur && typeof cur === "object"; i++) {
    const e = cur as { code?: unknown; errno?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof e.code === "string" && (CONNECTION_ERROR_CODES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code))) return true;
    cur = e.originalError ?? e.cause;
  }
  return false;
}
