/**
 * The abuse limits of one gateway, built from its options: the rate-limit counters' store, the
 * login/registration rate limiter, the APQ cache (persisted.ts) and the OperationGuard (limits.ts)
 * that HTTP (graphql-execution.ts) and graphql-ws (websocket.ts) both run.
 */
import type { GraphQLSchema } from "graphql";
import type { Database } from "../db/client.js";
import type { Logger } from "../shared/logger.js";
import { OperationGuard, type QueryLimits } from "./limits.js";
import { DatabaseKeyValueCache, DEFAULT_APQ_MAX_ENTRIES, DEFAULT_APQ_REGISTRATIONS_PER_HOUR, type TrustedDocuments } from "./persisted.js";
import { AuthRateLimiter, DatabaseRateLimitStore, MemoryRateLimitStore } from "./rate-limit.js";

/** The options these come from (their meaning: GatewayOptions in http.ts, where they are declared). */
export interface AbuseLimitOptions {
  limits?: Partial<QueryLimits>;
  development: boolean;
  authRateLimit?: { perWindow: number; windowMs?: number; now?: () => number; store?: "memory" | "database" };
  persistedQueries?: false | { ttlSeconds?: number; registrationsPerHour?: number; maxEntries?: number; windowMs?: number; now?: () => number };
  trustedDocuments?: TrustedDocuments;
}

export interface AbuseLimits {
  guard: OperationGuard;
  rateLimiter: AuthRateLimiter;
  /** Automatic persisted queries: the cache and how long an entry is kept; undefined when off. */
  apq: { cache: DatabaseKeyValueCache; ttlSeconds: number } | undefined;
}

export function createAbuseLimits(o: AbuseLimitOptions & { schema: GraphQLSchema; database: Database; logger: Logger }): AbuseLimits {
  const { database } = o;
  const rateStore = (o.authRateLimit?.store ?? (database.kind === "postgres" ? "database" : "memory")) === "database"
    ? new DatabaseRateLimitStore(database)
    : new MemoryRateLimitStore();
  const apq = o.persistedQueries || undefined;
  const apqCache =
    o.persistedQueries === false
      ? undefined
      : new DatabaseKeyValueCache(database, {
          now: apq?.now,
          maxEntries: apq?.maxEntries ?? DEFAULT_APQ_MAX_ENTRIES,
          registrations: {
            perClientPerWindow: apq?.registrationsPerHour ?? DEFAULT_APQ_REGISTRATIONS_PER_HOUR,
            windowMs: apq?.windowMs ?? 3_600_000,
            store: rateStore,
          },
        });
  const apqTtlSeconds = apq?.ttlSeconds ?? 7 * 86_400;
  const rateLimiter = new AuthRateLimiter({ perWindow: 30, ...o.authRateLimit, store: rateStore });
  const guard = new OperationGuard({
    schema: o.schema,
    limits: o.limits,
    development: o.development,
    rateLimiter,
    trusted: o.trustedDocuments,
    apqCache,
    apqTtlSeconds,
    logger: o.logger,
  });
  return { guard, rateLimiter, apq: apqCache ? { cache: apqCache, ttlSeconds: apqTtlSeconds } : undefined };
}
