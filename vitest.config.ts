import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql must be loaded once (ESM and CJS copies break instanceof checks).
    alias: { graphql: require.resolve("graphql/index.js") },
  },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // The fault and cluster suites have their own runs (`npm run test:faults`, `npm run
    // test:cluster`: vitest.faults.config.ts, vitest.cluster.config.ts).
    exclude: ["**/node_modules/**", "test/faults/**", "test/cluster/**"],
    environment: "node",
    env: { TZ: "UTC", NODE_ENV: "test" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One database + gateway per worker, shared by the files it runs (see test/support/world.ts).
    isolate: false,
    maxWorkers: 2,
    setupFiles: ["reflect-metadata"],
  },
});
