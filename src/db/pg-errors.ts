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
