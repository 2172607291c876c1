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
