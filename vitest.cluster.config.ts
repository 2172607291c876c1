/**
 * `npm run test:cluster`: the deployment of `npm run cluster` (cluster/cluster.ts) broken under
 * load, one part at a time (test/cluster/). Kept out of `npm test` and `npm run test:faults`:
 * it starts two PostgreSQL servers, NATS, three gateway processes and HAProxy. See README
 * "Running several instances".
 */
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/cluster/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
