/**
 * The only module that reads process.env. Everything is validated once and typed.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Config {
  nodeEnv: "development" | "production" | "test";
  /** PostgreSQL URL; undefined means the embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
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
  return {
    nodeEnv,
    databaseUrl,
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
  };
}

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
