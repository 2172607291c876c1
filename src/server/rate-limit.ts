/**
 * Per-client-IP rate limit on `login` and `registerCustomer` (credential stuffing, sign-up
 * spam). A fixed window per (operation, IP): every call adds a hit; over the limit the whole
 * operation is refused before it runs — RATE_LIMITED with `retryAfter` seconds, HTTP 429 with
 * `Retry-After` — so nothing is written (not even the per-phone failed-PIN counter, which stays
 * the second, per-account lock of RULES §3).
 *
 * Who is exempt (`exempt` below): ADMIN from both buckets (the operator's own token, which
 * can mint any token anyway: limiting it protects nothing and would block bulk back-office
 * work); PARTNER from `register` only (partners onboard their customers in bulk), not from
 * `login` (a partner has no reason to try many phone/PIN pairs; exempting it would turn any
 * leaked partner token into a credential-stuffing pass). Anonymous and CUSTOMER callers are
 * limited on both. With PostgreSQL the counters live in the
 * `rate_limit_counters` table (one upsert per call), so every instance shares them; on the
 * embedded PGlite (one process) they are kept in memory.
 */
import { HeaderMap } from "@apollo/server";
import { and, lt, sql } from "drizzle-orm";
import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from "graphql";
import type { Viewer } from "../auth/viewer.js";
import type { Database } from "../db/client.js";
import { rateLimitCounters } from "../db/schema.js";
import { DomainError } from "../shared/errors.js";

/** The limited mutations and the name of their bucket. */
export const RATE_LIMITED_FIELDS: Record<string, string> = { login: "login", registerCustomer: "register" };

export interface RateLimitStore {
  /** Adds `n` hits to `key` for the window starting at `windowStart`; the window's total. */
  hit(key: string, windowStart: Date, n: number): Promise<number>;
  /**
   * Forgets windows of keys starting with `keyPrefix` that started before `before` (each user
   * of a store prunes its own keys: their windows differ in length).
   */
  prune(before: Date, keyPrefix: string): Promise<number>;
}

/** One process (PGlite, or tests). */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { start: number; hits: number }>();

  async hit(key: string, windowStart: Date, n: number): Promise<number> {
    const start = windowStart.getTime();
    const w = this.windows.get(key);
    if (!w || w.start < start) {
      this.windows.set(key, { start, hits: n });
      return n;
    }
    if (w.start === start) w.hits += n;
    return w.hits;
  }

  async prune(before: Date, keyPrefix: string): Promise<number> {
    let n = 0;
    for (const [k, w] of this.windows) {
      if (w.start < before.getTime() && k.startsWith(keyPrefix)) {
        this.windows.delete(k);
        n++;
      }
    }
    return n;
  }
}

/** Shared by every instance on the database: one upsert per call. */
export class DatabaseRateLimitStore implements RateLimitStore {
  constructor(private readonly database: Database) {}

  async hit(key: string, windowStart: Date, n: number): Promise<number> {
    const t = rateLimitCounters;
    const [row] = await this.database.db
      .insert(t)
      .values({ key, windowStart, hits: n })
      .onConflictDoUpdate({
        target: t.key,
        set: {
          // Same window: add; a newer window: start again; an older one (a late call): keep.
          hits: sql`case when ${t.windowStart} = excluded.window_start then ${t.hits} + excluded.hits
                         when ${t.windowStart} < excluded.window_start then excluded.hits
                         else ${t.hits} end`,
          windowStart: sql`greatest(${t.windowStart}, excluded.window_start)`,
        },
      })
      .returning({ hits: t.hits });
    return row!.hits;
  }

  async prune(before: Date, keyPrefix: string): Promise<number> {
    const t = rateLimitCounters;
    const rows = await this.database.db
      .delete(t)
      .where(and(lt(t.windowStart, before), sql`left(${t.key}, ${keyPrefix.length}) = ${keyPrefix}`))
      .returning({ key: rateLimitCounters.key });
    return rows.length;
  }
}

/** Callers a bucket does not count (see the header): ADMIN for both, PARTNER for `register` only. */
export function exempt(viewer: Viewer, bucket: string): boolean {
  return viewer.role === "ADMIN" || (viewer.role === "PARTNER" && bucket === "register");
}

export interface AuthRateLimitOptions {
  /** Calls per client IP per window for each limited mutation; 0 turns the limit off. */
  perWindow: number;
  /** Window length (default one minute). */
  windowMs?: number;
  store: RateLimitStore;
  /** Wall clock (the limit is about real time, not the business clock). */
  now?: () => number;
}

/** How many times each limited mutation is called by the operation (aliases and fragments too). */
export function limitedFieldCounts(document: DocumentNode, operation: OperationDefinitionNode): Map<string, number> {
  const counts = new Map<string, number>();
  if (operation.operation !== "mutation") return counts;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const walk = (set: SelectionSetNode, seen: Set<string>) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const bucket = RATE_LIMITED_FIELDS[sel.name.value];
        if (bucket) counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(sel.selectionSet, seen);
      } else {
        const f = fragments.get(sel.name.value);
        if (f && !seen.has(f.name.value)) walk(f.selectionSet, new Set([...seen, f.name.value]));
      }
    }
  };
  walk(operation.selectionSet, new Set());
  return counts;
}

export class AuthRateLimiter {
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: AuthRateLimitOptions) {
    this.windowMs = opts.windowMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.opts.perWindow > 0;
  }

  /** Counts the operation's limited calls for `clientIp`; throws RATE_LIMITED when over the limit. */
  async check(viewer: Viewer, clientIp: string, document: DocumentNode, operation: OperationDefinitionNode): Promise<void> {
    if (!this.enabled) return;
    const counts = limitedFieldCounts(document, operation);
    for (const bucket of counts.keys()) if (exempt(viewer, bucket)) counts.delete(bucket);
    if (counts.size === 0) return;
    const now = this.now();
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    for (const [bucket, n] of counts) {
      const hits = await this.opts.store.hit(`${bucket}:${clientIp}`, new Date(start), n);
      if (hits > this.opts.perWindow) {
        const retryAfter = Math.max(1, Math.ceil((start + this.windowMs - now) / 1000));
        throw new DomainError("RATE_LIMITED", `Too many ${bucket} attempts from this address; try again in ${retryAfter} s`, {
          retryAfter,
          http: { status: 429, headers: new HeaderMap([["retry-after", String(retryAfter)]]) },
        });
      }
    }
  }

  async prune(): Promise<number> {
    const before = new Date(this.now() - 2 * this.windowMs);
    let n = 0;
    for (const bucket of new Set(Object.values(RATE_LIMITED_FIELDS))) n += await this.opts.store.prune(before, `${bucket}:`);
    return n;
  }
}

/**
 * The caller's IP address: the socket's peer, or with `trustProxyHops` reverse proxies in front
 * (each appending to X-Forwarded-For) the address the outermost trusted proxy saw.
 */
export function clientIpOf(req: { headers: Record<string, string | string[] | undefined>; socket: { remoteAddress?: string } }, trustProxyHops = 0): string {
  const peer = req.socket.remoteAddress ?? "unknown";
  if (trustProxyHops <= 0) return peer;
  const header = req.headers["x-forwarded-for"];
  const hops = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (hops.length === 0) return peer;
  return hops[Math.max(0, hops.length - trustProxyHops)]!;
}
