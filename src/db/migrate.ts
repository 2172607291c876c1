import { fileURLToPath } from "node:url";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { Database } from "./client.js";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));

/** Apply every migration in drizzle/ that has not been applied yet. */
export async function migrate(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (database.kind === "postgres" && database.pg) {
    // Several instances may start at once: one migrates, the others wait for it.
    const lock = await database.pg.reserve();
    try {
      await lock`select pg_advisory_lock(727001)`;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      await migratePostgres(database.db as any, config);
    } finally {
      await lock`select pg_advisory_unlock(727001)`.catch(() => {});
      lock.release();
    }
  } else {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    await migratePglite(database.db as any, config);
  }
}
