import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { inArray, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { customers, loans, statusChanges } from "../src/db/schema.js";
import { seedPortfolio } from "../src/demo/seed.js";
import { world } from "./support/world.js";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("demo portfolio", () => {
  it("is made through the lifecycle commands, with loans in many statuses and their history", async () => {
    const w = await world();
    const progress: number[] = [];
    const result = await seedPortfolio(w.gateway.app, { customers: 60, partners: 2, seed: 7, onProgress: (d) => progress.push(d) });
    expect(result).toMatchObject({ partners: 2, customers: 60, applications: 60, skipped: 0 });
    expect(result.loans).toBeGreaterThan(20);
    expect(progress.at(-1)).toBe(60);
    const made = await w.database.db.select().from(customers).where(like(customers.email, "demo%@example.id"));
    expect(made.length).toBeGreaterThanOrEqual(60);
    const theirLoans = await w.database.db.select().from(loans).where(inArray(loans.customerId, made.map((c) => c.id)));
    const statuses = new Set(theirLoans.map((l) => l.status));
    for (const s of ["CURRENT", "PAID_OFF", "LATE_1DPD", "LATE_30DPD"]) expect(statuses, [...statuses].join()).toContain(s);
    const history = await w.database.db.select().from(statusChanges).where(inArray(statusChanges.entityId, theirLoans.map((l) => l.id)));
    // Every loan has its creation (null → 210) in its history.
    expect(new Set(history.filter((h) => h.fromCode === null).map((h) => h.entityId)).size).toBe(theirLoans.length);
  }, 120_000);

  it("npm run seed refuses bad arguments", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/seed.ts", "--customers", "0"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--customers must be a whole number/);
  });
});
