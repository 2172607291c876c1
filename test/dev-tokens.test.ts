/**
 * Development tokens (the playground's ADMIN token, /dashboard/demo-token's PARTNER token) go
 * only to a request whose TCP peer is loopback AND whose Host header names this machine
 * (src/server/static.ts, localRequest). Here: the decision on its own (remote peers, spoofed
 * forwarding headers), a real gateway listening on every address, and the real `npm start`
 * process with HOST=0.0.0.0 and no NODE_ENV=production (the start-up banner still prints the
 * ADMIN token; rebound names and proxied requests get none). Tests send traffic to loopback
 * addresses only (this workplace's rule), so a remote peer is covered by the decision function
 * with the socket's remote address it would have. test/browser/static.test.ts has the Host
 * header cases from a loopback peer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenKey, viewerFromAuthorization } from "../src/auth/tokens.js";
import { isLoopbackAddress, isLoopbackHost, localRequest } from "../src/server/static.js";
import { makePartner } from "./support/factories.js";
import { startExtraGateway, type ExtraGateway } from "./support/gateways.js";
import { startGatewayProcess } from "./support/process.js";
import { pageConfigOf, rawGet } from "./support/raw-http.js";
import { TEST_JWT_SECRET, world } from "./support/world.js";

const key = tokenKey(TEST_JWT_SECRET);

const hasIpv6Loopback = Object.values(networkInterfaces())
  .flat()
  .some((i) => i?.internal && i.address === "::1");

/** What the gateway at host:port hands to a GET with these headers. */
async function probe(host: string, port: number, headers: Record<string, string>) {
  const playground = await rawGet(host, port, "/playground", headers);
  const dashboard = await rawGet(host, port, "/dashboard", headers);
  const demo = await rawGet(host, port, "/dashboard/demo-token", headers);
  expect(playground.status).toBe(200);
  expect(dashboard.status).toBe(200);
  const config = pageConfigOf(playground.body)!;
  let adminRole: string | undefined;
  if (config.headers) adminRole = (await viewerFromAuthorization(key, config.headers.Authorization)).role;
  let partnerRole: string | undefined;
  if (demo.status === 200) partnerRole = (await viewerFromAuthorization(key, `Bearer ${JSON.parse(demo.body).token}`)).role;
  return {
    adminRole,
    pageHasToken: /eyJ|Bearer|Authorization/.test(playground.body),
    dashboardConfig: pageConfigOf(dashboard.body),
    demoStatus: demo.status,
    partnerRole,
  };
}

const NONE = { adminRole: undefined, pageHasToken: false, dashboardConfig: { development: true }, demoStatus: 404, partnerRole: undefined };
const GIVEN = { adminRole: "ADMIN", pageHasToken: true, dashboardConfig: { development: true, demoToken: true }, demoStatus: 200, partnerRole: "PARTNER" };

describe("the decision (localRequest)", () => {
  const req = (remoteAddress: string | undefined, host: string | undefined, extra: Record<string, string> = {}, url = "/playground") => ({
    socket: { remoteAddress } as never,
    headers: { ...(host === undefined ? {} : { host }), ...extra },
    url,
  });

  it("loopback peers: 127.0.0.0/8, ::1 and IPv4-mapped 127.x; nothing else", () => {
    for (const a of ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1", "::FFFF:127.1.2.3"]) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of [undefined, "", "192.0.2.2", "10.0.0.1", "0.0.0.0", "::", "::ffff:192.0.2.2", "fd00::2", "fe80::1", "128.0.0.1", "::2", "1127.0.0.1"]) {
      expect(isLoopbackAddress(a), String(a)).toBe(false);
    }
  });

  it("loopback Host names: localhost, 127.x.x.x, [::1], each with an optional port", () => {
    for (const h of ["localhost", "LocalHost:4000", "127.0.0.1", "127.0.0.1:4000", "127.200.1.1:80", "[::1]", "[::1]:4000"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of [
      undefined,
      "",
      "evil.example",
      "localhost.",
      "localhost.evil.example",
      "evil.localhost",
      "127.0.0.1.nip.io",
      "127.1",
      "127.0.0.256",
      "2130706433",
      "0.0.0.0:4000",
      "192.0.2.2:4000",
      "[::ffff:127.0.0.1]",
      "::1",
      "localhost:4000:1",
      "localhost:",
      "localhost:123456",
    ]) {
      expect(isLoopbackHost(h), String(h)).toBe(false);
    }
  });

  it("both, and X-Forwarded-For / Forwarded never make a remote peer local", () => {
    expect(localRequest(req("127.0.0.1", "localhost:4000"))).toBe(true);
    expect(localRequest(req("::ffff:127.0.0.1", "127.0.0.1:4000"))).toBe(true);
    expect(localRequest(req("127.0.0.1", "evil.example:4000"))).toBe(false);
    expect(localRequest(req("127.0.0.1", undefined))).toBe(false);
    expect(localRequest(req("127.0.0.1", "localhost", {}, "http://evil.example/playground"))).toBe(false);
    const spoofed = { "x-forwarded-for": "127.0.0.1", forwarded: "for=127.0.0.1;host=localhost", "x-real-ip": "127.0.0.1" };
    expect(localRequest(req("192.0.2.2", "localhost:4000", spoofed))).toBe(false);
    // A reverse proxy on this machine passing someone's request on: loopback peer and Host, but
    // a forwarding header says whose it is.
    for (const [h, v] of Object.entries({ ...spoofed, "x-forwarded-host": "localhost" })) {
      expect(localRequest(req("127.0.0.1", "127.0.0.1:4000", { [h]: v })), h).toBe(false);
    }
    expect(localRequest(req("::ffff:192.0.2.2", "127.0.0.1:4000", spoofed))).toBe(false);
    expect(localRequest(req(undefined, "localhost", spoofed))).toBe(false);
  });
});

describe("a development gateway listening on every address", () => {
  let gw: ExtraGateway;
  beforeAll(async () => {
    await world();
    await makePartner();
    // "::" takes IPv4 too (peers as ::ffff:a.b.c.d); without IPv6, 0.0.0.0.
    gw = await startExtraGateway({ host: hasIpv6Loopback ? "::" : "0.0.0.0", development: true });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it("hands tokens to this machine by a loopback name (127.0.0.1, localhost, [::1])", async () => {
    const port = gw.gateway.port;
    expect(await probe("127.0.0.1", port, { host: `127.0.0.1:${port}` })).toEqual(GIVEN);
    expect(await probe("127.0.0.1", port, { host: `localhost:${port}` })).toEqual(GIVEN);
    if (hasIpv6Loopback) expect(await probe("::1", port, { host: `[::1]:${port}` })).toEqual(GIVEN);
    // A loopback peer with a foreign Host (DNS rebinding) gets none; nor does a reverse proxy on
    // this machine passing on someone else's request (Host rewritten to its upstream's).
    expect(await probe("127.0.0.1", port, { host: `evil.example:${port}` })).toEqual(NONE);
    expect(await probe("127.0.0.1", port, { host: `127.0.0.1:${port}`, "x-forwarded-for": "203.0.113.9" })).toEqual(NONE);
    expect(await probe("127.0.0.1", port, { host: `127.0.0.1:${port}`, "x-forwarded-for": "127.0.0.1" })).toEqual(NONE);
  });

});

describe("`npm start` with HOST=0.0.0.0 and no NODE_ENV=production", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "gateway-devtokens-"));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("prints the ADMIN token on the terminal; the network gets pages without tokens", async () => {
    const gw = await startGatewayProcess({ DATA_DIR: dataDir, DATABASE_URL: "", HOST: "0.0.0.0", NODE_ENV: "development" });
    try {
      const port = Number(new URL(gw.url).port);
      const deadline = Date.now() + 20_000;
      while (!/^ {2}eyJ\S+$/m.test(gw.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const out = gw.output();
      // The terminal is the intended local path: it prints the ADMIN token ...
      const printed = /^ {2}(eyJ[\w-]+\.[\w-]+\.[\w-]+)$/m.exec(out)?.[1];
      expect(printed, out).toBeDefined();
      expect((await viewerFromAuthorization(key, `Bearer ${printed}`)).role).toBe("ADMIN");
      // ... which works: it makes the partner a demo token would be for.
      const created = await fetch(gw.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${printed}` },
        body: JSON.stringify({ query: 'mutation { createPartner(input: { code: "DEVTOK", name: "Dev Tokens" }) { id } }' }),
      });
      expect(((await created.json()) as { errors?: unknown }).errors).toBeUndefined();

      // Through a rebound name, or passed on by a proxy: no token.
      expect(await probe("127.0.0.1", port, { host: `localhost:${port}`, "x-forwarded-for": "127.0.0.1" })).toEqual(NONE);
      expect(await probe("127.0.0.1", port, { host: `evil.example:${port}` })).toEqual(NONE);
      // This machine, by the URL the banner prints: the tokens.
      expect(out).toContain(`Playground:  http://127.0.0.1:${port}/playground`);
      expect(await probe("127.0.0.1", port, { host: `127.0.0.1:${port}` })).toEqual(GIVEN);
      expect(await gw.stop("SIGTERM")).toBe(0);
    } finally {
      await gw.stop("SIGKILL");
    }
  }, 120_000);
});
