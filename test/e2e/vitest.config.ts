import { defineConfig } from "vitest/config";

/**
 * End-to-end tests: each file starts its own `wrangler dev` (about 2 s) and origin servers on
 * loopback, so files run one at a time.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
