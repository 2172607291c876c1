/**
 * Persisted operations.
 *
 * - Automatic persisted queries (Apollo's APQ protocol, `extensions.persistedQuery`): Apollo
 *   runs the protocol; its cache is `DatabaseKeyValueCache`, the `persisted_queries` table with
 *   a small in-process LRU in front, so a query registered on one instance is found by all.
 * - Trusted documents (`TRUSTED_DOCUMENTS`): a manifest `{"<sha256>": "<document>"}` (GraphQL
 *   Codegen's `persisted-documents.json` format). Callers may name a listed document by hash
 *   (`documentId`, or `extensions.persistedQuery.sha256Hash`) or send its exact text; only
 *   ADMIN may run anything else (PERSISTED_QUERY_NOT_ALLOWED, HTTP 403; the check itself is in
 *   limits.ts, on the hash Apollo computes of the text it is about to parse).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { InMemoryLRUCache, type KeyValueCache, type KeyValueCacheSetOptions } from "@apollo/utils.keyvaluecache";
import { and, eq, gt, isNull, lt, or } from "drizzle-orm";
import { ConfigError } from "../config.js";
import type { Database } from "../db/client.js";
import { persistedQueries } from "../db/schema.js";

export const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

/** Apollo stores APQ entries under this prefix in the cache it is given. */
export const APQ_PREFIX = "apq:";

/** Apollo's KeyValueCache on the `persisted_queries` table, with an in-process LRU in front. */
export class DatabaseKeyValueCache implements KeyValueCache<string> {
  private readonly lru: InMemoryLRUCache<string>;

  constructor(
    private readonly database: Database,
    opts: { lruMaxBytes?: number; now?: () => number } = {},
  ) {
    this.lru = new InMemoryLRUCache<string>({ maxSize: opts.lruMaxBytes ?? 4 * 1024 * 1024 });
    this.now = opts.now ?? Date.now;
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

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttl = options?.ttl ?? null;
    const expiresAt = ttl ? new Date(this.now() + ttl * 1000) : null;
    await this.database.db
      .insert(persistedQueries)
      .values({ key, document: value, expiresAt })
      .onConflictDoUpdate({ target: persistedQueries.key, set: { document: value, expiresAt } });
    await this.lru.set(key, value, ttl ? { ttl } : undefined);
  }

  async delete(key: string): Promise<boolean> {
    await this.lru.delete(key);
    const rows = await this.database.db.delete(persistedQueries).where(eq(persistedQueries.key, key)).returning({ key: persistedQueries.key });
    return rows.length > 0;
  }

  /** Deletes expired entries (the gateway calls this hourly). */
  async prune(): Promise<number> {
    const rows = await this.database.db
      .delete(persistedQueries)
      .where(lt(persistedQueries.expiresAt, new Date(this.now())))
      .returning({ key: persistedQueries.key });
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
