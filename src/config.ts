/**
 * The only module that reads process.env. Everything is validated once and typed.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TracingConfig } from "./shared/tracing.js";

export interface Config {
  nodeEnv: "development" | "production" | "test";
  /** PostgreSQL URL; undefined means the embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  /** Streaming replicas that take the reads (DATABASE_READ_URL, comma-separated); empty = all on the primary. */
  databaseReadUrls: string[];
  /** A replica whose replay lags more than this leaves rotation until it catches up. */
  replicaMaxLagMs: number;
  dataDir: string;
  port: number;
  host: string;
  jwtSecret: string;
  /** True when the secret was generated for this process (development only). */
  jwtSecretGenerated: boolean;
  seedDemo: boolean;
  /** Pool size for PostgreSQL. */
  dbPoolMax: number;
  /** WebSocket keep-alive ping interval. */
  wsKeepAliveMs: number;
  /** Status events (subscription resume points) are kept this many days (at least 7). */
  eventRetentionDays: number;
  /** Run the daily update in-process every N minutes (0 = off). */
  dailyUpdateIntervalMinutes: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /** Answer known read shapes with one compiled SQL statement (false: resolvers only). */
  compiledReads: boolean;
  /** Answer plain compilable POST reads before Apollo's pipeline (src/server/compiler/fast-path.ts). */
  compiledFastPath: boolean;
  /** Abuse limits of every operation, HTTP and WebSocket (src/server/limits.ts). */
  maxQueryLength: number;
  maxQueryTokens: number;
  maxQueryAliases: number;
  /** HTTP execution deadline for everyone but ADMIN, and for ADMIN (daily update, big reads). */
  requestTimeoutMs: number;
  adminRequestTimeoutMs: number;
  /** PostgreSQL `statement_timeout` of the gateway's pool (0 = none). */
  dbStatementTimeoutMs: number;
  /** `login` and `registerCustomer` calls per client IP address per minute (0 = no limit). */
  authRateLimitPerMinute: number;
  /** Reverse proxies in front of the gateway whose X-Forwarded-For is trusted (0 = none). */
  trustProxyHops: number;
  /** Automatic persisted queries (Apollo APQ), cached in the database. */
  persistedQueries: boolean;
  persistedQueryTtlSeconds: number;
  /** New APQ entries one client IP may register per hour (ADMIN and PARTNER exempt; 0 = no cap). */
  persistedQueryRegistrationsPerHour: number;
  /** Rows the APQ table may hold; past it the oldest are evicted. */
  persistedQueryMaxEntries: number;
  /** Path of a trusted-documents manifest ({"<sha256>": "<document>"}); set: only those for non-ADMIN. */
  trustedDocuments: string | undefined;
  /** OpenTelemetry traces over OTLP/HTTP (the standard OTEL_* variables); undefined = off. */
  tracing: TracingConfig | undefined;
  /** Prometheus /metrics on a port of its own (then not on the main port); undefined = on the main port. */
  metricsPort: number | undefined;
  /** Address the metrics port binds to. */
  metricsHost: string;
  /** Distinct operation names kept as metric labels (besides the trusted documents'); the rest share "other". */
  metricsOperationNames: number;
  /**
   * How committed status events reach every instance (src/events/): "postgres" = each instance
   * LISTENs on the primary; "nats" = one elected relay publishes the outbox to NATS.
   */
  eventBus: "postgres" | "nats";
  /** NATS server(s) for EVENT_BUS=nats: one or more comma-separated nats://host:port URLs. */
  natsUrl: string;
}

export class ConfigError extends Error {}

function intVar(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function boolVar(env: NodeJS.ProcessEnv, name: string, def: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return def;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** "k=v,k2=v2" (OTEL_EXPORTER_OTLP_HEADERS), values percent-decoded. */
function otlpHeaders(raw: string | undefined, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? "").split(",")) {
    if (!part.trim()) continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw new ConfigError(`${name} must be a list of key=value pairs`);
    out[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Traces are on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, or
 * OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces) or OTEL_TRACES_EXPORTER=otlp (localhost:4318), and
 * off when none is set, with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true.
 */
export function tracingConfig(env: NodeJS.ProcessEnv): TracingConfig | undefined {
  if (boolVar(env, "OTEL_SDK_DISABLED", false)) return undefined;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "").split(",").map((e) => e.trim().toLowerCase()).filter(Boolean);
  if (exporters.includes("none")) return undefined;
  const unsupported = exporters.find((e) => e !== "otlp");
  if (unsupported) throw new ConfigError(`OTEL_TRACES_EXPORTER: only otlp (OTLP over HTTP) or none are supported, got "${unsupported}"`);
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    (base ? `${base.replace(/\/+$/, "")}/v1/traces` : exporters.includes("otlp") ? "http://localhost:4318/v1/traces" : undefined);
  if (!url) return undefined;
  if (!/^https?:\/\/[^/]/.test(url)) throw new ConfigError(`the OTLP traces endpoint must be an http:// or https:// URL, got "${url}"`);
  return {
    tracesUrl: url,
    serviceName: env.OTEL_SERVICE_NAME || "julo-lending-gateway",
    headers: {
      ...otlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS, "OTEL_EXPORTER_OTLP_HEADERS"),
      ...otlpHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, "OTEL_EXPORTER_OTLP_TRACES_HEADERS"),
    },
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnvRaw = env.NODE_ENV || "development";
  if (!["development", "production", "test"].includes(nodeEnvRaw)) {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnvRaw}"`);
  }
  const nodeEnv = nodeEnvRaw as Config["nodeEnv"];
  const dataDir = env.DATA_DIR || "./.data";
  let jwtSecret = env.JWT_SECRET || "";
  let jwtSecretGenerated = false;
  if (!jwtSecret) {
    if (nodeEnv === "production") throw new ConfigError("JWT_SECRET is required when NODE_ENV=production");
    jwtSecret = nodeEnv === "development" ? developmentSecret(dataDir) : randomBytes(32).toString("base64url");
    jwtSecretGenerated = true;
  } else if (jwtSecret.length < 16) {
    throw new ConfigError("JWT_SECRET must be at least 16 characters");
  }
  const logLevel = (env.LOG_LEVEL || (nodeEnv === "test" ? "silent" : "info")) as Config["logLevel"];
  if (!["debug", "info", "warn", "error", "silent"].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be debug, info, warn, error or silent, got "${logLevel}"`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("DATABASE_URL must start with postgres:// or postgresql://");
  }
  const databaseReadUrls = (env.DATABASE_READ_URL ?? "")
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  if (databaseReadUrls.length && !databaseUrl) {
    throw new ConfigError("DATABASE_READ_URL needs DATABASE_URL (read replicas of the embedded PGlite do not exist)");
  }
  for (const u of databaseReadUrls) {
    if (!/^postgres(ql)?:\/\//.test(u)) throw new ConfigError("DATABASE_READ_URL must be a comma-separated list of postgres:// or postgresql:// URLs");
  }
  if (databaseReadUrls.length > 16) throw new ConfigError(`DATABASE_READ_URL: at most 16 replicas, got ${databaseReadUrls.length}`);
  if (env.TRUSTED_DOCUMENTS && !existsSync(env.TRUSTED_DOCUMENTS)) {
    throw new ConfigError(`TRUSTED_DOCUMENTS: no such file "${env.TRUSTED_DOCUMENTS}"`);
  }
  return {
    nodeEnv,
    databaseUrl,
    databaseReadUrls,
    replicaMaxLagMs: intVar(env, "REPLICA_MAX_LAG_MS", 1_000, 100, 3_600_000),
    dataDir,
    port: intVar(env, "PORT", 4000, 0, 65535),
    host: env.HOST || "127.0.0.1",
    jwtSecret,
    jwtSecretGenerated,
    seedDemo: boolVar(env, "SEED_DEMO", true),
    dbPoolMax: intVar(env, "DB_POOL_MAX", 10, 1, 200),
    wsKeepAliveMs: intVar(env, "WS_KEEPALIVE_MS", 12_000, 1_000, 300_000),
    eventRetentionDays: intVar(env, "EVENT_RETENTION_DAYS", 7, 7, 3650),
    dailyUpdateIntervalMinutes: intVar(env, "DAILY_UPDATE_INTERVAL_MINUTES", 0, 0, 7 * 24 * 60),
    logLevel,
    compiledReads: boolVar(env, "COMPILED_READS", true),
    compiledFastPath: boolVar(env, "COMPILED_FAST_PATH", true),
    maxQueryLength: intVar(env, "MAX_QUERY_LENGTH", 50_000, 100, MAX_BODY_CHARS),
    maxQueryTokens: intVar(env, "MAX_QUERY_TOKENS", 5_000, 100, 1_000_000),
    maxQueryAliases: intVar(env, "MAX_QUERY_ALIASES", 30, 0, 10_000),
    requestTimeoutMs: intVar(env, "REQUEST_TIMEOUT_MS", 30_000, 100, 3_600_000),
    adminRequestTimeoutMs: intVar(env, "ADMIN_REQUEST_TIMEOUT_MS", 600_000, 100, 24 * 3_600_000),
    dbStatementTimeoutMs: intVar(env, "DB_STATEMENT_TIMEOUT_MS", 60_000, 0, 24 * 3_600_000),
    authRateLimitPerMinute: intVar(env, "AUTH_RATE_LIMIT_PER_MINUTE", 30, 0, 1_000_000),
    trustProxyHops: intVar(env, "TRUST_PROXY_HOPS", 0, 0, 10),
    persistedQueries: boolVar(env, "PERSISTED_QUERIES", true),
    persistedQueryTtlSeconds: intVar(env, "PERSISTED_QUERY_TTL_SECONDS", 7 * 86_400, 60, 365 * 86_400),
    persistedQueryRegistrationsPerHour: intVar(env, "PERSISTED_QUERY_REGISTRATIONS_PER_HOUR", 100, 0, 1_000_000),
    persistedQueryMaxEntries: intVar(env, "PERSISTED_QUERY_MAX_ENTRIES", 5_000, 1, 10_000_000),
    trustedDocuments: env.TRUSTED_DOCUMENTS || undefined,
    tracing: tracingConfig(env),
    metricsPort: env.METRICS_PORT ? intVar(env, "METRICS_PORT", 0, 1, 65535) : undefined,
    metricsHost: env.METRICS_HOST || "127.0.0.1",
    metricsOperationNames: intVar(env, "METRICS_OPERATION_NAMES", 200, 0, 10_000),
    eventBus: eventBusVar(env),
    natsUrl: natsUrlVar(env),
  };
}

function eventBusVar(env: NodeJS.ProcessEnv): Config["eventBus"] {
  const raw = (env.EVENT_BUS || "postgres").toLowerCase();
  if (raw !== "postgres" && raw !== "nats") throw new ConfigError(`EVENT_BUS must be postgres or nats, got "${env.EVENT_BUS}"`);
  return raw;
}

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** NATS_URL: one or more comma-separated nats://host[:port] (the client's reconnect list). */
function natsUrlVar(env: NodeJS.ProcessEnv): string {
  const raw = env.NATS_URL || DEFAULT_NATS_URL;
  const urls = raw.split(",").map((u) => u.trim());
  for (const u of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(u);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.protocol !== "nats:" || !parsed.hostname || (parsed.pathname !== "" && parsed.pathname !== "/")) {
      throw new ConfigError(`NATS_URL must be one or more comma-separated nats://host:port URLs, got "${raw}"`);
    }
  }
  return urls.join(",");
}

/** The request-body cap (1 MB): no query can be longer. */
const MAX_BODY_CHARS = 1_000_000;

/** Where a development run keeps its generated JWT secret (so tokens survive restarts). */
export function developmentSecretPath(dataDir: string): string {
  return join(dataDir, "jwt-secret");
}

/** Development only: a random secret made once and kept beside the embedded database. */
function developmentSecret(dataDir: string): string {
  const file = developmentSecretPath(dataDir);
  try {
    if (existsSync(file)) {
      const s = readFileSync(file, "utf8").trim();
      if (s.length >= 16) return s;
    }
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString("base64url");
    writeFileSync(file, secret + "\n", { mode: 0o600 });
    return secret;
  } catch {
    return randomBytes(32).toString("base64url");
  }
}
