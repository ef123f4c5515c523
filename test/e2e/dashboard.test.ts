/**
 * The dashboard at `/__lb/` in a real headless Chromium against the real local runtime: sign in,
 * see pools and origins, watch an origin go down when its server stops. With
 * `UPDATE_SCREENSHOT=1` it also refreshes the operator guide's screenshot, docs/dashboard.png.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { putConfig } from "../helpers/admin-client.ts";
import { CHROMIUM, CHROMIUM_FLAGS, missingChromium } from "../helpers/browser.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { REPO_ROOT } from "../helpers/runtime.ts";
import { originSequence, tally } from "../helpers/through-lb.ts";

/** Checks every 2 s flip an origin's state within a few seconds; this only bounds the wait. */
const STATE_CHANGE_TIMEOUT_MS = 30_000;

const skipReason = missingChromium();
if (skipReason) console.warn(`Skipping the dashboard browser tests: ${skipReason}`);

describe.skipIf(skipReason !== undefined)("dashboard", () => {
  let lb: TestLoadBalancer;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;
  /** Uncaught script errors and CSP refusals seen by the page; the dashboard must cause none. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    lb = await startLoadBalancer({ origins: ["a", "b", "spare"] });
    const check = { intervalSeconds: 2, timeoutMs: 1500, healthyThreshold: 1, unhealthyThreshold: 2 };
    const [a, b, spare] = lb.origins;
    await putConfig(lb.api, {
      pools: [
        {
          id: "web",
          description: "the main pool",
          origins: [
            { name: "a", address: a!.url, weight: 3 },
            { name: "b", address: b!.url },
          ],
          healthCheck: check,
        },
        { id: "spare", origins: [{ name: "spare", address: spare!.url }], healthCheck: check },
      ],
      loadBalancers: [
        {
          id: "www",
          hostname: "www.dashboard.test",
          pools: ["web"],
          fallbackPool: "spare",
          rules: [{ name: "beta", when: { "header.x-beta": "1" }, then: { pools: ["spare"] } }],
        },
        {
          id: "split",
          hostname: "split.dashboard.test",
          pools: ["web", "spare"],
          steering: "hash",
          poolWeights: { web: 95, spare: 5 },
        },
      ],
    });
    profile = await mkdtemp(join(tmpdir(), "edge-lb-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 800 },
    });
    page = await browser.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
        pageErrors.push(message.text());
      }
    });
  });

  afterAll(async () => {
    await browser?.close();
    await lb?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it("serves the page without a token, under a strict content security policy", async () => {
    for (const path of ["/__lb", "/__lb/"]) {
      const response = await fetch(`${lb.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(response.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
      const html = await response.text();
      expect(html).toContain('<form id="login-form"');
      expect(html).not.toContain(lb.readToken);
    }
  });

  it("refuses a wrong token, then signs in with the read token kept out of the URL", async () => {
    await page.goto(`${lb.url}/__lb/`);
    await page.locator("#token").fill("not-the-token");
    await page.locator("#login-form button[type=submit]").click();
    await expect.poll(() => page.locator("#login-error").textContent()).toMatch(/not accepted/);
    expect(await page.locator("#app").isHidden()).toBe(true);

    await page.locator("#token").fill(lb.readToken);
    await page.locator("#login-form button[type=submit]").click();
    await page.locator('[data-pool="web"]').waitFor();
    expect(page.url()).toBe(`${lb.url}/__lb/`);
    expect(await page.evaluate(() => sessionStorage.getItem("edge-lb.token"))).toBe(lb.readToken);
  });

  it("shows the load balancer, pools and each origin's state", async () => {
    await page.locator('[data-load-balancer="www"]').waitFor();
    expect(await page.locator('[data-load-balancer="www"]').textContent()).toContain("www.dashboard.test");
    await expect
      .poll(() => page.locator('[data-traffic="www"]').textContent())
      .toContain("rule beta [header.x-beta] → pools spare");
    const web = page.locator('[data-pool="web"]');
    expect(
      await web
        .locator("tr[data-origin]")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-origin"))),
    ).toEqual(["a", "b"]);
    await web
      .locator('tr[data-origin="a"][data-state="healthy"]')
      .waitFor({ timeout: STATE_CHANGE_TIMEOUT_MS });
    await web
      .locator('tr[data-origin="b"][data-state="healthy"]')
      .waitFor({ timeout: STATE_CHANGE_TIMEOUT_MS });
    expect(await page.locator('[data-pool="spare"] tr[data-origin="spare"]').count()).toBe(1);
    // A hash split shows each pool that serves with its share, as GET /status gives it.
    const splitOf = async () => {
      const status = await lb.api.get<{ items: { id: string; split: unknown }[] }>("/status");
      return status.body.items.find((item) => item.id === "split")?.split;
    };
    await expect.poll(splitOf, { timeout: STATE_CHANGE_TIMEOUT_MS }).toEqual([
      { pool: "web", percent: 95 },
      { pool: "spare", percent: 5 },
    ]);
    await expect
      .poll(() => page.locator('[data-load-balancer="split"] [data-serving]').textContent(), {
        timeout: STATE_CHANGE_TIMEOUT_MS,
      })
      .toBe("web 95% · spare 5%");
    expect(await page.locator('[data-load-balancer="www"] [data-serving]').textContent()).toBe("web");
  });

  it("shows each origin's share of the pool's recent traffic", async () => {
    const answered = tally(await originSequence(lb.url, "www.dashboard.test", 40));
    expect(answered).toEqual({ a: 30, b: 10 });
    const percent = async (origin: string) => {
      const text = await page
        .locator(`[data-pool="web"] tr[data-origin="${origin}"] .pct`)
        .textContent({ timeout: 1000 });
      return Number(text?.replace("%", ""));
    };
    await expect
      .poll(async () => [await percent("a").catch(() => 0), await percent("b").catch(() => 0)], {
        timeout: STATE_CHANGE_TIMEOUT_MS,
      })
      .toEqual([75, 25]);
  });

  it("shows an origin going down when its server stops", async () => {
    await lb.origins[1]!.stop();
    const b = page.locator('[data-pool="web"] tr[data-origin="b"][data-state="unhealthy"]');
    await b.waitFor({ timeout: STATE_CHANGE_TIMEOUT_MS });
    expect(await b.locator(".badge").textContent()).toBe("unhealthy");
    expect(await page.locator('[data-pool="web"] tr[data-origin="a"]').getAttribute("data-state")).toBe(
      "healthy",
    );
  });

  it("charts the pool's history with the counts its origins answered", async () => {
    // Reports carry counters on a 30 s clock; this only bounds the wait for them.
    const requestsOf = async () => {
      const response = await fetch(`${lb.url}/__lb/api/v1/pools/web/history?window=1h`, {
        headers: { authorization: `Bearer ${lb.readToken}` },
      });
      const body = (await response.json()) as { origins: { name: string; points: { requests: number }[] }[] };
      return Object.fromEntries(
        body.origins.map((o) => [o.name, o.points.reduce((sum, p) => sum + p.requests, 0)]),
      );
    };
    await expect.poll(requestsOf, { timeout: 90_000, interval: 2_000 }).toEqual({ a: 30, b: 10 });
    const rps = page.locator('[data-pool="web"] [data-chart="rps"]');
    await expect
      .poll(async () => Number(await rps.getAttribute("data-points", { timeout: 1000 }).catch(() => 0)), {
        timeout: 60_000,
        interval: 2_000,
      })
      .toBeGreaterThan(0);
    expect(await page.locator('[data-pool="web"] [data-chart] canvas').count()).toBe(3);
    if (process.env.UPDATE_SCREENSHOT === "1") {
      await page.screenshot({ path: join(REPO_ROOT, "docs", "dashboard.png"), fullPage: true });
    }
  }, 180_000);

  it("says an idle pool had no traffic and draws every chart's time labels whole", async () => {
    // The spare pool answered nothing: its charts have no value to scale, so no y axis.
    const spare = page.locator('[data-pool="spare"] [data-chart]');
    await page.locator('[data-pool="spare"] [data-chart="p95"][data-idle]').waitFor({ timeout: 30_000 });
    expect(await spare.locator(".chart-idle").allTextContents()).toEqual(
      Array(3).fill("No traffic in this window"),
    );
    expect(await page.locator('[data-pool="web"] [data-idle], [data-pool="web"] .chart-idle').count()).toBe(
      0,
    );
    // A label cut off by the canvas's edge leaves ink in its outermost pixel columns; whole labels keep a gap.
    const inkAtEdges = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLCanvasElement>("[data-pool] [data-chart] canvas")].map((canvas) => {
        const context = canvas.getContext("2d");
        const inked = (x: number) =>
          context?.getImageData(x, 0, 1, canvas.height).data.some((v, i) => i % 4 === 3 && v > 0) ?? true;
        const edges = [0, 1, canvas.width - 2, canvas.width - 1];
        const where = `${canvas.closest("[data-pool]")?.getAttribute("data-pool")}/${canvas.closest("[data-chart]")?.getAttribute("data-chart")}`;
        return `${where}: ${edges.some(inked) ? "ink" : "clear"}`;
      }),
    );
    expect(inkAtEdges.toSorted()).toEqual(
      ["spare", "web"].flatMap((pool) => ["errors", "p95", "rps"].map((chart) => `${pool}/${chart}: clear`)),
    );
    // The idle pool's plots start where the busy pool's do, with room for the labels either way.
    const plotLeft = (pool: string) =>
      page
        .locator(`[data-pool="${pool}"] [data-chart="rps"] .u-over`)
        .evaluate((over) => (over as HTMLElement).offsetLeft);
    expect(await plotLeft("spare")).toBe(await plotLeft("web"));
  });

  it("charts the load balancer over its pools, switches to 24 h and marks a configuration change", async () => {
    // Through the API, the load balancer counts what its origins answered above (a 30, b 10; spare none).
    const lbHistory = await lb.api.get<{
      total: { requests: number }[];
      pools: { id: string; points: { requests: number }[] }[];
    }>("/load_balancers/www/history?window=1h");
    expect(lbHistory.status).toBe(200);
    expect(lbHistory.body.total.reduce((sum, p) => sum + p.requests, 0)).toBe(40);
    expect(
      Object.fromEntries(
        lbHistory.body.pools.map((p) => [p.id, p.points.reduce((sum, x) => sum + x.requests, 0)]),
      ),
    ).toEqual({ web: 40, spare: 0 });
    // The load balancer's chart draws the same reported minutes as its pools' (read above).
    const lbRps = page.locator('[data-lb-charts="www"] [data-chart="rps"]');
    await expect
      .poll(async () => Number(await lbRps.getAttribute("data-points", { timeout: 1000 }).catch(() => 0)), {
        timeout: 60_000,
        interval: 2_000,
      })
      .toBeGreaterThan(0);
    expect(await page.locator('[data-lb-charts="www"] [data-chart] canvas').count()).toBe(3);
    // Origin b stopped above: its pool's charts mark the health change the PoolState recorded.
    await expect
      .poll(() => page.locator('[data-charts="web"] [data-chart="rps"] [data-marker="unhealthy"]').count(), {
        timeout: 60_000,
        interval: 2_000,
      })
      .toBeGreaterThan(0);

    const changed = await lb.api.patch("/pools/spare", { description: "changed from the charts test" });
    expect(changed.status).toBe(200);
    const versions = await lb.api.get<{ items: { version: number; at: string }[] }>(
      "/config/versions?limit=1",
    );
    const newest = versions.body.items[0]!;
    const asked = page.waitForRequest((r) => r.url().includes("/load_balancers/www/history?window=24h"));
    await page.locator('#history-switch button[data-window="24h"]').click();
    await asked;
    await page.locator('[data-lb-charts="www"][data-window="24h"]').waitFor({ timeout: 10_000 });
    const marker = page.locator(
      `[data-lb-charts="www"] [data-chart="rps"] [data-marker="config"][data-at="${newest.at}"]`,
    );
    await marker.waitFor({ state: "attached", timeout: 10_000 });
    expect(await marker.getAttribute("title")).toContain(`configuration v${newest.version}:`);
    expect(
      Number(await page.locator('[data-lb-charts="www"] [data-chart="rps"]').getAttribute("data-points")),
    ).toBeGreaterThan(0);
    const hour = page.waitForRequest((r) => r.url().includes("/load_balancers/www/history?window=1h"), {
      timeout: 45_000,
    });
    await page.locator('#history-switch button[data-window="1h"]').click();
    await page.locator('[data-lb-charts="www"][data-window="1h"]').waitFor({ timeout: 10_000 });
    // The last hour's reading is refreshed at most every 30 s; the marker appears with the next one.
    await hour;
    await page
      .locator(`[data-lb-charts="www"] [data-marker="config"][data-at="${newest.at}"]`)
      .first()
      .waitFor({ state: "attached", timeout: 45_000 });
  }, 180_000);

  it("shows an endpoint the server does not offer as not available", async () => {
    await page.route("**/__lb/api/v1/events*", (route) =>
      route.fulfill({
        status: 404,
        contentType: "application/problem+json",
        body: JSON.stringify({
          type: "about:blank",
          title: "Not Found",
          status: 404,
          detail: "There is nothing here.",
        }),
      }),
    );
    await expect.poll(() => page.locator("#events").textContent(), { timeout: 10_000 }).toBe("not available");
    expect(await page.locator('[data-pool="web"]').count()).toBe(1);
    await page.unroute("**/__lb/api/v1/events*");
  });

  it("stays signed in on reload and signs out", async () => {
    await page.reload();
    await page.locator('[data-pool="web"]').waitFor();
    await page.locator("#logout").click();
    await page.locator("#login-form").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("edge-lb.token"))).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
