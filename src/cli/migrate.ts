/** npm run migrate: apply drizzle/ migrations to DATABASE_URL (or the embedded database). */
import { ConfigError, loadConfig } from "../config.js";
import { openDatabase } from "../app.js";

async function run() {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  await database.close();
  console.log(`migrations applied (${config.databaseUrl ? "PostgreSQL" : `PGlite in ${config.dataDir}`})`);
}

run().catch((err) => {
  console.error(`migrate: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
  process.exit(1);
});
