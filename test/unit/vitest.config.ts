import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    environment: "node",
    // The modules under test are pure and keep no state one file could leave for another, so files
    // share workers instead of paying a fresh one each.
    isolate: false,
    silent: "passed-only",
    // A guard against hangs, not a timing assertion (property tests take seconds on a busy machine).
    testTimeout: 30_000,
  },
});
