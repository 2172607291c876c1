import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inArray, like, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../src/app.js";
import { queryRows } from "../src/db/client.js";
import { customers, loans, statusChanges } from "../src/db/schema.js";
import { seedPortfolio } from "../src/demo/seed.js";
import { createWorkerDatabaseUrl, usingPostgres, world } from "./support/world.js";

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

  it("npm run seed ends with ANALYZE: every table it filled has planner statistics", async () => {
    // A database of its own (a fresh PGlite directory, or a fresh database on the test server),
    // so the statistics seen afterwards are the command's doing. Autovacuum is off on the test
    // server and PGlite has none: without the ANALYZE the tables have no pg_stats rows and
    // reltuples = -1 ("never analyzed"), and the planner guesses (bench/README.md).
    const dir = mkdtempSync(join(tmpdir(), "seed-analyze-"));
    const databaseUrl = usingPostgres() ? await createWorkerDatabaseUrl("seed_analyze") : undefined;
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: "test", LOG_LEVEL: "silent", DATA_DIR: dir };
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
    else delete env.DATABASE_URL;
    try {
      const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, ["--import", "tsx", "src/cli/seed.ts", "--customers", "30", "--partners", "2", "--seed", "11"], { cwd: root, env, timeout: 180_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout.trim().split("\n").at(-1)!)).toMatchObject({ customers: 30 });

      const db = databaseUrl ? await openDatabase({ databaseUrl, poolMax: 2 }) : await openDatabase({ dataDir: dir });
      try {
        const tables = ["partners", "customers", "loan_applications", "loans", "payments", "payment_transactions", "status_changes"];
        for (const table of tables) {
          const [n] = await queryRows<{ n: number }>(db.db, sql`select count(*)::int as n from ${sql.identifier(table)}`);
          const [c] = await queryRows<{ reltuples: number; stats: number }>(
            db.db,
            sql`select c.reltuples::float8 as reltuples,
                  (select count(*) from pg_stats s where s.schemaname = 'public' and s.tablename = c.relname)::int as stats
                from pg_class c where c.relnamespace = 'public'::regnamespace and c.relname = ${table}`,
          );
          expect(n!.n, `${table} has rows`).toBeGreaterThan(0);
          // ANALYZE reads the whole of a small table: its row estimate is exact, and pg_stats has
          // its columns. Never analyzed: reltuples = -1 and no pg_stats rows.
          expect({ table, reltuples: Number(c!.reltuples), hasStats: c!.stats > 0 }).toEqual({ table, reltuples: n!.n, hasStats: true });
        }
        if (databaseUrl) {
          const [a] = await queryRows<{ n: number }>(
            db.db,
            sql`select count(*)::int as n from pg_stat_user_tables where relname = 'customers' and last_analyze is not null`,
          );
          expect(a!.n, "pg_stat_user_tables.last_analyze of customers").toBe(1);
        }
      } finally {
        await db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
