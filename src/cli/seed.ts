/**
 * npm run seed -- --customers 20000 [--partners 20] [--seed 1] [--concurrency 8]
 * Builds a portfolio through the lifecycle commands (see src/demo/seed.ts) on DATABASE_URL or
 * the embedded database, with a progress bar on stderr; it ends with ANALYZE (planner statistics
 * for what it loaded: seedPortfolio does it).
 */
import { parseArgs } from "node:util";
import { configOrExit, openConfiguredDatabase } from "./common.js";
import { seedPortfolio } from "../demo/seed.js";
import { EventBus } from "../events/bus.js";
import type { AppServices } from "../graphql/context.js";
import { createLogger } from "../shared/logger.js";

function fail(msg: string): never {
  console.error(`seed: ${msg}`);
  console.error("usage: npm run seed -- --customers N [--partners N] [--seed N] [--concurrency N]");
  process.exit(2);
}

function positive(name: string, v: string | undefined, def: number, max: number): number {
  if (v === undefined) return def;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) fail(`--${name} must be a whole number from 1 to ${max}`);
  return Number(v);
}

function bar(done: number, total: number, started: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const secs = (Date.now() - started) / 1000;
  const rate = done / Math.max(secs, 0.001);
  const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
  return `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} customers  ${secs.toFixed(0)}s  ~${eta}s left `;
}

async function run() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { customers: { type: "string" }, partners: { type: "string" }, seed: { type: "string" }, concurrency: { type: "string" } },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  const config = configOrExit("seed");
  const customersN = positive("customers", values.customers, 1000, 1_000_000);
  const database = await openConfiguredDatabase(config, Math.max(config.dbPoolMax, 10));
  const logger = createLogger("warn");
  const app: AppServices = {
    database,
    clock: { now: () => new Date() },
    jwtSecret: config.jwtSecret,
    afterEventsCommitted: () => {},
    events: new EventBus({ database, logger }),
  };
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let last = 0;
  try {
    const result = await seedPortfolio(app, {
      customers: customersN,
      partners: values.partners ? positive("partners", values.partners, 0, 1000) : undefined,
      seed: values.seed ? positive("seed", values.seed, 1, 2 ** 31) : undefined,
      concurrency: positive("concurrency", values.concurrency, database.kind === "postgres" ? 8 : 1, 64),
      onProgress: (done, total) => {
        const now = Date.now();
        if (done === total || now - last > (tty ? 200 : 5000)) {
          last = now;
          process.stderr.write(tty ? bar(done, total, started) : bar(done, total, started).slice(1) + "\n");
        }
      },
    });
    process.stderr.write("\n");
    console.log(JSON.stringify({ ...result, seconds: Math.round((Date.now() - started) / 1000) }));
  } finally {
    await database.close();
  }
}

run().catch((err) => {
  console.error(`seed: ${(err as Error).message}`);
  process.exit(1);
});
