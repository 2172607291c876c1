/**
 * The per-client-IP rate limit on login and registerCustomer (src/server/rate-limit.ts), on
 * gateways of its own with a small limit and a clock of its own (the test world's limit is
 * high). Each test uses its own client addresses (X-Forwarded-For behind one trusted proxy),
 * so counters in the shared table never meet. Both stores are tested on whichever database
 * runs: memory (PGlite's default) and the `rate_limit_counters` table (PostgreSQL's default).
 */
import { randomInt } from "node:crypto";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";
import { customers, loginAttempts } from "../src/db/schema.js";
import { clientIpOf } from "../src/server/rate-limit.js";
import { makePartner } from "./support/factories.js";
import { startExtraGateway, wsOnce, type ExtraGateway } from "./support/gateways.js";
import { LOGIN, REGISTER, registration } from "./support/registration.js";
import { adminToken, codeOf, tokenFor, world } from "./support/world.js";

const LIMIT = 3;
const WINDOW_MS = 60_000;
/** 10 s into a window. */
const T0 = Date.UTC(2030, 0, 1, 0, 0, 10);

const freshIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const from = (ip: string) => ({ "x-forwarded-for": ip });

async function customersWithPhone(phone: string): Promise<number> {
  const e164 = `+62${phone.slice(1)}`;
  const [row] = await (await world()).database.db.select({ n: count() }).from(customers).where(eq(customers.phone, e164));
  return row!.n;
}

async function failedLogins(phone: string): Promise<number | undefined> {
  const [row] = await (await world()).database.db.select().from(loginAttempts).where(eq(loginAttempts.phone, `+62${phone.slice(1)}`));
  return row?.failedCount;
}

for (const store of ["memory", "database"] as const) {
  describe(`auth rate limit (${store} store)`, () => {
    let gw: ExtraGateway;
    let now = T0;

    beforeAll(async () => {
      gw = await startExtraGateway({ authRateLimit: { perWindow: LIMIT, windowMs: WINDOW_MS, now: () => now, store }, trustProxyHops: 1 });
    });
    afterAll(async () => gw?.close());

    it("registerCustomer: the call over the limit is RATE_LIMITED (HTTP 429, Retry-After) and writes nothing", async () => {
      now = T0;
      const ip = freshIp();
      for (let i = 0; i < LIMIT; i++) {
        const r = await gw.gql(REGISTER, { input: registration() }, null, from(ip));
        expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      }
      const input = registration();
      const r = await gw.gql(REGISTER, { input }, null, from(ip));
      expect(r.status).toBe(429);
      expect(codeOf(r)).toBe("RATE_LIMITED");
      expect(r.errors![0]!.extensions!.retryAfter).toBe(50);
      expect(r.headers.get("retry-after")).toBe("50");
      expect(r.data ?? null).toBeNull();
      expect(await customersWithPhone(input.phone)).toBe(0);
      // Another address is not affected; the limited one is again in the next window.
      expect((await gw.gql(REGISTER, { input: registration() }, null, from(freshIp()))).errors).toBeUndefined();
      now = T0 + WINDOW_MS;
      expect((await gw.gql(REGISTER, { input }, null, from(ip))).errors).toBeUndefined();
      expect(await customersWithPhone(input.phone)).toBe(1);
    });

    it("login: counted per address whatever the phone; refused attempts do not touch the per-phone lock-out", async () => {
      now = T0;
      const ip = freshIp();
      const reg = registration();
      expect((await gw.gql(REGISTER, { input: reg }, null, from(freshIp()))).errors).toBeUndefined();
      for (let i = 0; i < LIMIT; i++) {
        const r = await gw.gql(LOGIN, { input: { phone: reg.phone, pin: "999999" } }, null, from(ip));
        expect(codeOf(r)).toBe("UNAUTHENTICATED");
      }
      expect(await failedLogins(reg.phone)).toBe(LIMIT);
      const limited = await gw.gql(LOGIN, { input: { phone: reg.phone, pin: reg.pin } }, null, from(ip));
      expect(limited.status).toBe(429);
      expect(codeOf(limited)).toBe("RATE_LIMITED");
      expect(await failedLogins(reg.phone)).toBe(LIMIT);
      // The register bucket is separate.
      expect((await gw.gql(REGISTER, { input: registration() }, null, from(ip))).errors).toBeUndefined();
      // From elsewhere the right PIN logs in (and clears the failures).
      const ok = await gw.gql(LOGIN, { input: { phone: reg.phone, pin: reg.pin } }, null, from(freshIp()));
      expect(ok.errors).toBeUndefined();
      expect(await failedLogins(reg.phone)).toBeUndefined();
    });

    it("aliases count one each: four logins in one operation are refused as a whole", async () => {
      now = T0;
      const ip = freshIp();
      const reg = registration();
      expect((await gw.gql(REGISTER, { input: reg }, null, from(freshIp()))).errors).toBeUndefined();
      const four = `mutation($i: LoginInput!) { a: login(input: $i) { token } b: login(input: $i) { token } c: login(input: $i) { token } d: login(input: $i) { token } }`;
      const r = await gw.gql(four, { i: { phone: reg.phone, pin: "999999" } }, null, from(ip));
      expect(r.status).toBe(429);
      expect(codeOf(r)).toBe("RATE_LIMITED");
      expect(await failedLogins(reg.phone)).toBeUndefined();
    });

    it("ADMIN is limited on neither mutation", async () => {
      now = T0;
      const ip = freshIp();
      const admin = await adminToken();
      for (let i = 0; i < LIMIT + 2; i++) {
        expect((await gw.gql(REGISTER, { input: registration() }, admin, from(ip))).errors).toBeUndefined();
      }
      for (let i = 0; i < LIMIT + 2; i++) {
        const r = await gw.gql(LOGIN, { input: { phone: registration().phone, pin: "999999" } }, admin, from(ip));
        expect(codeOf(r)).toBe("UNAUTHENTICATED");
      }
    });

    it("PARTNER: registerCustomer is not limited, login is (a partner token is no credential-stuffing pass)", async () => {
      now = T0;
      const ip = freshIp();
      const partner = await makePartner();
      const token = await tokenFor("PARTNER", partner.id);
      for (let i = 0; i < LIMIT + 2; i++) {
        const r = await gw.gql(REGISTER, { input: registration() }, token, from(ip));
        expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      }
      const reg = registration();
      expect((await gw.gql(REGISTER, { input: reg }, null, from(freshIp()))).errors).toBeUndefined();
      for (let i = 0; i < LIMIT; i++) {
        const r = await gw.gql(LOGIN, { input: { phone: reg.phone, pin: "999999" } }, token, from(ip));
        expect(codeOf(r)).toBe("UNAUTHENTICATED");
      }
      expect(await failedLogins(reg.phone)).toBe(LIMIT);
      const limited = await gw.gql(LOGIN, { input: { phone: reg.phone, pin: reg.pin } }, token, from(ip));
      expect(limited.status).toBe(429);
      expect(codeOf(limited)).toBe("RATE_LIMITED");
      expect(limited.headers.get("retry-after")).toBe("50");
      expect(limited.data ?? null).toBeNull();
      expect(await failedLogins(reg.phone)).toBe(LIMIT);
      // Its registrations from the same address still go through once its logins are limited.
      const more = registration();
      expect((await gw.gql(REGISTER, { input: more }, token, from(ip))).errors).toBeUndefined();
      expect(await customersWithPhone(more.phone)).toBe(1);
    });

    it("over WebSocket the same counter applies (the socket's address)", async () => {
      now = T0;
      // The WebSocket's address is 127.0.0.1 (no proxy header on the upgrade): use it up over HTTP first.
      const reg = registration();
      for (let i = 0; i < LIMIT + 1; i++) await gw.gql(LOGIN, { input: { phone: reg.phone, pin: "999999" } }, null, from("127.0.0.1"));
      const r = await wsOnce(gw.wsUrl, { query: LOGIN, variables: { input: { phone: reg.phone, pin: "999999" } } });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED" });
      expect(r.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
      expect(await failedLogins(reg.phone)).toBe(LIMIT);
      now = T0 + WINDOW_MS; // leave the window for other tests on 127.0.0.1
    });
  });
}

describe("client address", () => {
  it("takes the address the outermost trusted proxy saw", () => {
    const req = (xff?: string) => ({ headers: { "x-forwarded-for": xff }, socket: { remoteAddress: "10.0.0.9" } });
    expect(clientIpOf(req("1.1.1.1, 2.2.2.2"), 0)).toBe("10.0.0.9");
    expect(clientIpOf(req("1.1.1.1, 2.2.2.2"), 1)).toBe("2.2.2.2");
    expect(clientIpOf(req("spoofed, 1.1.1.1, 2.2.2.2"), 2)).toBe("1.1.1.1");
    expect(clientIpOf(req("1.1.1.1"), 3)).toBe("1.1.1.1");
    expect(clientIpOf(req(undefined), 1)).toBe("10.0.0.9");
  });

  it("without a trusted proxy, X-Forwarded-For is ignored (spoofing it does not reset the limit)", async () => {
    let now = T0;
    const gw = await startExtraGateway({ authRateLimit: { perWindow: 1, now: () => now, store: "memory" } });
    try {
      expect((await gw.gql(REGISTER, { input: registration() }, null, from(freshIp()))).errors).toBeUndefined();
      expect(codeOf(await gw.gql(REGISTER, { input: registration() }, null, from(freshIp())))).toBe("RATE_LIMITED");
      now += 60_000;
    } finally {
      await gw.close();
    }
  });
});

describe("across instances (the database store)", () => {
  it("two gateways on one database share the counter", async () => {
    const now = () => T0;
    const a = await startExtraGateway({ authRateLimit: { perWindow: LIMIT, now, store: "database" }, trustProxyHops: 1 });
    const b = await startExtraGateway({ authRateLimit: { perWindow: LIMIT, now, store: "database" }, trustProxyHops: 1 });
    try {
      const ip = freshIp();
      expect((await a.gql(REGISTER, { input: registration() }, null, from(ip))).errors).toBeUndefined();
      expect((await b.gql(REGISTER, { input: registration() }, null, from(ip))).errors).toBeUndefined();
      expect((await a.gql(REGISTER, { input: registration() }, null, from(ip))).errors).toBeUndefined();
      const over = await b.gql(REGISTER, { input: registration() }, null, from(ip));
      expect(over.status).toBe(429);
      expect(codeOf(over)).toBe("RATE_LIMITED");
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("configuration (config.ts)", () => {
  it("reads and validates the abuse-limit variables", () => {
    const base = { NODE_ENV: "test" };
    const c = loadConfig({ ...base, AUTH_RATE_LIMIT_PER_MINUTE: "5", TRUST_PROXY_HOPS: "1", REQUEST_TIMEOUT_MS: "2000", DB_STATEMENT_TIMEOUT_MS: "0" });
    expect(c).toMatchObject({ authRateLimitPerMinute: 5, trustProxyHops: 1, requestTimeoutMs: 2000, dbStatementTimeoutMs: 0 });
    expect(loadConfig(base)).toMatchObject({
      authRateLimitPerMinute: 30,
      maxQueryAliases: 30,
      maxQueryTokens: 5000,
      requestTimeoutMs: 30_000,
      adminRequestTimeoutMs: 600_000,
      dbStatementTimeoutMs: 60_000,
      persistedQueries: true,
      trustedDocuments: undefined,
    });
    for (const [k, v] of [
      ["AUTH_RATE_LIMIT_PER_MINUTE", "-1"],
      ["AUTH_RATE_LIMIT_PER_MINUTE", "lots"],
      ["MAX_QUERY_TOKENS", "10"],
      ["REQUEST_TIMEOUT_MS", "0"],
      ["TRUST_PROXY_HOPS", "99"],
      ["PERSISTED_QUERIES", "maybe"],
      ["TRUSTED_DOCUMENTS", "/nonexistent/manifest.json"],
    ]) {
      expect(() => loadConfig({ ...base, [k!]: v }), `${k}=${v}`).toThrow(ConfigError);
    }
  });
});
