/**
 * Writes docs/charts.png: the dashboard's charts after five minutes of real traffic through the
 * real runtime, with a configuration change, an origin stopped and restarted, and the markers they
 * leave. Runs only with `UPDATE_SCREENSHOT=1` (it takes about six minutes) and with Chromium; it is
 * skipped, saying why, otherwise. It still checks what it draws: the charts have points for several
 * minutes and the change and the health events are marked.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { putConfig } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { REPO_ROOT } from "../helpers/runtime.ts";
import { checkedPool, steadyLoad } from "./health-support.ts";

const CHROMIUM = "/usr/bin/chromium";
const HOST = "www.charts.test";
/** Traffic runs this long, so the charts span several one-minute points. */
const TRAFFIC_MS = 270_000;

function skipReason(): string | undefined {
  if (process.env.UPDATE_SCREENSHOT !== "1") return "set UPDATE_SCREENSHOT=1 to rewrite docs/charts.png";
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is missing; install it first (apt-get install -y chromium)`;
  return undefined;
}

const reason = skipReason();
if (reason) console.warn(`Skipping the charts screenshot: ${reason}`);

describe.skipIf(reason !== undefined)("charts screenshot", () => {
  let lb: TestLoadBalancer;
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    lb = await startLoadBalancer({
      origins: [
        { name: "a", knobs: { delayMs: 15 } },
        { name: "b", knobs: { delayMs: 60 } },
        { name: "spare", knobs: {} },
      ],
    });
    const [a, b, spare] = lb.origins;
    await putConfig(lb.api, {
      pools: [checkedPool("web", [a!, b!]), checkedPool("spare", [spare!])],
      loadBalancers: [{ id: "www", hostname: HOST, pools: ["web"], fallbackPool: "spare" }],
    });
    profile = await mkdtemp(join(tmpdir(), "edge-lb-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
      ],
      viewport: { width: 1280, height: 800 },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await lb?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it("draws five minutes of traffic with a configuration change and an origin's outage marked", async () => {
    const b = lb.origins[1]!;
    const start = Date.now();
    const steps: [number, () => Promise<unknown>][] = [
      [60_000, () => lb.api.patch("/pools/web", { description: "b takes less traffic" })],
      [120_000, () => b.stop()],
      [190_000, () => b.restart()],
    ];
    let second = 0;
    while (Date.now() - start < TRAFFIC_MS) {
      const due = steps[0];
      if (due && Date.now() - start >= due[0]) {
        steps.shift();
        await due[1]();
      }
      // A load that rises and falls, so requests/s is not a flat line.
      const total = 4 + Math.round(3 * Math.sin(second++ / 20));
      await Promise.all([steadyLoad(lb.url, HOST, { total, concurrency: 2 }), sleep(1000)]);
    }
    // Counters reach the history on the edges' 30 s clock.
    await sleep(35_000);

    const page = await browser.newPage();
    await page.goto(`${lb.url}/__lb/`);
    await page.locator("#token").fill(lb.readToken);
    await page.locator("#login-form button[type=submit]").click();
    const rps = page.locator('[data-lb-charts="www"] [data-chart="rps"]');
    await expect
      .poll(async () => Number(await rps.getAttribute("data-points", { timeout: 1000 }).catch(() => 0)), {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(4);
    expect(await rps.locator('[data-marker="config"]').count()).toBeGreaterThan(0);
    expect(await rps.locator('[data-marker="unhealthy"]').count()).toBeGreaterThan(0);
    await page.locator("section.history").screenshot({ path: join(REPO_ROOT, "docs", "charts.png") });
  }, 420_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
