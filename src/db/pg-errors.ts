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
  return errorCodes(err).some((code) => CONNECTION_ERROR_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code));
}

/**
 * The subset of connection errors that mean "the connection this statement went out on was lost"
 * (closed or reset by the other end, its backend terminated), as opposed to "no connection can be
 * made now" (refused, timed out, the server starting up or full). Only the first kind is worth
 * an immediate second try on another pooled connection; the second would only fail again, and
 * later, while the caller should hear SERVICE_UNAVAILABLE at once.
 */
const LOST_CONNECTION_CODES = new Set(["ECONNRESET", "EPIPE", "CONNECTION_CLOSED", "CONNECTION_DESTROYED", "57P01", "57P02"]);

export function isLostConnection(err: unknown): boolean {
  return errorCodes(err).some((code) => LOST_CONNECTION_CODES.has(code));
}

/** The `code`s along an error's `originalError` (GraphQL) and `cause` (drizzle) chain. */
function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 8 && cur && typeof cur === "object"; i++) {
    const e = cur as { code?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof e.code === "string") codes.push(e.code);
    cur = e.originalError ?? e.cause;
  }
  return codes;
}

/**
 * How many times in all a statement or transaction that is safe to repeat is tried while it fails
 * with a connection error. After a restart every pooled connection may fail its first statement
 * (postgres.js hands the next statement on a reconnected connection the old backend's 57P01), so
 * a second try can meet a second such connection; a third one has never been seen to fail here.
 */
export const LOST_CONNECTION_ATTEMPTS = 3;

/**
 * `work()` again, up to LOST_CONNECTION_ATTEMPTS in all, while it fails because its connection
 * was lost (`isLostConnection`). Only for work that provably did nothing when it failed, or that changes
 * nothing (a read outside a transaction); any other error, or the last one, is thrown.
 */
export function retryLostConnection<T>(work: () => Promise<T>, attempt = 1): Promise<T> {
  const pending = work();
  if (attempt >= LOST_CONNECTION_ATTEMPTS) return pending;
  return pending.catch((err: unknown) => {
    if (!isLostConnection(err)) throw err;
    return retryLostConnection(work, attempt + 1);
  });
}
