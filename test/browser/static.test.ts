/**
 * The playground's and dashboard's files over plain HTTP (no browser needed): the allow-list,
 * the development-only token in the playground page (only for a Host header naming this
 * machine: test/dev-tokens.test.ts has the remote peers), and nothing of it in production.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenKey, viewerFromAuthorization } from "../../src/auth/tokens.js";
import { createLogger } from "../../src/shared/logger.js";
import { staticRoutes } from "../../src/server/static.js";
import { makePartner } from "../support/factories.js";
import { rawGet } from "../support/raw-http.js";
import { TEST_JWT_SECRET, world } from "../support/world.js";

const ASSETS: [string, RegExp][] = [
  ["/assets/vendor/react.production.min.js", /^text\/javascript/],
  ["/assets/vendor/react-dom.production.min.js", /^text\/javascript/],
  ["/assets/vendor/graphiql.min.js", /^text\/javascript/],
  ["/assets/vendor/graphiql.min.css", /^text\/css/],
  ["/assets/vendor/graphql-ws.min.js", /^text\/javascript/],
  ["/assets/vendor/chart.umd.min.js", /^text\/javascript/],
  ["/assets/playground/playground.js", /^text\/javascript/],
  ["/assets/playground/examples.js", /^text\/javascript/],
  ["/assets/playground/playground.css", /^text\/css/],
  ["/assets/dashboard/dashboard.js", /^text\/javascript/],
  ["/assets/dashboard/dashboard.css", /^text\/css/],
  ["/assets/examples/customer/app.js", /^text\/javascript/],
];

async function base(): Promise<string> {
  return (await world()).gateway.url;
}

/** The JSON of the page's <script id="page-config"> block. */
function pageConfig(html: string): Record<string, any> {
  const m = /<script id="page-config" type="application\/json">([^<]*)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!);
}

/** GET `path` from the gateway at `base` with exactly these headers (test/support/raw-http.ts). */
function rawGetFrom(base: string, path: string, headers: Record<string, string>) {
  const u = new URL(base);
  return rawGet(u.hostname, u.port, path, headers);
}

describe("playground and dashboard files", () => {
  it("serves every allow-listed file with its type, an ETag (304 on revalidation) and gzip", async () => {
    const b = await base();
    for (const [path, type] of ASSETS) {
      const res = await fetch(b + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toMatch(type);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect((await res.arrayBuffer()).byteLength, path).toBeGreaterThan(100);
      const etag = res.headers.get("etag")!;
      const again = await fetch(b + path, { headers: { "if-none-match": etag } });
      expect(again.status, path).toBe(304);
    }
    const raw = await fetch(b + "/assets/vendor/graphiql.min.js", { headers: { "accept-encoding": "gzip" } });
    expect(raw.headers.get("content-encoding")).toBe("gzip");
    expect((await raw.text()).length).toBeGreaterThan(500_000); // fetch decompresses
    const head = await fetch(b + "/assets/vendor/graphql-ws.min.js", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(1000);
  });

  it("serves nothing outside the allow-list", async () => {
    const b = await base();
    for (const path of [
      "/assets/vendor/graphiql.js",
      "/assets/vendor/react/package.json",
      "/assets/vendor/%2e%2e/%2e%2e/package.json",
      "/assets/playground/index.html",
      "/assets/playground/../../package.json",
      "/assets/dashboard/",
      "/public/playground/playground.js",
      "/node_modules/react/umd/react.production.min.js",
      "/assets/vendor/chart.js",
      "/assets/vendor/chart.umd.js",
      "/assets/vendor/chart.umd.min.js.map",
      "/assets/vendor/chart.js/dist/chart.umd.min.js",
      "/node_modules/chart.js/dist/chart.umd.min.js",
      "/package.json",
      "/playground/x",
      "/examples/customer/x",
      "/examples/customer-app/index.html",
      "/examples/customer-app/src/client.ts",
      "/assets/examples/customer/app.ts",
      "/assets/examples/customer/../../package.json",
    ]) {
      const res = await fetch(b + path);
      expect(res.status, path).toBe(404);
      await res.arrayBuffer();
    }
    const post = await fetch(b + "/playground", { method: "POST", body: "{}" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("the customer app example (/examples/customer): the page with its CSP, and no token in it", async () => {
    for (const path of ["/examples/customer", "/examples/customer/"]) {
      const res = await fetch((await base()) + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
      const html = await res.text();
      expect(html).toContain('<script src="/assets/examples/customer/app.js" defer></script>');
      expect(html).not.toMatch(/Bearer|demoToken|page-config/);
    }
  });

  it("development: the playground page carries a short-lived ADMIN token, never cached", async () => {
    const res = await fetch((await base()) + "/playground");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const config = pageConfig(await res.text());
    expect(config.development).toBe(true);
    const viewer = await viewerFromAuthorization(tokenKey(TEST_JWT_SECRET), config.headers.Authorization);
    expect(viewer.role).toBe("ADMIN");
    const exp = (viewer as { exp?: number }).exp!;
    expect(exp * 1000 - Date.now()).toBeGreaterThan(50 * 60_000);
    expect(exp * 1000 - Date.now()).toBeLessThanOrEqual(60 * 60_000 + 5_000);
  });

  it("development: /dashboard/demo-token gives a PARTNER token of a partner", async () => {
    await makePartner();
    const res = await fetch((await base()) + "/dashboard/demo-token");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { token: string; partner: { id: string } };
    const viewer = await viewerFromAuthorization(tokenKey(TEST_JWT_SECRET), `Bearer ${body.token}`);
    expect(viewer).toMatchObject({ role: "PARTNER", partnerId: body.partner.id });
    const dash = await fetch((await base()) + "/dashboard");
    expect(pageConfig(await dash.text())).toEqual({ development: true, demoToken: true });
  });

  it("development: tokens only when the Host header names this machine (DNS rebinding gets none)", async () => {
    await makePartner();
    const b = await base();
    const port = new URL(b).port;
    const key = tokenKey(TEST_JWT_SECRET);
    // The peer is 127.0.0.1 throughout: what a page on a rebound name sends is its own name.
    const refused: [string, Record<string, string>][] = [
      ["/playground", { host: "evil.example" }],
      ["/playground", { host: `evil.example:${port}` }],
      ["/playground", { host: `localhost.evil.example:${port}` }],
      ["/playground", { host: `127.0.0.1.nip.io:${port}` }],
      ["/playground", { host: `app.localhost:${port}` }],
      ["/playground", { host: `0.0.0.0:${port}` }],
      ["/playground", { host: `127.1:${port}` }],
      ["/playground", { host: `2130706433:${port}` }],
      ["/playground", { host: `[::ffff:127.0.0.1]:${port}` }],
      ["/playground", { host: `localhost:${port}:80` }],
      ["/playground", { host: `evil.example`, "x-forwarded-host": "localhost", forwarded: "host=localhost" }],
      // Absolute-form request target naming another host, whatever Host says.
      ["http://evil.example/playground", { host: `localhost:${port}` }],
    ];
    for (const [path, headers] of refused) {
      const what = `${path} ${JSON.stringify(headers)}`;
      const page = await rawGetFrom(b, path, headers);
      expect(page.status, what).toBe(200);
      expect(pageConfig(page.body), what).toEqual({ development: true });
      expect(page.body, what).not.toMatch(/eyJ|Bearer|Authorization/);
      const dash = await rawGetFrom(b, path.replace("/playground", "/dashboard"), headers);
      expect(pageConfig(dash.body), what).toEqual({ development: true });
      const demo = await rawGetFrom(b, path.replace("/playground", "/dashboard/demo-token"), headers);
      expect(demo.status, what).toBe(404);
      expect(demo.body, what).not.toContain("eyJ");
    }
    // The same peer, by a loopback name: the tokens as before.
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, "localhost", "LOCALHOST", `127.8.9.10:${port}`, `[::1]:${port}`]) {
      const page = await rawGetFrom(b, "/playground", { host });
      expect(page.status, host).toBe(200);
      const config = pageConfig(page.body);
      expect((await viewerFromAuthorization(key, config.headers?.Authorization)).role, host).toBe("ADMIN");
      expect(pageConfig((await rawGetFrom(b, "/dashboard", { host })).body), host).toEqual({ development: true, demoToken: true });
      const demo = await rawGetFrom(b, "/dashboard/demo-token", { host });
      expect(demo.status, host).toBe(200);
      expect((await viewerFromAuthorization(key, `Bearer ${JSON.parse(demo.body).token}`)).role, host).toBe("PARTNER");
    }
  });

  describe("production (development: false)", () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      const w = await world();
      const routes = staticRoutes({ development: false, jwtSecret: TEST_JWT_SECRET, database: w.database, logger: createLogger("silent") });
      server = createServer((req, res) => {
        void routes(req, res, new URL(req.url ?? "/", "http://localhost")).then((handled) => {
          if (!handled) {
            res.statusCode = 404;
            res.end();
          }
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((r) => server?.close(r));
    });

    it("prefills nothing: no token in the page, no demo-token endpoint", async () => {
      const html = await (await fetch(url + "/playground")).text();
      expect(pageConfig(html)).toEqual({ development: false });
      expect(html).not.toMatch(/eyJ|Bearer|Authorization/);
      expect((await fetch(url + "/dashboard/demo-token")).status).toBe(404);
      const dash = await fetch(url + "/dashboard");
      expect(dash.status).toBe(200);
      expect(pageConfig(await dash.text())).toEqual({ development: false });
      expect((await fetch(url + "/assets/vendor/graphiql.min.js")).status).toBe(200);
    });
  });
});
