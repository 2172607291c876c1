/**
 * `npm run test:faults`: PostgreSQL outages (a private cluster stopped and started) and SIGTERM
 * under load, each against the real gateway process. Kept out of `npm test` (it starts its own
 * PostgreSQL servers and gateway processes): see README "Reliability: faults, shutdown and soak".
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/faults/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    // One file at a time: each starts a PostgreSQL cluster and a gateway process, and the
    // timing assertions (fail within 5 s) should not compete with each other for 2 cores.
    fileParallelism: false,
    maxWorkers: 1,
  },
});
