import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token", READ_TOKEN: "test-read-token" } },
      // workerd's own verbose log reports every refused outbound connection (the tests probe closed
      // ports on purpose) as an "uncaught exception", even when the code catches the rejection.
      // A rejection nobody handles still fails the run: Vitest reports it as an unhandled error.
      verbose: false,
    }),
  ],
  test: {
    include: ["test/worker/**/*.test.ts"],
    globalSetup: ["test/worker/global-setup.ts"],
    // The Worker logs one JSON line per event; show them only for the tests that fail.
    silent: "passed-only",
    // A guard against hangs, not a timing assertion: on a busy 2-core machine the fuzz and
    // multi-request tests take seconds.
    testTimeout: 30_000,
  },
});
