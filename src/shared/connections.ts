/**
 * Relay connections with opaque keyset cursors. Every list is ordered newest first by
 * (created_at desc, id desc); a cursor encodes that key and the kind of list it belongs to,
 * tagged with an HMAC so that a garbage, edited or forged cursor (or one of another kind of
 * list) is BAD_USER_INPUT on `after` rather than a silently different page.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { badInput } from "./errors.js";
import { isUuid } from "./ids.js";

export const MAX_PAGE_SIZE = 100;

export interface CursorKey {
  createdAt: Date;
  id: string;
}

export interface PageArgs {
  first: number;
  after?: CursorKey;
}

const PREFIX = "c2";
const TAG_LENGTH = 16;

let cursorKey: Buffer = createHash("sha256").update("julo-gateway cursor key (no secret configured)").digest();

/**
 * Key the cursor tags with the server's secret (the gateway calls this at start-up): a cursor
 * cannot be forged or altered without it, and every instance sharing the secret accepts the
 * cursors of the others.
 */
export function setCursorSecret(secret: string): void {
  cursorKey = createHmac("sha256", secret).update("julo-gateway cursor key v1").digest();
  pads = undefined;
}

let pads: { ipad: string; opad: string } | undefined;

/**
 * The HMAC key pads (hex) of the cursor tag, for code that computes the same tag with plain
 * SHA-256 elsewhere (the compiled reads build cursors inside PostgreSQL):
 * tag = sha256(opad || sha256(ipad || payload)).
 */
export function cursorHmacPads(): { ipad: string; opad: string } {
  if (!pads) {
    const key = Buffer.alloc(64);
    cursorKey.copy(key);
    pads = {
      ipad: Buffer.from(key.map((b) => b ^ 0x36)).toString("hex"),
      opad: Buffer.from(key.map((b) => b ^ 0x5c)).toString("hex"),
    };
  }
  return pads;
}

function tag(payload: string): string {
  return createHmac("sha256", cursorKey).update(payload).digest("base64url").slice(0, TAG_LENGTH);
}

const CURSOR_FIELD = /^[A-Za-z0-9_.:-]+$/;

/**
 * The one signing scheme of every cursor this gateway issues: `base64url("f1|f2|…|tag")`, the
 * tag being the HMAC (server secret) of `f1|f2|…`. A cursor may also be bound to a context it
 * does not carry (`bind`, e.g. who it was issued to): the tag then covers `f1|…|fn` + NUL +
 * `bind`, so the same fields under another context do not verify. The first field names the
 * kind of cursor ("c2" connections, "e2" events), so one kind is never accepted as another.
 */
export function sealCursor(fields: readonly string[], bind?: string): string {
  const payload = fields.join("|");
  return Buffer.from(`${payload}|${tag(bind === undefined ? payload : `${payload}\u0000${bind}`)}`, "utf8").toString("base64url");
}

/**
 * The fields of a cursor sealed with `fieldCount` fields (and the same `bind`), or undefined for
 * anything else: garbage, a cursor of another kind or binding, an altered or unsigned one.
 */
export function openCursor(cursor: unknown, fieldCount: number, bind?: string): string[] | undefined {
  if (typeof cursor !== "string" || cursor.length === 0 || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const parts = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (parts.length !== fieldCount + 1 || !parts.every((p) => p.length > 0)) return undefined;
  const fields = parts.slice(0, fieldCount);
  if (!fields.every((f) => CURSOR_FIELD.test(f))) return undefined;
  const payload = fields.join("|");
  const given = parts[fieldCount]!;
  const expected = tag(bind === undefined ? payload : `${payload}\u0000${bind}`);
  if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return undefined;
  return fields;
}

/** `base64url("c2|kind|createdAtMs|id|tag")`, tag = HMAC of the rest (opaque and tamper-proof). */
export function encodeCursor(kind: string, row: CursorKey): string {
  return sealCursor([PREFIX, kind, String(row.createdAt.getTime()), row.id]);
}

/** The key a cursor of list `kind` carries; anything else (garbage, altered, another list's) is BAD_USER_INPUT. */
export function decodeCursor(kind: string, cursor: string): CursorKey {
  const forged = () => badInput("after", "Invalid cursor: pass an endCursor this list returned");
  const fields = openCursor(cursor, 4);
  if (!fields || fields[0] !== PREFIX || fields[1] !== kind) throw forged();
  const [, , ms, id] = fields as [string, string, string, string];
  if (!/^\d{1,15}$/.test(ms) || !isUuid(id)) throw forged();
  return { createdAt: new Date(Number(ms)), id: id.toLowerCase() };
}

/** Validate `first`/`after` (RULES §10: first 1–100, forged cursor = BAD_USER_INPUT). */
export function pageArgs(kind: string, first: number | null | undefined, after: string | null | undefined): PageArgs {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw badInput("first", `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return { first: n, after: after == null ? undefined : decodeCursor(kind, after) };
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  nodes: T[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Resolved only when selected. */
  totalCount: Promise<number> | number;
}

function lazyEdge<T extends CursorKey>(kind: string, node: T): Edge<T> {
  let cursor: string | undefined;
  return {
    node,
    get cursor() {
      return (cursor ??= encodeCursor(kind, node));
    },
  };
}

/**
 * Build a connection from `first + 1` rows fetched in order; `count` runs only if
 * `totalCount` is selected (it is a lazy getter).
 */
export function toConnection<T extends CursorKey>(
  kind: string,
  rows: T[],
  args: PageArgs,
  count: () => Promise<number>,
): Connection<T> {
  const hasNextPage = rows.length > args.first;
  const nodes = hasNextPage ? rows.slice(0, args.first) : rows;
  // Cursors are computed only when selected (an HMAC each).
  const edges = nodes.map((node) => lazyEdge(kind, node));
  const first = nodes[0];
  const last = nodes[nodes.length - 1];
  let counted: Promise<number> | undefined;
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: args.after !== undefined,
      get startCursor() {
        return first ? encodeCursor(kind, first) : null;
      },
      get endCursor() {
        return last ? encodeCursor(kind, last) : null;
      },
    },
    get totalCount() {
      counted ??= count();
      return counted;
    },
  };
}
