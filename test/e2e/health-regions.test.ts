/**
 * Health checks from several regions (`healthCheck.regions`) through the real runtime and real
 * origins. Locally the location hints are ignored, so every region's prober runs on this machine;
 * the origins tell them apart by the `x-edge-lb-probe-region` header each prober sends, and fail
 * only the probes of the regions they are told to (`failForRegions`). An origin is healthy when a
 * strict majority of the regions see it healthy: the health API, the events and the traffic agree.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OriginHealth } from "../../worker/health/types.ts";
import { adminClient, expectStatus } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { originSequence } from "../helpers/through-lb.ts";
import { waitFor } from "../helpers/wait.ts";
import { checkedPool, eventsOf, FAST_CHECK, PROBE_PATH, proxied, since } from "./health-support.ts";

const HOST = "regions.test";
const REGIONS = ["wnam", "weur", "apac"] as const;

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b"] });
});

afterAll(async () => {
  await lb?.stop();
});

async function health(): Promise<Record<string, OriginHealth>> {
  const reader = adminClient(lb.url, lb.readToken);
  const res = expectStatus(await reader.get<{ origins: OriginHealth[] }>("/pools/regions/health"), 200);
  return Object.fromEntries(res.body.origins.map((origin) => [origin.name, origin]));
}

describe("health checks from several regions", () => {
  it("keeps an origin that 1 of 3 regions fails, takes out one that 2 of 3 fail, and brings it back", async () => {
    const a = lb.origin("a");
    const b = lb.origin("b");
    a.set({ failForRegions: ["weur"] });
    const started = Date.now();
    expectStatus(
      await lb.api.post(
        "/pools",
        checkedPool("regions", [a, b], { healthCheck: { ...FAST_CHECK, regions: [...REGIONS] } }),
      ),
      201,
    );
    expectStatus(
      await lb.api.post("/load_balancers", { id: "regions", hostname: HOST, pools: ["regions"] }),
      201,
    );

    // Every region has judged both origins: a is healthy by 2 of 3, weur's view shows its failure.
    const first = await waitFor(
      async () => {
        const now = await health();
        const judged = REGIONS.every(
          (r) => now.a?.regions?.[r]?.lastCheckAt && now.b?.regions?.[r]?.lastCheckAt,
        );
        return judged && now.a?.regions?.weur?.healthy === false && now;
      },
      { what: "every region's verdict" },
    );
    expect(first.a).toMatchObject({ state: "healthy", healthy: true });
    expect(first.a?.regions?.weur?.lastError).toContain("503");
    expect(first.b?.state).toBe("healthy");
    // Each prober sends its own probes, naming its region.
    const probeRegions = new Set(
      b.requests.filter((r) => r.path === PROBE_PATH).map((r) => r.headers["x-edge-lb-probe-region"]),
    );
    expect([...probeRegions].sort()).toEqual([...REGIONS].sort());

    // b now fails for two of the three regions: out of service, for the health API and the edge.
    b.set({ failForRegions: ["weur", "apac"] });
    const failedAt = Date.now();
    await waitFor(async () => (await health()).b?.state === "unhealthy", { what: "b unhealthy" });
    const unhealthyMs = since(failedAt);
    const now = await health();
    expect(Object.entries(now.b?.regions ?? {}).map(([r, v]) => [r, v.healthy])).toEqual([
      ["wnam", true],
      ["weur", false],
      ["apac", false],
    ]);
    await waitFor(async () => (await originSequence(lb.url, HOST, 4)).every((name) => name === "a"), {
      what: "traffic off b",
    });
    const seen = proxied(b).length;
    const names = await originSequence(lb.url, HOST, 20);
    expect(names.every((name) => name === "a")).toBe(true);
    expect(proxied(b).length).toBe(seen);

    // Back for one region: 2 of 3 see it healthy again, and it takes traffic.
    b.set({ failForRegions: ["weur"] });
    const recoveredAt = Date.now();
    await waitFor(async () => (await health()).b?.state === "healthy", { what: "b healthy" });
    const healthyMs = since(recoveredAt);
    await waitFor(async () => (await originSequence(lb.url, HOST, 4)).includes("b"), {
      what: "traffic on b",
    });

    const events = await eventsOf(lb.api, "regions/b", started);
    expect(events.filter((e) => e.kind === "origin_unhealthy").map((e) => e.message)).toEqual([
      expect.stringContaining("unhealthy by 2 of 3 regions"),
    ]);
    expect(events.filter((e) => e.kind === "origin_healthy" && e.message.includes("again"))).toHaveLength(1);

    // Probe cost: one probe per origin per region per interval.
    const windowStart = Date.now();
    const before = b.requests.filter((r) => r.path === PROBE_PATH).length;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const probes = b.requests.filter((r) => r.path === PROBE_PATH).length - before;
    const probesPerSecond = (1000 * probes) / since(windowStart);
    expect(probes).toBeGreaterThan(0);
    console.log(
      JSON.stringify({
        measured: "regions quorum (3 regions, 1 s checks, thresholds 2)",
        unhealthyMs,
        healthyMs,
        probesPerSecondPerOrigin: Math.round(probesPerSecond * 10) / 10,
      }),
    );
  });
});
