/**
 * Persisted operations (src/server/persisted.ts): automatic persisted queries (Apollo's APQ
 * protocol) cached in the `persisted_queries` table, shared by instances; and the trusted-
 * documents mode, where non-ADMIN callers run only the manifest's documents (HTTP and WebSocket).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomInt } from "node:crypto";
import { count, desc, eq, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { persistedQueries } from "../src/db/schema.js";
import { DatabaseKeyValueCache, sha256Hex, TrustedDocuments } from "../src/server/persisted.js";
import { startExtraGateway, wsOnce, type ExtraGateway } from "./support/gateways.js";
import { wsClient } from "./support/ws.js";
import { adminToken, codeOf, tokenFor, world } from "./support/world.js";

const pq = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256Hex(query) } });

async function storedApq(query: string) {
  const [row] = await (await world()).database.db.select().from(persistedQueries).where(eq(persistedQueries.key, `apq:${sha256Hex(query)}`));
  return row;
}

/** A query text no other test (or earlier run on this database) used. */
const unique = (tag: string) => `query ${tag}${Date.now()}${Math.floor(Math.random() * 1e6)} { me { role } }`;

describe("automatic persisted queries", () => {
  let a: ExtraGateway;
  let b: ExtraGateway;
  beforeAll(async () => {
    a = await startExtraGateway();
    b = await startExtraGateway();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it("hash only: PERSISTED_QUERY_NOT_FOUND; then register with the text; then the hash alone runs, on every instance", async () => {
    const q = unique("Apq");
    const miss = await a.post({ extensions: pq(q) });
    expect(codeOf(miss)).toBe("PERSISTED_QUERY_NOT_FOUND");
    const reg = await a.post({ query: q, extensions: pq(q) });
    expect(reg.errors).toBeUndefined();
    expect(reg.data).toEqual({ me: null });
    // Apollo stores it without waiting; the row appears right after.
    for (let i = 0; i < 50 && !(await storedApq(q)); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await storedApq(q))?.document).toBe(q);
    expect((await a.post({ extensions: pq(q) })).data).toEqual({ me: null });
    // Another instance (its own, empty LRU) finds it in the table; by GET too.
    expect((await b.post({ extensions: pq(q) })).data).toEqual({ me: null });
    const get = await fetch(`${b.url}?extensions=${encodeURIComponent(JSON.stringify(pq(q)))}`, { headers: { "apollo-require-preflight": "1" } });
    expect(((await get.json()) as any).data).toEqual({ me: null });
  });

  it("a hash that is not the text's sha256 is refused (HTTP 400) and nothing is stored", async () => {
    const q = unique("Mismatch");
    const wrong = { persistedQuery: { version: 1, sha256Hash: sha256Hex(q + " ") } };
    const r = await a.post({ query: q, extensions: wrong });
    expect(r.status).toBe(400);
    expect(r.errors![0]!.message).toMatch(/does not match/);
    expect(codeOf(r)).toBe("BAD_REQUEST");
    expect(r.data ?? null).toBeNull();
    await new Promise((r) => setTimeout(r, 100));
    expect(await storedApq(q)).toBeUndefined();
    expect(codeOf(await a.post({ extensions: wrong }))).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("a document the limits refuse is not registered", async () => {
    const q = `query TooMany${Date.now()} { ${Array.from({ length: 40 }, (_, i) => `a${i}: me { role }`).join(" ")} }`;
    expect(codeOf(await a.post({ query: q, extensions: pq(q) }))).toBe("QUERY_TOO_COMPLEX");
    await new Promise((r) => setTimeout(r, 100));
    expect(await storedApq(q)).toBeUndefined();
  });

  it("over WebSocket: the same cache (registered on HTTP, run by hash; registered over WS; mismatch refused)", async () => {
    const q = unique("Ws");
    expect((await a.post({ query: q, extensions: pq(q) })).errors).toBeUndefined();
    for (let i = 0; i < 50 && !(await storedApq(q)); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await wsOnce(b.wsUrl, { query: "", extensions: pq(q) })).data).toEqual({ me: null });
    const q2 = unique("WsReg");
    expect((await wsOnce(a.wsUrl, { query: "", extensions: pq(q2) })).errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_FOUND");
    expect((await wsOnce(a.wsUrl, { query: q2, extensions: pq(q2) })).data).toEqual({ me: null });
    expect((await wsOnce(b.wsUrl, { query: "", extensions: pq(q2) })).data).toEqual({ me: null });
    const bad = await wsOnce(a.wsUrl, { query: q2, extensions: pq(q2 + "x") });
    expect(bad.errors![0]!.message).toMatch(/does not match/);
  });

  it("can be turned off: PERSISTED_QUERY_NOT_SUPPORTED", async () => {
    const off = await startExtraGateway({ persistedQueries: false });
    try {
      expect(codeOf(await off.post({ extensions: pq("{ me { role } }") }))).toBe("PERSISTED_QUERY_NOT_SUPPORTED");
    } finally {
      await off.close();
    }
  });

  it("the cache honours its TTL and prunes expired rows", async () => {
    let now = Date.UTC(2030, 5, 1);
    const w = await world();
    const cache = new DatabaseKeyValueCache(w.database, { now: () => now });
    const key = `test:${Date.now()}:${Math.random()}`;
    await cache.set(key, "{ me { role } }", { ttl: 60 });
    expect(await cache.get(key)).toBe("{ me { role } }");
    now += 61_000;
    // A second cache (another instance, nothing in its LRU) sees it expired; prune deletes it.
    const other = new DatabaseKeyValueCache(w.database, { now: () => now });
    expect(await other.get(key)).toBeUndefined();
    expect(await other.prune()).toBeGreaterThanOrEqual(1);
    const [row] = await w.database.db.select().from(persistedQueries).where(eq(persistedQueries.key, key));
    expect(row).toBeUndefined();
  });
});

describe("trusted documents", () => {
  const ME = `query Me { me { role } }`;
  const WATCH = `subscription Watch { loanStatusChanged { cursor toStatus } }`;
  const OTHER = `query Other { me { role customer { id } } }`;
  const manifest = { [sha256Hex(ME)]: ME, [`sha256:${sha256Hex(WATCH)}`]: WATCH };
  let gw: ExtraGateway;
  let customer: string;

  beforeAll(async () => {
    gw = await startExtraGateway({ trustedDocuments: TrustedDocuments.fromManifest(manifest) });
    customer = await tokenFor("CUSTOMER", "00000000-0000-4000-8000-0000000000c1");
  });
  afterAll(async () => gw?.close());

  it("a listed document runs by its text, documentId (with or without sha256:) or APQ hash", async () => {
    expect((await gw.gql(ME)).data).toEqual({ me: null });
    expect((await gw.post({ documentId: `sha256:${sha256Hex(ME)}` })).data).toEqual({ me: null });
    expect((await gw.post({ documentId: sha256Hex(ME) })).data).toEqual({ me: null });
    expect((await gw.post({ extensions: pq(ME) })).data).toEqual({ me: null });
    const get = await fetch(`${gw.url}?documentId=sha256:${sha256Hex(ME)}`, { headers: { "apollo-require-preflight": "1" } });
    expect(((await get.json()) as any).data).toEqual({ me: null });
  });

  it("anything else is PERSISTED_QUERY_NOT_ALLOWED (HTTP 403) for anonymous, CUSTOMER and PARTNER callers", async () => {
    const partner = await tokenFor("PARTNER", "00000000-0000-4000-8000-0000000000a1");
    for (const token of [null, customer, partner]) {
      const r = await gw.gql(OTHER, {}, token);
      expect(r.status).toBe(403);
      expect(codeOf(r)).toBe("PERSISTED_QUERY_NOT_ALLOWED");
      expect(r.data ?? null).toBeNull();
    }
    // A listed text changed by one character is another document.
    expect(codeOf(await gw.gql(ME.replace("role", "role ")))).toBe("PERSISTED_QUERY_NOT_ALLOWED");
    expect(codeOf(await gw.gql(`${ME} `))).toBe("PERSISTED_QUERY_NOT_ALLOWED");
    // Registering it as an APQ does not get it in either.
    expect(codeOf(await gw.post({ query: OTHER, extensions: pq(OTHER) }))).toBe("PERSISTED_QUERY_NOT_ALLOWED");
  });

  it("an unknown documentId is PERSISTED_QUERY_NOT_FOUND (HTTP 400)", async () => {
    const r = await gw.post({ documentId: `sha256:${sha256Hex(OTHER)}` });
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe("PERSISTED_QUERY_NOT_FOUND");
  });

  it("ADMIN may run anything", async () => {
    const r = await gw.gql(OTHER, {}, await adminToken());
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ me: { role: "ADMIN", customer: null } });
  });

  it("over WebSocket: unlisted operations (subscriptions too) are refused; listed ones run, by text or documentId", async () => {
    const unlisted = await wsOnce(gw.wsUrl, { query: `subscription { applicationStatusChanged { cursor } }` }, customer);
    expect(unlisted.errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_ALLOWED");
    expect((await wsOnce(gw.wsUrl, { query: OTHER }, customer)).errors?.[0]?.extensions?.code).toBe("PERSISTED_QUERY_NOT_ALLOWED");
    expect((await wsOnce(gw.wsUrl, { query: "", documentId: `sha256:${sha256Hex(ME)}` }, customer)).data).toEqual({ me: { role: "CUSTOMER" } });
    // The listed subscription is accepted (registered on the gateway's bus) by documentId.
    const client = wsClient(gw.wsUrl, customer);
    const errors: unknown[] = [];
    const stop = client.subscribe({ query: "", documentId: sha256Hex(WATCH) } as never, { next: () => {}, error: (e) => errors.push(e), complete: () => {} });
    try {
      const bus = gw.gateway.app.events;
      const deadline = Date.now() + 5000;
      while (bus.subscriberCount < 1 && Date.now() < deadline && errors.length === 0) await new Promise((r) => setTimeout(r, 20));
      expect(errors).toEqual([]);
      expect(bus.subscriberCount).toBe(1);
    } finally {
      stop();
      await client.dispose();
    }
    expect((await wsOnce(gw.wsUrl, { query: OTHER }, await adminToken())).data).toEqual({ me: { role: "ADMIN", customer: null } });
  });

  it("the manifest is checked when loaded: every key must be the sha256 of its document", () => {
    const dir = mkdtempSync(join(tmpdir(), "trusted-"));
    try {
      const file = join(dir, "persisted-documents.json");
      writeFileSync(file, JSON.stringify(manifest));
      const loaded = TrustedDocuments.load(file);
      expect(loaded.size).toBe(2);
      expect(loaded.get(sha256Hex(WATCH))).toBe(WATCH);
      writeFileSync(file, JSON.stringify({ [sha256Hex(ME)]: OTHER }));
      expect(() => TrustedDocuments.load(file)).toThrow(ConfigError);
      writeFileSync(file, JSON.stringify({ me: ME }));
      expect(() => TrustedDocuments.load(file)).toThrow(/not a sha256/);
      writeFileSync(file, "[1, 2]");
      expect(() => TrustedDocuments.load(file)).toThrow(ConfigError);
      writeFileSync(file, "{ nope");
      expect(() => TrustedDocuments.load(file)).toThrow(/cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Registration is bounded (src/server/persisted.ts): new entries per client IP per window
 * (ADMIN and PARTNER exempt) and rows in the table in all, the oldest evicted. Over the client's
 * cap the query runs and is not stored (an APQ client re-sends the text on the next miss).
 * Each test has its own client addresses (X-Forwarded-For behind one trusted proxy).
 */
describe("APQ registration limits", () => {
  const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
  const from = (ip: string) => ({ "x-forwarded-for": ip });
  const register = (gw: ExtraGateway, q: string, ip: string, token: string | null = null) => gw.post({ query: q, extensions: pq(q) }, token, from(ip));
  const apqRows = async () => {
    const [row] = await (await world()).database.db.select({ n: count() }).from(persistedQueries).where(like(persistedQueries.key, "apq:%"));
    return row!.n;
  };

  it("a client over its cap gets its answer (200, data) but nothing is stored; other clients, ADMIN and the next window register", async () => {
    let now = Date.UTC(2030, 0, 1, 0, 10);
    const gw = await startExtraGateway({ trustProxyHops: 1, persistedQueries: { registrationsPerHour: 2, now: () => now } });
    try {
      const ip = freshIp();
      const [q1, q2, q3, q4, q5] = ["C1", "C2", "C3", "C4", "C5"].map(unique);
      for (const q of [q1!, q2!]) {
        const r = await register(gw, q, ip);
        expect(r.errors).toBeUndefined();
        expect((await storedApq(q))?.document).toBe(q);
      }
      // A registered query is still served by hash, and registering it again is no new entry.
      expect((await gw.post({ extensions: pq(q1!) }, null, from(ip))).data).toEqual({ me: null });
      expect((await register(gw, q1!, ip)).errors).toBeUndefined();
      // The third new entry from this address: the query runs, it is not stored.
      const over = await register(gw, q3!, ip);
      expect(over.status).toBe(200);
      expect(over.errors).toBeUndefined();
      expect(over.data).toEqual({ me: null });
      expect(await storedApq(q3!)).toBeUndefined();
      expect(codeOf(await gw.post({ extensions: pq(q3!) }, null, from(ip)))).toBe("PERSISTED_QUERY_NOT_FOUND");
      // Over WebSocket too.
      const overWs = await wsOnce(gw.wsUrl, { query: q4!, extensions: pq(q4!) }, null, 5000, from(ip));
      expect(overWs.data).toEqual({ me: null });
      expect(await storedApq(q4!)).toBeUndefined();
      // Another address, and an ADMIN token from this one, register.
      expect((await register(gw, q3!, freshIp())).errors).toBeUndefined();
      expect((await storedApq(q3!))?.document).toBe(q3);
      expect((await register(gw, q4!, ip, await adminToken())).errors).toBeUndefined();
      expect((await storedApq(q4!))?.document).toBe(q4);
      // The next window.
      now += 3_600_000;
      expect((await register(gw, q5!, ip)).errors).toBeUndefined();
      expect((await storedApq(q5!))?.document).toBe(q5);
    } finally {
      await gw.close();
    }
  });

  it("the table holds at most maxEntries: the oldest are evicted, the newest stored and served by every instance", async () => {
    const a = await startExtraGateway({ trustProxyHops: 1, persistedQueries: { maxEntries: 3 } });
    const b = await startExtraGateway({ trustProxyHops: 1, persistedQueries: { maxEntries: 3 } });
    try {
      const qs = ["T1", "T2", "T3", "T4", "T5"].map(unique);
      for (const q of qs) expect((await register(a, q, freshIp())).errors).toBeUndefined();
      expect(await apqRows()).toBe(3);
      expect(await storedApq(qs[0]!)).toBeUndefined();
      expect(await storedApq(qs[1]!)).toBeUndefined();
      for (const q of qs.slice(2)) {
        expect((await storedApq(q))?.document).toBe(q);
        expect((await b.post({ extensions: pq(q) })).data).toEqual({ me: null });
      }
      // b never saw T1: it asks the table, where it is gone.
      expect(codeOf(await b.post({ extensions: pq(qs[0]!) }))).toBe("PERSISTED_QUERY_NOT_FOUND");

      // Two instances registering at once: the cap holds exactly, and the newest are the ones kept.
      const burst = Array.from({ length: 12 }, (_, i) => unique(`B${i}x`));
      const answers = await Promise.all(burst.map((q, i) => register(i % 2 ? a : b, q, freshIp())));
      for (const r of answers) expect(r.data).toEqual({ me: null });
      expect(await apqRows()).toBe(3);
      const kept = await (await world()).database.db
        .select({ key: persistedQueries.key, createdAt: persistedQueries.createdAt })
        .from(persistedQueries)
        .orderBy(desc(persistedQueries.createdAt));
      expect(kept).toHaveLength(3);
      expect(kept.every((k) => burst.some((q) => k.key === `apq:${sha256Hex(q)}`))).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("is configured by PERSISTED_QUERY_REGISTRATIONS_PER_HOUR and PERSISTED_QUERY_MAX_ENTRIES", () => {
    const d = loadConfig({ NODE_ENV: "test" });
    expect(d.persistedQueryRegistrationsPerHour).toBe(100);
    expect(d.persistedQueryMaxEntries).toBe(5000);
    const c = loadConfig({ NODE_ENV: "test", PERSISTED_QUERY_REGISTRATIONS_PER_HOUR: "0", PERSISTED_QUERY_MAX_ENTRIES: "20000" });
    expect(c.persistedQueryRegistrationsPerHour).toBe(0);
    expect(c.persistedQueryMaxEntries).toBe(20000);
    expect(() => loadConfig({ NODE_ENV: "test", PERSISTED_QUERY_MAX_ENTRIES: "0" })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: "test", PERSISTED_QUERY_REGISTRATIONS_PER_HOUR: "-1" })).toThrow(ConfigError);
  });
});
