/**
 * Helpers for the bad-input corpus and the schema-aware fuzzer (test/bad-input-*.test.ts):
 * raw HTTP requests to the worker's live gateway, the "no leaked internals" check, a health
 * check, and a fingerprint of every table to prove a rejected mutation wrote nothing.
 */
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { queryRows } from "../../src/db/client.js";
import { world } from "./world.js";

export interface RawResult {
  status: number;
  contentType: string;
  text: string;
  /** The parsed body, or undefined when it is not JSON. */
  json: any;
}

/** POST anything (string or bytes) to /graphql with the given headers. */
export async function rawPost(body: string | Buffer | undefined, headers: Record<string, string> = { "content-type": "application/json" }): Promise<RawResult> {
  const w = await world();
  const res = await fetch(w.url, { method: "POST", headers, body });
  return read(res);
}

/** GET /graphql?… with a query string. */
export async function rawGet(search: string, headers: Record<string, string> = {}): Promise<RawResult> {
  const w = await world();
  const res = await fetch(`${w.url}${search}`, { method: "GET", headers: { "apollo-require-preflight": "true", ...headers } });
  return read(res);
}

/** POST `{ query, variables }` (any JSON values), optionally with a bearer token. */
export function post(payload: unknown, token?: string | null, headers: Record<string, string> = {}): Promise<RawResult> {
  return rawPost(JSON.stringify(payload), {
    "content-type": "application/json",
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...headers,
  });
}

async function read(res: Response): Promise<RawResult> {
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text, json };
}

/**
 * Text that must never reach a client: SQL statements, database/driver/ORM names, JS stack
 * frames, file paths. Chosen so legitimate messages (e.g. "Cannot query field …", "Invalid
 * cursor", "must be a real calendar date") do not match; user input echoed back in a GraphQL
 * message is removed first (see `expectClean`).
 */
export const LEAK_PATTERNS: RegExp[] = [
  /\bselect\b[^\n]{0,300}?\bfrom\s+"?\w/i,
  /\bselect\s+\*/i,
  /\binsert\s+into\b/i,
  /\bupdate\s+"?\w+"?\s+set\b/i,
  /\bdelete\s+from\b/i,
  /syntax error at (or near|end of input)/i,
  /\bpostgres(ql)?\b/i,
  /\bdrizzle\b/i,
  /\bpglite\b/i,
  /\bsqlstate\b/i,
  /\brelation "\w+"/i,
  /\bviolates\b.*\bconstraint\b/i,
  /\binvalid input syntax\b/i,
  /\bat\s+\S+\.(ts|js|mjs|cjs):\d+/i,
  /\bat\s+(async\s+)?[\w.<>]+\s+\(/,
  /\bstack(trace)?\b/i,
  /node_modules/i,
  /\/work\/|\/src\/|file:\/\//i,
  /\bTypeError\b|\bRangeError\b|\bReferenceError\b/,
  /\bcannot read propert/i,
  /\bundefined is not\b/i,
];

/** The texts a client may legitimately see echoed back: the parts of the request it sent. */
function stripEchoes(text: string, echoes: readonly string[]): string {
  let out = text;
  for (const e of echoes) {
    if (e.length < 4) continue;
    for (const form of [e, JSON.stringify(e).slice(1, -1)]) out = out.split(form).join("«echo»");
  }
  return out;
}

/** Fails when the response text contains SQL, a stack trace or driver text. */
export function expectClean(text: string, echoes: readonly string[] = [], label = ""): void {
  const t = stripEchoes(text, echoes);
  for (const re of LEAK_PATTERNS) {
    expect(re.test(t), `${label} response leaks internals (${re}):\n${text.slice(0, 2000)}`).toBe(false);
  }
}

/** RULES §10 codes, the graphql parse/validation codes, and the transport's own. */
export const ALLOWED_CODES = new Set([
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_USER_INPUT",
  "CONFLICT",
  "INVALID_STATE",
  "IDEMPOTENCY_CONFLICT",
  "QUERY_TOO_COMPLEX",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
  "BAD_REQUEST",
  "PAYLOAD_TOO_LARGE",
]);

/** The response is a GraphQL error answer (JSON with errors) with the given HTTP status and first code. */
export function expectError(r: RawResult, status: number | number[], code: string | string[], label = ""): any {
  const ctx = `${label} → ${r.status} ${r.text.slice(0, 1500)}`;
  expect([status].flat(), ctx).toContain(r.status);
  expect(r.contentType, ctx).toMatch(/application\/(graphql-response\+)?json/);
  expect(r.json, ctx).toBeTypeOf("object");
  expect(Array.isArray(r.json.errors) && r.json.errors.length > 0, ctx).toBe(true);
  const first = r.json.errors[0];
  expect([code].flat(), ctx).toContain(first.extensions?.code);
  for (const e of r.json.errors) {
    expect(typeof e.message, ctx).toBe("string");
    expect(ALLOWED_CODES.has(e.extensions?.code), ctx).toBe(true);
  }
  return first;
}

/** BAD_USER_INPUT naming `field` (status 200 or 400 depending on where it was caught). */
export function expectBadInput(r: RawResult, field: string | undefined, label = ""): any {
  const e = expectError(r, [200, 400], "BAD_USER_INPUT", label);
  if (field !== undefined) expect(e.extensions.field, `${label} → ${r.text.slice(0, 1500)}`).toBe(field);
  return e;
}

/** The server still answers: /healthz is ok and a simple query works. */
export async function expectHealthy(): Promise<void> {
  const w = await world();
  const h = await fetch(w.gateway.url + "/healthz");
  expect(h.status).toBe(200);
  const r = await post({ query: "{ loanProducts { code } }" });
  expect(r.status, r.text).toBe(200);
  expect(r.json.data.loanProducts.map((p: { code: string }) => p.code).sort()).toEqual(["MTL", "STL"]);
}

/** Every table of the schema (drizzle/ migrations). */
export const TABLES = [
  "partners",
  "customers",
  "login_attempts",
  "loan_products",
  "loan_applications",
  "loans",
  "payments",
  "payment_transactions",
  "payment_allocations",
  "status_changes",
  "status_events",
  "daily_update_runs",
] as const;

export type Fingerprint = Record<string, { rows: number; digest: string }>;

/** Row count and a content digest of each table (order-independent), to compare before/after. */
export async function fingerprint(tables: readonly string[] = TABLES): Promise<Fingerprint> {
  const { db } = (await world()).database;
  const out: Fingerprint = {};
  for (const t of tables) {
    const rows = await queryRows<{ n: number; d: string }>(
      db,
      sql.raw(`select count(*)::int as n, coalesce(md5(string_agg(md5(x::text), '' order by md5(x::text))), '') as d from "${t}" x`),
    );
    out[t] = { rows: Number(rows[0]!.n), digest: rows[0]!.d };
  }
  return out;
}

/** Run `fn` (a request the server must reject) and check that no table changed. */
export async function expectNothingWritten<T>(fn: () => Promise<T>, tables: readonly string[] = TABLES): Promise<T> {
  const before = await fingerprint(tables);
  const out = await fn();
  const after = await fingerprint(tables);
  expect(after, "a rejected mutation changed the database").toEqual(before);
  return out;
}

export interface WsOutcome {
  /** Messages received (parsed JSON, or the raw text when it is not JSON). */
  messages: any[];
  /** Close code and reason, when the server closed the socket. */
  close?: { code: number; reason: string };
}

/**
 * A raw graphql-transport-ws conversation: send `init` (a message object, or raw text), and once
 * acknowledged send `frames`; collect what comes back until the server closes the socket, the
 * subscription(s) end, or `waitMs` passes.
 */
export async function wsConversation(init: unknown, frames: unknown[] = [], waitMs = 1500): Promise<WsOutcome> {
  const { default: WebSocket } = await import("ws");
  const w = await world();
  return new Promise((resolve) => {
    const ws = new WebSocket(w.url.replace(/^http/, "ws"), "graphql-transport-ws");
    const out: WsOutcome = { messages: [] };
    const open = new Set<string>();
    const send = (f: unknown) => ws.send(typeof f === "string" ? f : JSON.stringify(f));
    const timer = setTimeout(() => ws.close(1000), waitMs);
    ws.on("open", () => send(init));
    ws.on("message", (m) => {
      const text = String(m);
      let msg: any = text;
      try {
        msg = JSON.parse(text);
      } catch {
        // keep the text
      }
      out.messages.push(msg);
      if (msg?.type === "connection_ack") {
        for (const f of frames) {
          const id = (f as { id?: unknown })?.id;
          if (typeof id === "string") open.add(id);
          send(f);
        }
        if (frames.length === 0) ws.close(1000);
      }
      if ((msg?.type === "error" || msg?.type === "complete") && typeof msg.id === "string") {
        open.delete(msg.id);
        if (open.size === 0) ws.close(1000);
      }
    });
    ws.on("close", (code, reason) => {
      clearTimeout(timer);
      if (code !== 1000 && code !== 1005) out.close = { code, reason: String(reason) };
      resolve(out);
    });
    ws.on("error", () => {});
  });
}
