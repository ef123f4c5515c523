/**
 * The page serves worker/dashboard/bundle.generated.ts, built from the checked browser modules in
 * worker/dashboard/browser/. It must be exactly what those modules build to now.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDashboardScript, generatedModule, OUTPUT } from "../../../scripts/build-dashboard.ts";

import { REPO_ROOT } from "../../helpers/runtime.ts";

/** uPlot is bundled from node_modules; a tree installed before it was added cannot build (npm ci). */
const missing = !existsSync(join(REPO_ROOT, "node_modules", "uplot", "package.json"));
if (missing) console.warn("Skipping the dashboard bundle tests: node_modules/uplot is missing; run npm ci");

describe.skipIf(missing)("dashboard bundle", () => {
  it("is the current build of worker/dashboard/browser (else: npm run build:dashboard)", async () => {
    const built = generatedModule(await buildDashboardScript());
    expect(readFileSync(OUTPUT, "utf8")).toBe(built);
  });

  it("is one self-contained script that can sit inside a <script> element", async () => {
    const script = await buildDashboardScript();
    expect(script).not.toMatch(/<\/script|<!--/i);
    expect(script).not.toMatch(/^\s*(import|export)\s/m);
    expect(script).toContain("/__lb/api/v1");
  });
});
