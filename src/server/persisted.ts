/**
 * Persisted operations.
 *
 * - Automatic persisted queries (Apollo's APQ protocol, `extensions.persistedQuery`): Apollo
 *   runs the protocol; its cache is `DatabaseKeyValueCache`, the `persisted_queries` table with
 *   a small in-process LRU in front, so a query registered on one instance is found by all.
 *   Registration is bounded (anyone may register, anonymous callers too): a client IP may add
 *   `perClientPerWindow` new entries per window (ADMIN and PARTNER tokens exempt), and the table
 *   holds at most `maxEntries` rows, the oldest evicted first (enforced in the database under an
 *   advisory lock, so it holds for every instance). A registration over the client's cap is not
 *   an error: the query runs and is simply not stored (an APQ client such as Apollo Client sends
 *   the text again after the next PERSISTED_QUERY_NOT_FOUND, whereas an error there would fail
 *   the user's operation). The registration itself is made by the guard (limits.ts), which knows
 *   the caller, instead of Apollo's pipeline.
 * - Trusted documents (`TRUSTED_DOCUMENTS`): a manifest `{"<sha256>": "<document>"}` (GraphQL
 *   Codegen's `persisted-documents.json` format). Callers may name a listed document by hash
 *   (`documentId`, or `extensions.persistedQuery.sha256Hash`) or send its exact text; only
 *   ADMIN may run anything else (PERSISTED_QUERY_NOT_ALLOWED, HTTP 403; the check itself is in
 *   limits.ts, on the hash Apollo computes of the text it is about to parse).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { InMemoryLRUCache, type KeyValueCache, type KeyValueCacheSetOptions } from "@apollo/utils.keyvaluecache";
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Viewer } from "../auth/viewer.js";
import { ConfigError } from "../config.js";
import type { Database } from "../db/client.js";
import { persistedQueries } from "../db/schema.js";
import type { RateLimitStore } from "./rate-limit.js";

export const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

/** Apollo stores APQ entries under this prefix in the cache it is given. */
export const APQ_PREFIX = "apq:";

/** Serialises the insert-then-evict of new entries across instances (see `set`). */
export const APQ_CAP_LOCK = 727003;

/** Defaults: new entries per client IP per hour, and rows in the table. */
export const DEFAULT_APQ_REGISTRATIONS_PER_HOUR = 100;
export const DEFAULT_APQ_MAX_ENTRIES = 5_000;

export interface ApqRegistrationLimit {
  /** New entries one client IP may register per window; 0 = no per-client cap. */
  perClientPerWindow: number;
  /** Window length (default one hour). */
  windowMs?: number;
  /** Where the per-client counters live (shared with the auth rate limit; keys `apq:<ip>`). */
  store: RateLimitStore;
}

export interface DatabaseKeyValueCacheOptions {
  lruMaxBytes?: number;
  /** Wall clock (expiry and the registration windows). */
  now?: () => number;
  /** Rows the table may hold; the oldest (by `created_at`) are deleted past it. */
  maxEntries?: number;
  /** Per-client cap on `register`; unset = none. */
  registrations?: ApqRegistrationLimit;
}

/** Who registers an entry (the per-client cap counts the IP; ADMIN and PARTNER are exempt). */
export interface Registrant {
  viewer: Viewer;
  clientIp: string;
}

/** What `register` did: a new row, an existing row's expiry renewed, or nothing (client over its cap). */
export type Registration = "stored" | "renewed" | "over-client-cap";

/** Apollo's KeyValueCache on the `persisted_queries` table, with an in-process LRU in front. */
export class DatabaseKeyValueCache implements KeyValueCache<string> {
  private readonly lru: InMemoryLRUCache<string>;
  private readonly maxEntries: number;
  private readonly registrations: ApqRegistrationLimit | undefined;
  private readonly windowMs: number;

  constructor(
    private readonly database: Database,
    opts: DatabaseKeyValueCacheOptions = {},
  ) {
    this.lru = new InMemoryLRUCache<string>({ maxSize: opts.lruMaxBytes ?? 4 * 1024 * 1024 });
    this.now = opts.now ?? Date.now;
    this.maxEntries = opts.maxEntries ?? DEFAULT_APQ_MAX_ENTRIES;
    this.registrations = opts.registrations;
    this.windowMs = opts.registrations?.windowMs ?? 3_600_000;
  }

  private readonly now: () => number;

  async get(key: string): Promise<string | undefined> {
    const hit = await this.lru.get(key);
    if (hit !== undefined) return hit;
    const t = persistedQueries;
    const now = new Date(this.now());
    const [row] = await this.database.db
      .select({ document: t.document, expiresAt: t.expiresAt })
      .from(t)
      .where(and(eq(t.key, key), or(isNull(t.expiresAt), gt(t.expiresAt, now))));
    if (!row) return undefined;
    const ttl = row.expiresAt ? Math.max(1, Math.floor((row.expiresAt.getTime() - now.getTime()) / 1000)) : undefined;
    await this.lru.set(key, row.document, ttl ? { ttl } : undefined);
    return row.document;
  }

  /**
   * Stores an entry (the KeyValueCache interface; `register` is the APQ path). One transaction
   * under an advisory lock: the upsert, then every row past `maxEntries`, oldest first, deleted —
   * so the cap holds exactly whatever the number of instances.
   */
  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttl = options?.ttl ?? null;
    const expiresAt = ttl ? new Date(this.now() + ttl * 1000) : null;
    const t = persistedQueries;
    await this.database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${APQ_CAP_LOCK})`);
      await tx.insert(t).values({ key, document: value, expiresAt }).onConflictDoUpdate({ target: t.key, set: { document: value, expiresAt } });
      await tx.execute(
        sql`delete from ${t} where ${t.key} in (select ${t.key} from ${t} order by ${t.createdAt} desc, ${t.key} desc offset ${this.maxEntries})`,
      );
    });
    await this.lru.set(key, value, ttl ? { ttl } : undefined);
  }

  /**
   * An APQ registration by a caller: an entry already in the table only has its expiry renewed
   * (the table does not grow); a new one counts against the client IP's cap for the window
   * (ADMIN and PARTNER tokens are exempt) and, within it, is stored by `set` (total cap).
   */
  async register(key: string, value: string, options: KeyValueCacheSetOptions | undefined, by: Registrant): Promise<Registration> {
    const ttl = options?.ttl ?? null;
    const expiresAt = ttl ? new Date(this.now() + ttl * 1000) : null;
    const t = persistedQueries;
    const renewed = await this.database.db.update(t).set({ document: value, expiresAt }).where(eq(t.key, key)).returning({ key: t.key });
    if (renewed.length > 0) {
      await this.lru.set(key, value, ttl ? { ttl } : undefined);
      return "renewed";
    }
    const limit = this.registrations;
    if (limit && limit.perClientPerWindow > 0 && by.viewer.role !== "ADMIN" && by.viewer.role !== "PARTNER") {
      const start = Math.floor(this.now() / this.windowMs) * this.windowMs;
      const hits = await limit.store.hit(`apq:${by.clientIp}`, new Date(start), 1);
      if (hits > limit.perClientPerWindow) return "over-client-cap";
    }
    await this.set(key, value, options);
    return "stored";
  }

  async delete(key: string): Promise<boolean> {
    await this.lru.delete(key);
    const rows = await this.database.db.delete(persistedQueries).where(eq(persistedQueries.key, key)).returning({ key: persistedQueries.key });
    return rows.length > 0;
  }

  /** Deletes expired entries and old per-client registration windows (the gateway calls this hourly). */
  async prune(): Promise<number> {
    const rows = await this.database.db
      .delete(persistedQueries)
      .where(lt(persistedQueries.expiresAt, new Date(this.now())))
      .returning({ key: persistedQueries.key });
    await this.registrations?.store.prune(new Date(this.now() - 2 * this.windowMs), "apq:");
    return rows.length;
  }
}

/** A `documentId` is `sha256:<hex>` (GraphQL over HTTP persisted documents) or the bare hex. */
export function hashOfDocumentId(documentId: string): string | undefined {
  const m = /^(?:sha256:)?([0-9a-f]{64})$/i.exec(documentId);
  return m ? m[1]!.toLowerCase() : undefined;
}

/** The trusted-documents manifest, checked when loaded: every key is the sha256 of its document. */
export class TrustedDocuments {
  private constructor(private readonly byHash: ReadonlyMap<string, string>) {}

  static fromManifest(manifest: unknown, source = "manifest"): TrustedDocuments {
    if (!manifest || typeof manifest !== "object" || Array.isArray(manifest)) {
      throw new ConfigError(`TRUSTED_DOCUMENTS: ${source} must be a JSON object {"<sha256>": "<document>"}`);
    }
    const byHash = new Map<string, string>();
    for (const [key, document] of Object.entries(manifest)) {
      const hash = hashOfDocumentId(key);
      if (!hash) throw new ConfigError(`TRUSTED_DOCUMENTS: key "${key.slice(0, 80)}" in ${source} is not a sha256 hash`);
      if (typeof document !== "string" || !document.trim()) throw new ConfigError(`TRUSTED_DOCUMENTS: document ${key} in ${source} is not a string`);
      if (sha256Hex(document) !== hash) throw new ConfigError(`TRUSTED_DOCUMENTS: ${key} in ${source} is not the sha256 of its document`);
      byHash.set(hash, document);
    }
    return new TrustedDocuments(byHash);
  }

  static load(path: string): TrustedDocuments {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new ConfigError(`TRUSTED_DOCUMENTS: cannot read "${path}" as JSON (${(err as Error).message})`);
    }
    return TrustedDocuments.fromManifest(manifest, path);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The documents' texts (metrics.ts keeps their operation names as labels). */
  documents(): Iterable<string> {
    return this.byHash.values();
  }

  get(hash: string): string | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  has(hash: string | undefined): boolean {
    return hash !== undefined && this.byHash.has(hash.toLowerCase());
  }
}

/** What a request names instead of (or beside) its text. */
export interface RequestDocumentRef {
  query?: unknown;
  documentId?: unknown;
  extensions?: { persistedQuery?: { version?: unknown; sha256Hash?: unknown } } | unknown;
}

export type Resolution = { kind: "unchanged" } | { kind: "resolved"; query: string } | { kind: "unknown-document-id" };

/**
 * Hash → text from the manifest, before Apollo sees the request: `documentId`, or an APQ hash
 * without a query. The request then carries the text (and no persistedQuery extension, so
 * Apollo neither looks it up nor registers it again). Anything else is left for Apollo (APQ).
 */
export function resolveTrustedDocument(trusted: TrustedDocuments | undefined, ref: RequestDocumentRef): Resolution {
  if (typeof ref.documentId === "string" && ref.documentId !== "") {
    const hash = hashOfDocumentId(ref.documentId);
    const doc = trusted && hash ? trusted.get(hash) : undefined;
    return doc ? { kind: "resolved", query: doc } : { kind: "unknown-document-id" };
  }
  const pq = (ref.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  const noQuery = ref.query === undefined || ref.query === null || ref.query === "";
  if (trusted && noQuery && pq && typeof pq.sha256Hash === "string") {
    const doc = trusted.get(pq.sha256Hash);
    if (doc) return { kind: "resolved", query: doc };
  }
  return { kind: "unchanged" };
}

/**
 * The HTTP side of `resolveTrustedDocument`: the POST body or the GET query string with the
 * manifest's text put in. `undefined`: the documentId names no trusted document.
 */
export function rewriteTrustedRequest(
  trusted: TrustedDocuments | undefined,
  method: string,
  body: unknown,
  search: string,
): { body: unknown; search: string } | undefined {
  if (method === "GET") {
    const params = new URLSearchParams(search);
    let extensions: Record<string, unknown> | undefined;
    try {
      const raw = params.get("extensions");
      extensions = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    } catch {
      extensions = undefined; // Apollo answers a malformed parameter itself
    }
    const r = resolveTrustedDocument(trusted, { query: params.get("query") ?? undefined, documentId: params.get("documentId") ?? undefined, extensions });
    if (r.kind === "unknown-document-id") return undefined;
    if (r.kind === "unchanged") return { body, search };
    params.set("query", r.query);
    params.delete("documentId");
    const rest = withoutPersistedQuery(extensions);
    if (rest) params.set("extensions", JSON.stringify(rest));
    else params.delete("extensions");
    return { body, search: `?${params.toString()}` };
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) return { body, search };
  const b = body as Record<string, unknown>;
  const r = resolveTrustedDocument(trusted, b);
  if (r.kind === "unknown-document-id") return undefined;
  if (r.kind === "unchanged") return { body, search };
  const { documentId: _d, extensions, ...rest } = b;
  const ext = withoutPersistedQuery(extensions);
  return { body: { ...rest, query: r.query, ...(ext ? { extensions: ext } : {}) }, search };
}

function withoutPersistedQuery(extensions: unknown): Record<string, unknown> | undefined {
  if (!extensions || typeof extensions !== "object") return undefined;
  const { persistedQuery: _p, ...rest } = extensions as Record<string, unknown>;
  return Object.keys(rest).length ? rest : undefined;
}
