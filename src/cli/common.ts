/** What the command-line tools share: configuration (exit 2 when it is wrong) and the database. */
import { openDatabase } from "../app.js";
import { ConfigError, loadConfig, type Config } from "../config.js";
import type { Database } from "../db/client.js";

export function configOrExit(command: string): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${command}: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

/** The configured database (PostgreSQL or the embedded one), migrated, with the products. */
export function openConfiguredDatabase(config: Config, poolMax = 2): Promise<Database> {
  return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax });
}
