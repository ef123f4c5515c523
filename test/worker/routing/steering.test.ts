import { describe, expect, it } from "vitest";
import type { PoolInput } from "../../../worker/config/schema.ts";
import { installConfig, ORIGIN, send } from "../proxy/support.ts";

function poolOf(id: string): PoolInput {
  return { id, origins: [{ name: `${id}-1`, address: ORIGIN }] };
}

async function poolServing(url: string, init: RequestInit = {}): Promise<string> {
  const response = await send(url, init);
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return response.headers.get("x-lb-pool")!;
}

describe("geo steering by request.cf", () => {
  function install(): void {
    installConfig(
      [poolOf("web-eu"), poolOf("web-us"), poolOf("web-de"), poolOf("web-any")],
      [
        {
          id: "geo",
          hostname: "geo.test",
          steering: "geo",
          pools: ["web-any", "web-us"],
          countryPools: { DE: ["web-de"] },
          regionPools: { EU: ["web-eu"], NA: ["web-us"] },
          debugHeaders: true,
        },
      ],
    );
  }

  it("serves a country's pool, else its continent's, else the configured order", async () => {
    install();
    const from = (country: string, continent: string) => ({ cf: { country, continent } });
    expect(await poolServing("http://geo.test/", from("DE", "EU"))).toBe("web-de");
    expect(await poolServing("http://geo.test/", from("FR", "EU"))).toBe("web-eu");
    expect(await poolServing("http://geo.test/", from("US", "NA"))).toBe("web-us");
    expect(await poolServing("http://geo.test/", from("JP", "AS"))).toBe("web-any");
    expect(await poolServing("http://geo.test/")).toBe("web-any");
  });

  it("moves on to the next preference when the preferred pool cannot serve", async () => {
    installConfig(
      [{ ...poolOf("g-de"), enabled: false }, poolOf("g-eu"), poolOf("g-any")],
      [
        {
          id: "geo-down",
          hostname: "geo-down.test",
          steering: "geo",
          pools: ["g-any"],
          countryPools: { DE: ["g-de"] },
          regionPools: { EU: ["g-eu"] },
          debugHeaders: true,
        },
      ],
    );
    expect(await poolServing("http://geo-down.test/", { cf: { country: "DE", continent: "EU" } })).toBe(
      "g-eu",
    );
  });
});

describe("random steering", () => {
  it("spreads requests over the pools by poolWeights", async () => {
    installConfig(
      [poolOf("r-a"), poolOf("r-b"), poolOf("r-c")],
      [
        {
          id: "rand",
          hostname: "rand.test",
          steering: "random",
          pools: ["r-a", "r-b", "r-c"],
          poolWeights: { "r-a": 3, "r-b": 1, "r-c": 0 },
          debugHeaders: true,
        },
      ],
    );
    const counts: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const pool = await poolServing("http://rand.test/");
      counts[pool] = (counts[pool] ?? 0) + 1;
    }
    expect(counts["r-c"]).toBeUndefined();
    // Expected 150 of 200 on r-a; the standard deviation is 6.1, so 120..180 is almost 5 of them.
    expect(counts["r-a"]).toBeGreaterThanOrEqual(120);
    expect(counts["r-a"]).toBeLessThanOrEqual(180);
  });
});

describe("least_connections steering", () => {
  it("spreads idle traffic over every pool that can serve", async () => {
    installConfig(
      [poolOf("lc-a"), poolOf("lc-b"), { ...poolOf("lc-off"), enabled: false }],
      [
        {
          id: "lc",
          hostname: "lc.test",
          steering: "least_connections",
          pools: ["lc-off", "lc-a", "lc-b"],
          debugHeaders: true,
        },
      ],
    );
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add(await poolServing("http://lc.test/"));
    // Sequential requests leave every pool idle, so all tie and each is drawn in turn at random.
    expect([...seen].sort()).toEqual(["lc-a", "lc-b"]);
  });
});
