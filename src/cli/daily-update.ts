/**
 * npm run daily-update -- [--as-of YYYY-MM-DD]
 * Runs the daily update (RULES §7) once against DATABASE_URL (or the embedded database) and
 * prints the result as JSON. The date defaults to today in Asia/Jakarta. Safe to repeat: the
 * update is idempotent for a given date. Exit codes: 0 done, 2 bad arguments or configuration,
 * 1 the run failed.
 */
import { parseArgs } from "node:util";
import { configOrExit, openConfiguredDatabase } from "./common.js";
import { runDailyUpdate } from "../features/loans/daily-update.js";
import { isValidDate, jakartaDate } from "../shared/dates.js";

const USAGE = "usage: npm run daily-update -- [--as-of YYYY-MM-DD]   (default: today in Asia/Jakarta)";

function fail(msg: string, code = 2): never {
  console.error(`daily-update: ${msg}`);
  if (code === 2) console.error(USAGE);
  process.exit(code);
}

/** Parses the command line; returns the asOf date or exits with code 2. */
function parseCommandLine(argv: string[]): string {
  let values: { "as-of"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { "as-of": { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const asOf = values["as-of"];
  if (asOf === undefined) return jakartaDate(new Date());
  if (!isValidDate(asOf)) fail(`--as-of must be a real calendar date YYYY-MM-DD, got "${asOf}"`);
  return asOf;
}

async function run() {
  const asOf = parseCommandLine(process.argv.slice(2));
  const database = await openConfiguredDatabase(configOrExit("daily-update"));
  try {
    // No in-process subscribers here; other instances hear the events through pg_notify.
    const result = await runDailyUpdate({ database, afterEventsCommitted: () => {} }, { asOf, now: new Date() });
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await database.close();
  }
}

run().catch((err) => fail(`failed: ${err instanceof Error ? err.message : String(err)}`, 1));
