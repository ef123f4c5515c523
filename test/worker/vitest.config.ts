import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: { bindings: { ADMIN_TOKEN: "test-admin-token", READ_TOKEN: "test-read-token" } },
    }),
  ],
  test: { include: ["test/worker/**/*.test.ts"], globalSetup: ["test/worker/global-setup.ts"] },
});
