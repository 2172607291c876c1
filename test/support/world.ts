/**
 * One database and one running gateway per test worker (PGlite in memory by default, or a
 * private database on the PostgreSQL of TEST_DATABASE_URL). Tests build their own data with
 * the factories and never depend on each other's rows.
 */
import postgres from "postgres";
import { openDatabase } from "../../src/app.js";
import { mintToken, tokenKey } from "../../src/auth/tokens.js";
import type { Role } from "../../src/auth/viewer.js";
import type { Database } from "../../src/db/client.js";
import type { Clock } from "../../src/graphql/context.js";
import { startGateway, type Gateway } from "../../src/server/http.js";
import { createLogger } from "../../src/shared/logger.js";

export const TEST_JWT_SECRET = "test-secret-0123456789-abcdefghij";

/** A clock tests can move; `null` means the real time. */
export class TestClock implements Clock {
  private fixed: Date | null = null;
  now(): Date {
    return this.fixed ? new Date(this.fixed) : new Date();
  }
  set(at: Date | string | null): void {
    this.fixed = at === null ? null : new Date(at);
  }
}

export interface World {
  database: Database;
  gateway: Gateway;
  clock: TestClock;
  url: string;
  /** Captured log lines (JSON) of the gateway (the oldest are dropped past 5,000). */
  logs: string[];
  /** A position in the log stream, and the lines logged since one (robust to dropping). */
  logMark(): number;
  logsSince(mark: number): string[];
  /** The worker's PostgreSQL database (PostgreSQL runs only). */
  databaseUrl?: string;
}

let worldPromise: Promise<World> | undefined;

export function usingPostgres(): boolean {
  return !!process.env.TEST_DATABASE_URL;
}

/** A fresh database of its own for this worker on the test PostgreSQL server. */
export async function createWorkerDatabaseUrl(suffix = `w${process.env.VITEST_POOL_ID ?? "0"}`): Promise<string> {
  const base = new URL(process.env.TEST_DATABASE_URL!);
  const name = `${base.pathname.slice(1) || "test"}_${suffix}`.replace(/[^a-z0-9_]/gi, "_").toLowerCase();
  const admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  return url.toString();
}

async function createWorld(): Promise<World> {
  const databaseUrl = usingPostgres() ? await createWorkerDatabaseUrl() : undefined;
  const database = databaseUrl
    ? await openDatabase({ databaseUrl, poolMax: 10 })
    : await openDatabase({ dataDir: "memory://" });
  const clock = new TestClock();
  const logs: string[] = [];
  let dropped = 0;
  const gateway = await startGateway({
    database,
    jwtSecret: TEST_JWT_SECRET,
    clock,
    logger: createLogger("debug", (line) => {
      logs.push(line);
      if (logs.length > 5000) {
        logs.splice(0, 1000);
        dropped += 1000;
      }
    }),
    host: "127.0.0.1",
    port: 0,
    development: true,
    // Every test registers its customers from 127.0.0.1: the per-IP limit is tested on its own
    // gateway (test/abuse-rate-limit.test.ts).
    authRateLimit: { perWindow: 1_000_000 },
  });
  return {
    database,
    gateway,
    clock,
    url: `${gateway.url}/graphql`,
    logs,
    logMark: () => dropped + logs.length,
    logsSince: (mark) => logs.slice(Math.max(0, mark - dropped)),
    databaseUrl,
  };
}

let subscriptionTarget: Gateway | undefined;

/**
 * The gateway subscription tests talk to and commit through (support/ws.ts, support/events.ts):
 * the world's, or the one `useEventTransport` (support/transports.ts) set for a describe block.
 */
export async function subscriptionGateway(): Promise<Gateway> {
  return subscriptionTarget ?? (await world()).gateway;
}

export function setSubscriptionGateway(gateway: Gateway | undefined): void {
  subscriptionTarget = gateway;
}

/** The worker's world, created on first use and kept for every test file of the worker. */
export function world(): Promise<World> {
  worldPromise ??= createWorld();
  return worldPromise;
}

export async function tokenFor(role: Role, sub: string, expiresIn?: string | number): Promise<string> {
  return mintToken(tokenKey(TEST_JWT_SECRET), { role, sub, expiresIn });
}

export const adminToken = () => tokenFor("ADMIN", "tester");

export interface GqlResult<T = Record<string, any>> {
  status: number;
  data: T | null | undefined;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** POST a GraphQL operation to the worker's gateway. */
export async function gql<T = Record<string, any>>(
  query: string,
  variables?: Record<string, unknown>,
  token?: string | null,
  headers: Record<string, string> = {},
): Promise<GqlResult<T>> {
  const w = await world();
  const res = await fetch(w.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: GqlResult["errors"] };
  return { status: res.status, data: body.data, errors: body.errors };
}

/** The error code of the first error, for terse assertions. */
export function codeOf(r: GqlResult): string | undefined {
  return r.errors?.[0]?.extensions?.code;
}
