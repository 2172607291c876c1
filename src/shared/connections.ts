/**
 * Relay connections with opaque keyset cursors. Every list is ordered newest first by
 * (created_at desc, id desc); a cursor encodes that key and the kind of list it belongs to.
 */
import { badInput } from "../server/errors.js";
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

const PREFIX = "c1";

export function encodeCursor(kind: string, row: CursorKey): string {
  return Buffer.from(`${PREFIX}|${kind}|${row.createdAt.getTime()}|${row.id}`, "utf8").toString("base64url");
}

export function decodeCursor(kind: string, cursor: string): CursorKey {
  const forged = () => badInput("after", "Invalid cursor");
  if (typeof cursor !== "string" || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw forged();
  const parts = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  if (parts.length !== 4 || parts[0] !== PREFIX || parts[1] !== kind) throw forged();
  const ms = parts[2]!;
  if (!/^\d{1,15}$/.test(ms) || !isUuid(parts[3])) throw forged();
  return { createdAt: new Date(Number(ms)), id: parts[3]!.toLowerCase() };
}

/** Validate `first`/`after` (RULES §10: first 1–100, forged cursor = BAD_USER_INPUT). */
export function pageArgs(kind: string, first: number | null | undefined, after: string | null | undefined): PageArgs {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) {
    throw badInput("first", `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return { first: n, after: after ? decodeCursor(kind, after) : undefined };
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
  const edges = nodes.map((node) => ({ cursor: encodeCursor(kind, node), node }));
  let counted: Promise<number> | undefined;
  return {
    edges,
    nodes,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: args.after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    get totalCount() {
      counted ??= count();
      return counted;
    },
  };
}
