import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer, createPool, servePool } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { TestOrigin } from "../helpers/origins.ts";
import { throughLb } from "../helpers/through-lb.ts";
import { waitFor } from "../helpers/wait.ts";
import {
  checkedPool,
  errors,
  eventsOf,
  FAST_CHECK,
  healthOf,
  proxied,
  since,
  steadyLoad,
} from "./health-support.ts";

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "c"] });
});

afterAll(async () => {
  await lb?.stop();
});

/** The isolate's Durable Object calls and proxied requests so far (`GET /__lb/healthz`). */
async function isolateCalls(): Promise<{ doCalls: number; proxiedRequests: number }> {
  const res = await send(lb.url, { path: "/__lb/healthz" });
  return res.json<{ isolate: { doCalls: number; proxiedRequests: number } }>().isolate;
}

/** When the runtime logged its first local ejection of `origin` (ms since the epoch), NaN if never. */
function firstLocalEjection(output: string, pool: string, origin: string): number {
  for (const line of output.split("\n")) {
    const start = line.indexOf('{"event":"origin_ejected_here"');
    if (start === -1) continue;
    const event = JSON.parse(line.slice(start)) as { at: string; pool: string; origin: string };
    if (event.pool === pool && event.origin === origin) return Date.parse(event.at);
  }
  return Number.NaN;
}

/** Bound on waiting for a verdict: U checks, a round's timeout each, the snapshot, and slack. */
const DETECTION_BOUND_MS =
  FAST_CHECK.unhealthyThreshold * (FAST_CHECK.intervalSeconds * 1000 + FAST_CHECK.timeoutMs) + 6000;
const RECOVERY_BOUND_MS =
  FAST_CHECK.healthyThreshold * (FAST_CHECK.intervalSeconds * 1000 + FAST_CHECK.timeoutMs) + 6000;

describe("an origin dies under steady load", () => {
  it("costs no client an error, leaves the rotation, and comes back after it recovers", async () => {
    const [a, b, c] = lb.origins as [TestOrigin, TestOrigin, TestOrigin];
    await servePool(lb.api, "kill.test", checkedPool("kill", [a, b, c]));
    await waitFor(
      async () => Object.values(await healthOf(lb.api, "kill")).every((o) => o.state === "healthy"),
      {
        what: "first verdicts",
      },
    );

    const callsBefore = await isolateCalls();
    let killedAt = 0;
    const answers = await steadyLoad(lb.url, "kill.test", {
      total: 300,
      concurrency: 4,
      before: async (index) => {
        if (index === 100) {
          killedAt = Date.now();
          await c.stop();
        }
      },
    });
    const callsAfter = await isolateCalls();
    expect(errors(answers)).toEqual([]);
    expect(new Set(answers.map((answer) => answer.origin))).toEqual(new Set(["a", "b", "c"]));

    await waitFor(async () => (await healthOf(lb.api, "kill")).c?.state === "unhealthy", {
      timeoutMs: DETECTION_BOUND_MS,
      what: "c reported unhealthy",
    });
    const detectedMs = since(killedAt);

    // Back on its port but failing its checks: still out, so it receives no proxied request.
    c.reset();
    c.set({ status: 503 });
    await c.restart();
    // The edge went quiet while the verdict landed, and its 2 s ejections of c have ended since its
    // last snapshot: it reads the pool again before c may take a request (health/edge-view.ts).
    const whileOut = await steadyLoad(lb.url, "kill.test", { total: 60, concurrency: 2 });
    expect(errors(whileOut)).toEqual([]);
    expect(proxied(c)).toEqual([]);

    const recoveredAt = Date.now();
    c.set({ status: 200 });
    await waitFor(async () => (await healthOf(lb.api, "kill")).c?.state === "healthy", {
      timeoutMs: RECOVERY_BOUND_MS,
      what: "c healthy again",
    });
    const healthyMs = since(recoveredAt);
    await waitFor(
      async () => {
        await throughLb(lb.url, "kill.test");
        return proxied(c).length > 0;
      },
      { what: "traffic back on c" },
    );
    const trafficMs = since(recoveredAt);

    const events = await eventsOf(lb.api, "kill/c", killedAt);
    expect(events.filter((e) => e.kind === "origin_unhealthy")).toHaveLength(1);
    expect(events.filter((e) => e.kind === "origin_healthy")).toHaveLength(1);
    const ejectedGlobally = events.find((e) => e.kind === "origin_ejected");
    console.log(
      JSON.stringify({
        measured: "kill one of three",
        ejectedHereMs: firstLocalEjection(lb.output(), "kill", "c") - killedAt,
        ejectedGloballyMs: ejectedGlobally ? Date.parse(ejectedGlobally.at) - killedAt : null,
        unhealthyMs: Date.parse(events.find((e) => e.kind === "origin_unhealthy")?.at ?? "") - killedAt,
        detectedMs,
        healthyMs,
        trafficMs,
        doCallsPer100Requests:
          (100 * (callsAfter.doCalls - callsBefore.doCalls)) /
          Math.max(1, callsAfter.proxiedRequests - callsBefore.proxiedRequests),
        loadMs: answers.at(-1)!.at - answers[0]!.at,
      }),
    );
  });
});

describe("an origin that hangs", () => {
  it("times out, is retried elsewhere, and is ejected", async () => {
    const [a, b, c] = lb.origins as [TestOrigin, TestOrigin, TestOrigin];
    for (const origin of lb.origins) origin.reset();
    await c.restart();
    b.set({ hang: true });
    await createPool(lb.api, {
      id: "hang",
      origins: [a, b, c].map((origin) => ({ name: origin.name, address: origin.url })),
      passiveHealth: { consecutiveFailures: 2, ejectionSeconds: 30 },
    });
    await createLoadBalancer(lb.api, {
      id: "hang",
      hostname: "hang.test",
      pools: ["hang"],
      timeouts: { requestMs: 400 },
    });

    const answers = await steadyLoad(lb.url, "hang.test", { total: 30, concurrency: 1 });
    expect(errors(answers)).toEqual([]);
    // b was tried (and timed out) before it was ejected; every such request was answered elsewhere.
    expect(b.count()).toBeGreaterThanOrEqual(2);
    expect(answers.some((answer) => answer.origin === "b")).toBe(false);
    await waitFor(async () => (await healthOf(lb.api, "hang")).b?.state === "ejected", { what: "b ejected" });

    // Client traffic only: the active checks of this pool and of the earlier test's pool (the same
    // origin servers) keep arriving whatever the ejection.
    const proxied = () =>
      b.requests.filter((r) => !r.headers["user-agent"]?.startsWith("edge-lb-health-check")).length;
    const seen = proxied();
    const after = await steadyLoad(lb.url, "hang.test", { total: 20, concurrency: 1 });
    expect(errors(after)).toEqual([]);
    expect(proxied()).toBe(seen);
    const ejections = (await eventsOf(lb.api, "hang/b", 0)).filter((e) => e.kind === "origin_ejected");
    expect(ejections).toHaveLength(1);
    b.set({ hang: false });
  });
});
