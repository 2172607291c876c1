/**
 * Structured JSON logs (one object a line) through pino. Known secrets and identity numbers are
 * redacted before anything is written: PIN, PIN hashes, NIK, tokens, Authorization headers (pino
 * `redact` paths, and by key name at any depth), and by pattern inside strings: bearer
 * credentials, JWTs, scrypt PIN hashes, 16-digit NIKs and the parameters of failed SQL statements
 * (drizzle's "Failed query: … params: …" messages carry the row being written: name, NIK, phone,
 * e-mail, PIN hash). An error is logged as its name, message, SQLSTATE `code` and its cause chain
 * (the driver's own message says what failed). While a trace span is active (tracing.ts), every
 * line carries its `trace_id` and `span_id`.
 */
import { isSpanContextValid, trace } from "@opentelemetry/api";
import { pino, type Logger as PinoLogger } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const SECRET_KEYS = /^(pin|pinhash|pin_hash|nik|token|authorization|password|secret|jwt|jwtsecret)$/i;

/** pino's own path redaction (the key-name rule above also covers them at any depth). */
const REDACT_PATHS = [
  "pin",
  "pinHash",
  "nik",
  "token",
  "authorization",
  "password",
  "jwtSecret",
  "*.pin",
  "*.pinHash",
  "*.nik",
  "*.token",
  "*.authorization",
  "*.password",
  "headers.authorization",
  "req.headers.authorization",
];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries `bindings` (e.g. one request's id and operation). */
  child?(bindings: Record<string, unknown>): Logger;
}

/** `logger.child(bindings)`, or the logger itself when it has no children (a test's capture). */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  return logger.child ? logger.child(bindings) : logger;
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

/** The active span's ids (tracing.ts), on every line logged while it is active. */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

function wrap(p: PinoLogger): Logger {
  const at =
    (lvl: "debug" | "info" | "warn" | "error") =>
    (msg: string, fields?: Record<string, unknown>): void => {
      if (!p.isLevelEnabled(lvl)) return;
      if (fields) p[lvl](redact(fields) as object, redactString(msg));
      else p[lvl](redactString(msg));
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (bindings) => lazyChild(p, bindings),
  };
}

/**
 * A child made on its first line written (a request at LOG_LEVEL=info usually writes none). A
 * class, so that a request's logger costs one small object and no closures on the hot path.
 */
class LazyChild implements Logger {
  private made: Logger | undefined;

  constructor(
    private readonly p: PinoLogger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  private get target(): Logger {
    return (this.made ??= wrap(this.p.child(redact(this.bindings) as Record<string, unknown>)));
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (this.p.isLevelEnabled("debug")) this.target.debug(msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    if (this.p.isLevelEnabled("info")) this.target.info(msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    if (this.p.isLevelEnabled("warn")) this.target.warn(msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    if (this.p.isLevelEnabled("error")) this.target.error(msg, fields);
  }
  child(bindings: Record<string, unknown>): Logger {
    return this.target.child!(bindings);
  }
}

function lazyChild(p: PinoLogger, bindings: Record<string, unknown>): Logger {
  return new LazyChild(p, bindings);
}

/**
 * A pino logger at `level` (LOG_LEVEL) writing one JSON object a line to stdout, or to `write`
 * (one call per line, without the newline: tests capture lines this way).
 */
export function createLogger(level: LogLevel, write?: (line: string) => void): Logger {
  const destination = write ? { write: (chunk: string) => write(chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk) } : pino.destination({ dest: 1, sync: true });
  const p = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      mixin: traceFields,
    },
    destination,
  );
  return wrap(p);
}
