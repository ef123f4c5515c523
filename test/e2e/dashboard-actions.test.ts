/**
 * The dashboard's admin actions in a real headless Chromium against the real local runtime. With the
 * admin token the browser drains and undrains an origin, disables and enables an origin and a pool,
 * and rolls the configuration back, each through its confirmation; the API and the traffic through
 * the edge then show the change. A change someone else made first is refused and shown. With the
 * read token the controls are absent and header values arrive redacted. Both see each notification's
 * last delivery and its pending retries.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectStatus, putConfig } from "../helpers/admin-client.ts";
import { launchBrowser, missingChromium, signIn, type TestBrowser } from "../helpers/browser.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { originSequence, tally } from "../helpers/through-lb.ts";
import { waitFor } from "../helpers/wait.ts";

const HOST = "www.actions.test";
const HEADER_SECRET = "origin-header-value-7f3a";
/** The edge picks up configuration changes within seconds; this only bounds the wait. */
const EDGE_WAIT = { timeoutMs: 20_000, intervalMs: 250 };
/** The history and notifications panels refresh every few seconds; this only bounds the wait. */
const PANEL_TIMEOUT_MS = 20_000;

const skipReason = missingChromium();
if (skipReason) console.warn(`Skipping the dashboard action tests: ${skipReason}`);

interface Receiver {
  url: string;
  hits: number;
  close(): Promise<void>;
}

/** A webhook receiver on a loopback port that answers every POST with `status`. */
async function startReceiver(status: number): Promise<Receiver> {
  const receiver = { url: "", hits: 0, close: async () => {} };
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      receiver.hits++;
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}

describe.skipIf(skipReason !== undefined)("dashboard actions", () => {
  let lb: TestLoadBalancer;
  let browser: TestBrowser;
  let page: Page;
  let working: Receiver;
  let failing: Receiver;

  interface PoolBody {
    version: number;
    enabled: boolean;
    description: string;
    origins: { name: string; weight: number; enabled: boolean; headers: Record<string, string> }[];
  }
  const pool = async () => expectStatus(await lb.api.get<PoolBody>("/pools/web"), 200).body;
  const origin = async (name: string) => (await pool()).origins.find((o) => o.name === name);
  const currentVersion = async () =>
    expectStatus(await lb.api.get<{ items: { version: number }[] }>("/config/versions?limit=1"), 200).body
      .items[0]?.version ?? 0;
  /** Waits until 10 requests through the edge are answered only by `only` (all of them, when given). */
  const edgeServes = (only: string[]) =>
    waitFor(
      async () => {
        const answered = tally(await originSequence(lb.url, HOST, 10));
        const names = Object.keys(answered).sort();
        return JSON.stringify(names) === JSON.stringify([...only].sort()) && answered;
      },
      { ...EDGE_WAIT, what: `only ${only.join(" and ")} answering through the edge` },
    );

  /** Clicks an action button, checks the confirmation's text, then confirms (or cancels). */
  async function act(button: string, expected: RegExp[], answer: "confirm" | "cancel" = "confirm") {
    await page.locator(button).click();
    const dialog = page.locator("dialog#confirm");
    await dialog.waitFor();
    const shown = (await dialog.textContent()) ?? "";
    for (const pattern of expected) expect(shown).toMatch(pattern);
    await page.locator(answer === "confirm" ? "#confirm-ok" : "#confirm-cancel").click();
    await dialog.waitFor({ state: "hidden" });
    return shown;
  }
  const outcome = async () => {
    const status = page.locator("#action-status");
    await expect.poll(() => status.getAttribute("data-outcome")).not.toBe("busy");
    return { kind: await status.getAttribute("data-outcome"), text: (await status.textContent()) ?? "" };
  };
  const originButton = (name: string, action: string) =>
    `[data-pool="web"] tr[data-origin="${name}"] button[data-action="${action}"]`;

  beforeAll(async () => {
    lb = await startLoadBalancer({ origins: ["a", "b", "spare"] });
    [working, failing] = await Promise.all([startReceiver(204), startReceiver(500)]);
    const [a, b, spare] = lb.origins;
    await putConfig(lb.api, {
      pools: [
        {
          id: "web",
          description: "the main pool",
          origins: [
            { name: "a", address: a!.url, weight: 2 },
            { name: "b", address: b!.url, headers: { "x-origin-key": HEADER_SECRET } },
          ],
        },
        { id: "spare", origins: [{ name: "spare", address: spare!.url }] },
      ],
      loadBalancers: [
        {
          id: "www",
          hostname: HOST,
          pools: ["web"],
          fallbackPool: "spare",
          sessionAffinity: { type: "cookie", drainSeconds: 30 },
        },
      ],
    });
    expectStatus(
      await lb.api.post("/notifications", {
        id: "ops",
        url: working.url,
        secret: "a-signing-secret-of-32-chars-xyz",
      }),
      201,
    );
    expectStatus(await lb.api.post("/notifications", { id: "pager", url: failing.url }), 201);
    expectStatus(await lb.api.post("/notifications/ops/test", {}), 200);
    // A configuration change: an event for both receivers; the failing one keeps it for a retry.
    expectStatus(await lb.api.patch("/pools/spare", { description: "standby" }), 200);
    await waitFor(async () => failing.hits > 0 && working.hits > 1, { what: "both receivers called" });
    browser = await launchBrowser();
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await lb?.stop();
    await Promise.all([working?.close(), failing?.close()]);
  });

  it("with the read token: no controls, header values redacted, delivery state shown", async () => {
    const bodies: string[] = [];
    const record = async (response: Response) => {
      if (/\/__lb\/api\/v1\/(pools|config)/.test(response.url()))
        bodies.push(await response.text().catch(() => ""));
    };
    page.on("response", record);
    await signIn(page, lb.url, lb.readToken);
    await expect.poll(() => page.locator("#role").getAttribute("data-role")).toBe("read");
    await page.locator("#history tr[data-version]").first().waitFor({ timeout: PANEL_TIMEOUT_MS });
    const ops = page.locator('#notifications tr[data-notification="ops"]');
    await ops.waitFor({ timeout: PANEL_TIMEOUT_MS });
    expect(await page.locator("button[data-action]").count()).toBe(0);
    expect(await page.locator("dialog").count()).toBe(0);
    expect(await page.locator("#history th").allTextContents()).not.toContain("Actions");

    expect(await ops.getAttribute("data-outcome")).toBe("delivered");
    expect(await ops.locator("td.result").textContent()).toContain("HTTP 204");
    const pager = page.locator('#notifications tr[data-notification="pager"]');
    await expect.poll(() => pager.getAttribute("data-outcome")).toBe("retrying");
    expect(Number(await pager.getAttribute("data-pending"))).toBeGreaterThan(0);
    expect(await pager.locator("td.result").textContent()).toContain("HTTP 500");
    expect(await pager.locator("td.pending").textContent()).toMatch(/config_changed/);

    page.off("response", record);
    expect(bodies.some((body) => body.includes('"<redacted>"'))).toBe(true);
    expect(bodies.join("\n")).not.toContain(HEADER_SECRET);
    expect(await page.content()).not.toContain(HEADER_SECRET);
    expect(await page.content()).not.toContain(lb.readToken);
  });

  it("drains an origin after a confirmation; cancel changes nothing", async () => {
    await signIn(page, lb.url, lb.adminToken);
    await expect.poll(() => page.locator("#role").getAttribute("data-role")).toBe("admin");
    await edgeServes(["a", "b"]);

    await act(originButton("a", "drain"), [/Drain origin a of pool web/], "cancel");
    expect((await origin("a"))?.weight).toBe(2);

    const shown = await act(originButton("b", "drain"), [
      /Drain origin b of pool web/,
      /weight goes from 1 to 0/,
      /Pinned sessions \(affinity of www\) keep it for 30 s/,
    ]);
    expect(shown).not.toMatch(/last origin/);
    const result = await outcome();
    expect(result).toEqual({ kind: "ok", text: expect.stringContaining("Drained origin b of pool web") });
    expect((await origin("b"))?.weight).toBe(0);
    const health = expectStatus(
      await lb.api.get<{ origins: { name: string; state: string }[] }>("/pools/web/health"),
      200,
    ).body;
    expect(health.origins.find((o) => o.name === "b")?.state).toBe("draining");
    await edgeServes(["a"]);
    await page.locator(originButton("b", "undrain")).waitFor();
  });

  it("undrains it", async () => {
    await act(originButton("b", "undrain"), [/Undrain origin b of pool web/]);
    expect((await outcome()).kind).toBe("ok");
    expect((await origin("b"))?.weight).toBe(1);
    await page.locator(originButton("b", "drain")).waitFor();
  });

  it("disables and enables an origin, refusing a change made meanwhile by someone else", async () => {
    const before = (await pool()).version;
    await page.locator(`[data-pool="web"] button[data-action="disable-pool"]`).waitFor();
    await act(originButton("b", "disable-origin"), [
      /Disable origin b of pool web/,
      /still health-checked/,
      new RegExp(`If-Match: version ${before} of pool web`),
    ]);
    expect((await outcome()).kind).toBe("ok");
    expect((await origin("b"))?.enabled).toBe(false);
    await edgeServes(["a"]);

    // Someone else changes the pool while the confirmation is open: the dashboard's write is refused.
    await page.locator(originButton("b", "enable-origin")).click();
    await page.locator("dialog#confirm").waitFor();
    expectStatus(await lb.api.patch("/pools/web", { description: "changed elsewhere" }), 200);
    await page.locator("#confirm-ok").click();
    const refused = await outcome();
    expect(refused.kind).toBe("error");
    expect(refused.text).toMatch(/Nothing was changed: pool web was changed by someone else/);
    expect((await origin("b"))?.enabled).toBe(false);

    await page.locator(originButton("b", "enable-origin")).waitFor();
    await act(originButton("b", "enable-origin"), [/Enable origin b of pool web/, /weight 1/]);
    expect((await outcome()).kind).toBe("ok");
    const after = await pool();
    expect(after.origins.find((o) => o.name === "b")?.enabled).toBe(true);
    expect(after.description).toBe("changed elsewhere");
    // The admin token's PATCH carried the real header value, so it is still there.
    expect(after.origins.find((o) => o.name === "b")?.headers).toEqual({ "x-origin-key": HEADER_SECRET });
  });

  it("disables and enables a pool", async () => {
    await act(`[data-pool="web"] button[data-action="disable-pool"]`, [
      /Disable pool web/,
      /www stop sending to it and fail over/,
    ]);
    expect((await outcome()).kind).toBe("ok");
    expect((await pool()).enabled).toBe(false);
    await edgeServes(["spare"]);

    await page.locator(`[data-pool="web"] button[data-action="enable-pool"]`).waitFor();
    await act(`[data-pool="web"] button[data-action="enable-pool"]`, [/Enable pool web/]);
    expect((await outcome()).kind).toBe("ok");
    expect((await pool()).enabled).toBe(true);
    await edgeServes(["a", "b"]);
  });

  it("rolls back to a version from the history after showing what will change", async () => {
    // The version in which b was drained: b at weight 0, and the description before the change.
    let target: number | undefined;
    const versions = expectStatus(await lb.api.get<{ items: { version: number }[] }>("/config/versions"), 200)
      .body.items;
    for (const { version } of versions) {
      const doc = expectStatus(
        await lb.api.get<{ pools: { id: string; origins: { name: string; weight: number }[] }[] }>(
          `/config/versions/${version}`,
        ),
        200,
      ).body;
      const web = doc.pools.find((p) => p.id === "web");
      if (web?.origins.find((o) => o.name === "b")?.weight === 0) target = version;
    }
    expect(target).toBeDefined();
    const before = await currentVersion();
    const button = `#history tr[data-version="${target}"] button[data-action="rollback"]`;
    await page.locator(button).waitFor({ timeout: PANEL_TIMEOUT_MS });
    await act(button, [
      new RegExp(`Roll back to version ${target}`),
      /Pools updated: web\./,
      /pool web: origins\[b\]\.weight: 1 → 0/,
      /pool web: description: "changed elsewhere" → "the main pool"/,
      new RegExp(`If-Match: version ${before}`),
    ]);
    const result = await outcome();
    expect(result.kind).toBe("ok");
    expect(result.text).toContain(`Rolled back to version ${target}`);
    const now = await pool();
    expect(now.origins.find((o) => o.name === "b")?.weight).toBe(0);
    expect(now.description).toBe("the main pool");
    expect(await currentVersion()).toBe(before + 1);
    await edgeServes(["a"]);
  });

  it("shows the API's refusal of a rollback made stale by another change", async () => {
    const older = expectStatus(await lb.api.get<{ items: { version: number }[] }>("/config/versions"), 200)
      .body.items[2]?.version;
    const button = `#history tr[data-version="${older}"] button[data-action="rollback"]`;
    await page.locator(button).waitFor({ timeout: PANEL_TIMEOUT_MS });
    await page.locator(button).click();
    await page.locator("dialog#confirm").waitFor();
    const before = await lb.api.get("/config");
    expectStatus(await lb.api.patch("/pools/spare", { description: "changed meanwhile" }), 200);
    await page.locator("#confirm-ok").click();
    const refused = await outcome();
    expect(refused.kind).toBe("error");
    expect(refused.text).toMatch(/Nothing was changed: the configuration was changed by someone else/);
    const after = expectStatus(await lb.api.get<{ version: number }>("/config"), 200).body;
    expect(after.version).toBe((before.body as { version: number }).version + 1);
    expect(await page.content()).not.toContain(lb.adminToken);
    expect(browser.errors).toEqual([]);
  });
});
