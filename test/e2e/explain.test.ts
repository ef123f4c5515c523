/**
 * `GET /explain` through the real runtime agrees with where real requests go: hashing on a header,
 * failover when the primary pool's origins are down, and an origin killed once its health lands.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PoolInput } from "../../worker/config/schema.ts";
import {
  type AdminClient,
  adminClient,
  createLoadBalancer,
  createPool,
  expectStatus,
  poolOf,
  servePool,
} from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { TestOrigin } from "../helpers/origins.ts";
import { throughLb } from "../helpers/through-lb.ts";
import { waitFor } from "../helpers/wait.ts";

interface Explained {
  outcome: string;
  loadBalancer: { id: string } | null;
  pools: Array<{ id: string; verdict: string; reason: string; healthy?: boolean }>;
  pool: { id: string } | null;
  origins: Array<{ name: string; candidate: boolean; verdict: string; state: string | null }>;
  origin: { name: string; decided: string; reason: string } | null;
}

let lb: TestLoadBalancer;
let reader: AdminClient;

/** Active checks every second, one failure to fall and one success to rise: health lands fast. */
const FAST_CHECKS: PoolInput["healthCheck"] = {
  path: "/",
  intervalSeconds: 1,
  timeoutMs: 500,
  healthyThreshold: 1,
  unhealthyThreshold: 1,
};

function named(...names: string[]): TestOrigin[] {
  return names.map((name) => lb.origin(name));
}

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["h1", "h2", "h3", "p1", "p2", "s1", "r1", "r2", "r3"] });
  reader = adminClient(lb.url, lb.readToken);
});

afterAll(async () => {
  await lb?.stop();
});

async function explain(url: string, headers: Record<string, string> = {}): Promise<Explained> {
  const query = new URLSearchParams({ url });
  for (const [name, value] of Object.entries(headers)) query.append(`header.${name}`, value);
  return expectStatus(await reader.get<Explained>(`/explain?${query}`), 200).body;
}

describe("explain agrees with the real runtime", () => {
  it("names the origin each header value hashes to", async () => {
    await servePool(lb.api, "hash.explain.test", {
      ...poolOf("ex-hash", named("h1", "h2", "h3"), { algorithm: "hash" }),
      hashOn: "header:x-user",
    });
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const headers = { "x-user": `user-${i}` };
      const explained = await explain("http://hash.explain.test/cart", headers);
      expect(explained.origin?.decided).toBe("fixed");
      const { echo } = await throughLb(lb.url, "hash.explain.test", { path: "/cart", headers });
      expect(echo.origin).toBe(explained.origin?.name);
      seen.add(echo.origin);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it("fails over to the secondary pool when the primary's origins are down, and says why", async () => {
    const [p1, p2] = named("p1", "p2");
    await createPool(lb.api, { ...poolOf("ex-primary", [p1!, p2!]), healthCheck: FAST_CHECKS });
    await createPool(lb.api, poolOf("ex-secondary", named("s1")));
    await createLoadBalancer(lb.api, {
      id: "ex-failover",
      hostname: "failover.explain.test",
      pools: ["ex-primary", "ex-secondary"],
    });
    const url = "http://failover.explain.test/";
    const before = await explain(url);
    expect(before.pool?.id).toBe("ex-primary");
    expect(["p1", "p2"]).toContain((await throughLb(lb.url, "failover.explain.test")).echo.origin);

    await p1!.stop();
    await p2!.stop();
    try {
      const after = await waitFor(
        async () => {
          const explained = await explain(url);
          return explained.pool?.id === "ex-secondary" && explained;
        },
        { timeoutMs: 30_000, intervalMs: 250, what: "explain to report failover to ex-secondary" },
      );
      expect(after.pools[0]).toMatchObject({ id: "ex-primary", verdict: "skipped", healthy: false });
      expect(after.pools[0]?.reason).toMatch(/unhealthy/);
      expect(after.pools[1]).toMatchObject({ id: "ex-secondary", verdict: "chosen" });
      expect(after.origin?.name).toBe("s1");
      for (let i = 0; i < 5; i++) {
        expect((await throughLb(lb.url, "failover.explain.test")).echo.origin).toBe("s1");
      }
    } finally {
      await p1!.restart();
      await p2!.restart();
    }
  });

  it("stops naming a killed origin once its health lands, and still predicts round robin", async () => {
    const [r1, r2, r3] = named("r1", "r2", "r3");
    await servePool(lb.api, "rr.explain.test", {
      ...poolOf("ex-rr", [r1!, r2!, r3!]),
      healthCheck: FAST_CHECKS,
    });
    const url = "http://rr.explain.test/";
    await r2!.stop();
    try {
      const landed = await waitFor(
        async () => {
          const explained = await explain(url);
          const killed = explained.origins.find((origin) => origin.name === "r2");
          return killed?.verdict === "unhealthy" && explained;
        },
        { timeoutMs: 30_000, intervalMs: 250, what: "explain to report r2 unhealthy" },
      );
      expect(landed.origins.find((origin) => origin.name === "r2")).toMatchObject({
        candidate: false,
        state: "unhealthy",
      });
      const reached: string[] = [];
      for (let i = 0; i < 6; i++) {
        const next = await explain(url);
        const { echo } = await throughLb(lb.url, "rr.explain.test");
        expect(echo.origin).toBe(next.origin?.name);
        reached.push(echo.origin);
      }
      expect(reached).not.toContain("r2");
      expect(new Set(reached)).toEqual(new Set(["r1", "r3"]));
    } finally {
      await r2!.restart();
    }
  });
});
