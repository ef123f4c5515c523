import { describe, expect, it } from "vitest";
import { installConfig, ORIGIN } from "../../proxy/support.ts";
import { API, call, json, READ_TOKEN } from "../support.ts";
import { explain } from "./support.ts";

interface Impact {
  items: {
    request: { url: string };
    now: {
      loadBalancer: string | null;
      pool: string | null;
      origin: string | null;
      status: number | null;
      affinity: string | null;
    };
    candidate: {
      loadBalancer: string | null;
      pool: string | null;
      origin: string | null;
      status: number | null;
    };
    changed: { loadBalancer: boolean; pool: boolean; origin: boolean };
  }[];
  summary: {
    requests: number;
    changed: Record<"loadBalancer" | "pool" | "origin", { count: number; share: number }>;
    affinityPinsBroken: number;
  };
}

const pools = [
  { id: "im-a", origins: [{ name: "a1", address: ORIGIN }] },
  { id: "im-b", origins: [{ name: "b1", address: ORIGIN }] },
];
const loadBalancers = [
  { id: "im-www", hostname: "www.impact.test", pools: ["im-a"] },
  { id: "im-api", hostname: "api.impact.test", pools: ["im-a"] },
];

const requests = [
  { url: "http://www.impact.test/" },
  { url: "http://www.impact.test/cart", method: "POST", headers: { "x-user": "7" }, ip: "203.0.113.7" },
  { url: "http://api.impact.test/v1", country: "DE" },
  { url: "http://new.impact.test/" },
];

async function impact(body: unknown, token = READ_TOKEN): Promise<Impact> {
  const response = await call("POST", `${API}/explain`, { body, token });
  if (response.status !== 200) throw new Error(`${response.status} ${await response.text()}`);
  return json<Impact>(response);
}

describe("POST /explain with a candidate configuration", () => {
  it("shows where each request goes now and under the candidate, and what share moves", async () => {
    installConfig(pools, loadBalancers);
    const candidate = {
      pools,
      loadBalancers: [
        { id: "im-www", hostname: "www.impact.test", pools: ["im-b"] },
        loadBalancers[1],
        { id: "im-new", hostname: "new.impact.test", pools: ["im-b"] },
      ],
    };
    const result = await impact({ config: candidate, requests });
    expect(result.items.map((item) => [item.now.pool, item.candidate.pool])).toEqual([
      ["im-a", "im-b"],
      ["im-a", "im-b"],
      ["im-a", "im-a"],
      [null, "im-b"],
    ]);
    expect(result.items[0]?.candidate).toMatchObject({ loadBalancer: "im-www", origin: "b1", status: null });
    expect(result.items[3]?.now).toMatchObject({ loadBalancer: null, status: 404 });
    expect(result.summary).toEqual({
      requests: 4,
      changed: {
        loadBalancer: { count: 1, share: 0.25 },
        pool: { count: 3, share: 0.75 },
        origin: { count: 3, share: 0.75 },
      },
      drawn: { pool: { count: 0, share: 0 }, origin: { count: 0, share: 0 } },
      affinityPinsBroken: 0,
    });
  });

  it("changes nothing: the live configuration still routes as before", async () => {
    installConfig(pools, loadBalancers);
    await impact({ config: { pools, loadBalancers: [] }, requests });
    expect((await explain("http://www.impact.test/")).pool?.id).toBe("im-a");
  });

  it("without a candidate, compares the live configuration with itself: nothing moves", async () => {
    installConfig(
      [
        {
          id: "im-r",
          algorithm: "random",
          origins: ["x", "y", "z"].map((name) => ({ name, address: ORIGIN })),
        },
      ],
      [{ id: "im-rand", hostname: "rand.impact.test", pools: ["im-r"] }],
    );
    const result = await impact({
      requests: Array.from({ length: 20 }, (_, i) => ({ url: `http://rand.impact.test/${i}` })),
    });
    expect(result.summary.changed.origin.count).toBe(0);
    expect(new Set(result.items.map((item) => item.now.origin)).size).toBeGreaterThan(1);
  });

  it("counts the affinity pins a change would break", async () => {
    const origins = ["x", "y", "z"].map((name) => ({ name, address: ORIGIN }));
    const lb = {
      id: "im-pin",
      hostname: "pin.impact.test",
      pools: ["im-p"],
      sessionAffinity: { type: "ip" as const },
    };
    installConfig([{ id: "im-p", origins }], [lb]);
    const sample = Array.from({ length: 30 }, (_, i) => ({
      url: "http://pin.impact.test/",
      ip: `198.51.100.${i + 1}`,
    }));
    const result = await impact({
      config: {
        pools: [{ id: "im-p", origins: origins.filter((o) => o.name !== "x") }],
        loadBalancers: [lb],
      },
      requests: sample,
    });
    const onX = result.items.filter((item) => item.now.origin === "x");
    expect(onX.length).toBeGreaterThan(0);
    expect(result.items.every((item) => item.now.affinity === "pinned")).toBe(true);
    const broken = result.items.filter((item) => item.changed.origin);
    expect(broken.length).toBeGreaterThanOrEqual(onX.length);
    expect(result.summary.affinityPinsBroken).toBe(broken.length);
    expect(result.items.every((item) => item.candidate.origin !== "x")).toBe(true);
  });

  it("refuses a bad body with every problem named, as a 400", async () => {
    const cases: [unknown, string[]][] = [
      [{}, ["requests"]],
      [
        { requests: [{ url: "nope" }, { url: "http://x.test/", ip: "1.2.3" }] },
        ["requests[0].url", "requests[1].ip"],
      ],
      [{ requests: [{ url: "http://x.test/", extra: 1 }] }, ["requests[0].extra"]],
      [{ requests: [{ url: "http://x.test/" }], config: { pools: [{ id: "Bad" }] } }, ["config.pools[0].id"]],
      [{ requests: Array.from({ length: 1001 }, () => ({ url: "http://x.test/" })) }, ["requests"]],
    ];
    for (const [body, paths] of cases) {
      const response = await call("POST", `${API}/explain`, { body, token: READ_TOKEN });
      expect(response.status).toBe(400);
      const problem = await json<{ errors: { path: string }[] }>(response);
      for (const path of paths) expect(problem.errors.map((error) => error.path)).toContain(path);
    }
  });
});
