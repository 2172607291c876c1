/** npm run migrate: apply drizzle/ migrations to DATABASE_URL (or the embedded database). */
import { configOrExit, openConfiguredDatabase } from "./common.js";

async function run() {
  const config = configOrExit("migrate");
  const database = await openConfiguredDatabase(config);
  await database.close();
  console.log(`migrations applied (${config.databaseUrl ? "PostgreSQL" : `PGlite in ${config.dataDir}`})`);
}

run().catch((err) => {
  console.error(`migrate: ${(err as Error).message}`);
  process.exit(1);
});
