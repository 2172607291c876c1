/**
 * The real `npm start` entry point as a process: embedded database persisted in DATA_DIR,
 * data kept across a restart, SIGTERM stops cleanly with exit code 0.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startGatewayProcess } from "./support/process.js";
import { adminToken } from "./support/world.js";

const dataDir = mkdtempSync(join(tmpdir(), "gateway-data-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function post(url: string, query: string, token?: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
}

describe("gateway process on the embedded database", () => {
  it("keeps its data across a restart and stops cleanly on SIGTERM", async () => {
    const token = await adminToken();
    const code = `KEEP${Date.now() % 100000}`;
    const first = await startGatewayProcess({ DATA_DIR: dataDir, DATABASE_URL: "" });
    const base = first.url.replace(/\/graphql$/, "");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ status: "ready", database: "pglite" });
    const created = await post(first.url, `mutation { createPartner(input: { code: "${code}", name: "Kept" }) { id code } }`, token);
    expect(created.errors).toBeUndefined();
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');

    const second = await startGatewayProcess({ DATA_DIR: dataDir, DATABASE_URL: "" });
    const again = await post(second.url, `{ partners { code } }`, token);
    expect(again.data.partners.map((p: { code: string }) => p.code)).toContain(code);
    expect(await second.stop("SIGTERM")).toBe(0);
    expect(second.output()).toContain('"msg":"stopped"');
  }, 120_000);
});

describe("WebSocket keep-alive and graceful close", () => {
  it("pings subscribers and closes them with 1001 on SIGTERM, then exits 0", async () => {
    const { default: WebSocket } = await import("ws");
    const dir = mkdtempSync(join(tmpdir(), "gateway-ws-"));
    const gw = await startGatewayProcess({ DATA_DIR: dir, DATABASE_URL: "", WS_KEEPALIVE_MS: "1000" });
    try {
      const token = await adminToken();
      const ws = new WebSocket(gw.url.replace(/^http/, "ws"), "graphql-transport-ws");
      const messages: any[] = [];
      let pings = 0;
      ws.on("ping", () => pings++);
      ws.on("message", (m) => messages.push(JSON.parse(String(m))));
      const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
      await new Promise((r) => ws.once("open", r));
      ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
      const ackBy = Date.now() + 5000;
      while (!messages.length && Date.now() < ackBy) await new Promise((r) => setTimeout(r, 50));
      ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "subscription { loanStatusChanged { cursor } }" } }));
      const deadline = Date.now() + 5000;
      while (pings < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(messages[0]).toEqual({ type: "connection_ack" });
      expect(pings).toBeGreaterThanOrEqual(2);
      const exit = gw.stop("SIGTERM");
      expect(await closed).toBe(1001);
      expect(await exit).toBe(0);
    } finally {
      await gw.stop("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
