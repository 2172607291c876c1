/**
 * Structured JSON logs (one object a line). Known secrets and identity numbers are redacted
 * before anything is written: PIN, PIN hashes, NIK, tokens, Authorization headers, and the
 * parameters of failed SQL statements (drizzle's "Failed query: … params: …" messages carry the
 * row being written: name, NIK, phone, e-mail, PIN hash). An error is logged as its name,
 * message, SQLSTATE `code` and its cause chain (the driver's own message says what failed).
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET_KEYS = /^(pin|pinhash|pin_hash|nik|token|authorization|password|secret|jwt|jwtsecret)$/i;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

function redactString(value: string): string {
  return value
    .replace(/(\bparams:)[\s\S]*$/, "$1 [redacted]")
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, "Bearer [redacted]")
    .replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*)?/g, "[redacted-jwt]")
    .replace(/scrypt\$[^\s,"')]+/g, "[redacted-pin-hash]")
    .replace(/\b\d{16}\b/g, "[redacted-nik]");
}

function redactError(err: Error, depth: number): Record<string, unknown> {
  const e = err as Error & { code?: unknown; cause?: unknown; originalError?: unknown };
  const out: Record<string, unknown> = { name: err.name, message: redactString(err.message) };
  if (typeof e.code === "string" || typeof e.code === "number") out.code = e.code;
  // GraphQLError keeps the thrown error in originalError; drizzle keeps the driver's in cause.
  const inner = e.originalError ?? e.cause;
  if (inner !== undefined && inner !== err && depth < 6) out.cause = redact(inner, depth + 1);
  return out;
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") {
    if (typeof value === "string") return redactString(value);
    if (typeof value === "bigint") return value.toString();
    return value;
  }
  if (value instanceof Error) return redactError(value, depth);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stdout.write(l + "\n")): Logger {
  const min = ORDER[level];
  const log = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const entry = { time: new Date().toISOString(), level: lvl, msg: redact(msg), ...(fields ? (redact(fields) as object) : {}) };
    write(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
  };
}
