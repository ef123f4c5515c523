/**
 * `GET /explain` agrees with where real requests go: each test asks explain, then sends the real
 * request through the Worker and compares the pool and origin that served (debug headers).
 */
import { describe, expect, it } from "vitest";
import type { PoolInput } from "../../../../worker/config/schema.ts";
import { installConfig, ORIGIN, problemOf, send } from "../../proxy/support.ts";
import { API, call, json, READ_TOKEN } from "../support.ts";
import { explain } from "./support.ts";

/** A pool of origins on the same loopback server, told apart by `x-lb-origin`. */
function poolOf(id: string, names: readonly string[], extra: Partial<PoolInput> = {}): PoolInput {
  return { id, origins: names.map((name) => ({ name, address: ORIGIN })), ...extra };
}

async function served(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ pool: string; origin: string }> {
  const response = await send(url, { headers });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return { pool: response.headers.get("x-lb-pool")!, origin: response.headers.get("x-lb-origin")! };
}

describe("explain agrees with real requests", () => {
  it("traces failover past a disabled primary pool to the secondary, with the reason", async () => {
    installConfig(
      [poolOf("fo-primary", ["p1"], { enabled: false }), poolOf("fo-secondary", ["s1", "s2"])],
      [{ id: "fo", hostname: "fo.explain.test", pools: ["fo-primary", "fo-secondary"], debugHeaders: true }],
    );
    const explained = await explain("http://fo.explain.test/");
    expect(explained.outcome).toBe("proxied");
    expect(explained.loadBalancer).toMatchObject({ id: "fo", hostname: "fo.explain.test", pathPrefix: "/" });
    expect(explained.pools).toMatchObject([
      { id: "fo-primary", verdict: "skipped", reason: "pool is disabled", healthy: false },
      { id: "fo-secondary", verdict: "chosen", healthy: true, healthyOrigins: 2 },
    ]);
    expect(explained.pool).toMatchObject({ id: "fo-secondary", via: "steering", decided: "fixed" });
    const real = await served("http://fo.explain.test/");
    expect(real.pool).toBe("fo-secondary");
    expect(real.origin).toBe(explained.origin?.name);
  });

  it("names the origin a hash on a header sends each key to", async () => {
    installConfig(
      [poolOf("hx", ["a", "b", "c", "d"], { algorithm: "hash", hashOn: "header:x-user" })],
      [{ id: "hx", hostname: "hash.explain.test", pools: ["hx"], debugHeaders: true }],
    );
    const seen = new Set<string>();
    for (let i = 0; i < 16; i++) {
      const headers = { "x-user": `user-${i}` };
      const explained = await explain("http://hash.explain.test/cart", { headers });
      expect(explained.origin?.decided).toBe("fixed");
      expect(explained.origin?.reason).toContain(`"user-${i}"`);
      expect((await served("http://hash.explain.test/cart", headers)).origin).toBe(explained.origin?.name);
      seen.add(explained.origin!.name);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it("names the origin round robin sends the next request to, without advancing it", async () => {
    installConfig(
      [
        {
          id: "rrx",
          origins: [
            { name: "a", address: ORIGIN, weight: 3 },
            { name: "b", address: ORIGIN, weight: 1 },
            { name: "c", address: ORIGIN, weight: 1 },
          ],
        },
      ],
      [{ id: "rrx", hostname: "rr.explain.test", pools: ["rrx"], debugHeaders: true }],
    );
    const reached: string[] = [];
    for (let i = 0; i < 10; i++) {
      const first = await explain("http://rr.explain.test/");
      const second = await explain("http://rr.explain.test/");
      expect(second.origin?.name).toBe(first.origin?.name);
      expect(first.origin?.decided).toBe("fixed");
      const real = await served("http://rr.explain.test/");
      expect(real.origin).toBe(first.origin?.name);
      reached.push(real.origin);
    }
    expect(reached.filter((name) => name === "a")).toHaveLength(6);
  });

  it("gives a weighted random pool's shares and one draw among them", async () => {
    installConfig(
      [
        {
          id: "rnd",
          algorithm: "random",
          origins: [
            { name: "a", address: ORIGIN, weight: 3 },
            { name: "b", address: ORIGIN, weight: 1 },
            { name: "off", address: ORIGIN, enabled: false },
          ],
        },
      ],
      [{ id: "rnd", hostname: "rnd.explain.test", pools: ["rnd"] }],
    );
    const explained = await explain("http://rnd.explain.test/");
    expect(explained.origin?.decided).toBe("draw");
    expect(explained.origin?.shares).toEqual([
      { id: "a", share: 0.75 },
      { id: "b", share: 0.25 },
    ]);
    expect(["a", "b"]).toContain(explained.origin?.name);
    expect(explained.origins).toMatchObject([
      { name: "a", candidate: true, verdict: "usable", weight: 3, effectiveWeight: 3 },
      { name: "b", candidate: true, verdict: "usable" },
      { name: "off", candidate: false, verdict: "disabled", effectiveWeight: null },
    ]);
  });

  it("gives random steering's pool shares", async () => {
    installConfig(
      [poolOf("rs-a", ["a"]), poolOf("rs-b", ["b"])],
      [
        {
          id: "rs",
          hostname: "rs.explain.test",
          steering: "random",
          pools: ["rs-a", "rs-b"],
          poolWeights: { "rs-a": 1, "rs-b": 3 },
        },
      ],
    );
    const explained = await explain("http://rs.explain.test/");
    expect(explained.pool?.decided).toBe("draw");
    expect(explained.pool?.shares).toEqual([
      { id: "rs-b", share: 0.75 },
      { id: "rs-a", share: 0.25 },
    ]);
  });

  it("says the proxy answers 503 when no pool can serve, as it does", async () => {
    installConfig(
      [
        { id: "dead", origins: [{ name: "a", address: ORIGIN, enabled: false }] },
        poolOf("dead-off", ["b"], { enabled: false }),
      ],
      [{ id: "dead", hostname: "dead.explain.test", pools: ["dead", "dead-off"] }],
    );
    const explained = await explain("http://dead.explain.test/");
    expect(explained.outcome).toBe("no_origin");
    expect(explained.origin).toBeNull();
    expect(explained.pools.map((p) => [p.id, p.verdict])).toEqual([
      ["dead", "skipped"],
      ["dead-off", "skipped"],
    ]);
    expect(explained.pools[0]).toMatchObject({ healthy: false, healthyOrigins: 0 });
    expect(explained.pools[1]).toMatchObject({ reason: "pool is disabled", enabled: false });
    expect(explained.wouldRespond).toMatchObject({ status: 503, headers: { "retry-after": "5" } });
    const real = await send("http://dead.explain.test/");
    expect(real.status).toBe(503);
    expect((await problemOf(real)).type).toBe(explained.wouldRespond?.problem.type);
  });

  it("follows a session-affinity cookie to the pinned origin", async () => {
    installConfig(
      [poolOf("ck", ["a", "b", "c"])],
      [
        {
          id: "ck",
          hostname: "ck.explain.test",
          pools: ["ck"],
          sessionAffinity: { type: "cookie", ttlSeconds: 3600 },
          debugHeaders: true,
        },
      ],
    );
    const fresh = await explain("http://ck.explain.test/");
    expect(fresh.affinity).toMatchObject({
      type: "cookie",
      cookie: "absent",
      outcome: "new",
      setsCookie: true,
    });
    const first = await send("http://ck.explain.test/");
    await first.arrayBuffer();
    expect(first.headers.get("x-lb-origin")).toBe(fresh.origin?.name);
    const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
    // Move round robin on so that the pin, not the rotation, is what keeps the client in place.
    await served("http://ck.explain.test/");
    const pinned = await explain("http://ck.explain.test/", { headers: { cookie } });
    expect(pinned.affinity).toMatchObject({ type: "cookie", cookie: "valid", outcome: "pinned" });
    expect(pinned.origin?.name).toBe(first.headers.get("x-lb-origin"));
    expect((await served("http://ck.explain.test/", { cookie })).origin).toBe(pinned.origin?.name);
    const forged = await explain("http://ck.explain.test/", { headers: { cookie: `${cookie}x` } });
    expect(forged.affinity).toMatchObject({ cookie: "invalid", outcome: "new" });
  });

  it("follows geo steering for the country and continent described", async () => {
    installConfig(
      [poolOf("geo-any", ["any-1"]), poolOf("geo-de", ["de-1"]), poolOf("geo-eu", ["eu-1"])],
      [
        {
          id: "geo-x",
          hostname: "geo.explain.test",
          steering: "geo",
          pools: ["geo-any"],
          countryPools: { DE: ["geo-de"] },
          regionPools: { EU: ["geo-eu"] },
          debugHeaders: true,
        },
      ],
    );
    for (const [country, continent] of [
      ["DE", "EU"],
      ["FR", "EU"],
      ["JP", "AS"],
    ] as const) {
      const explained = await explain("http://geo.explain.test/", { country, continent });
      expect(explained.pool?.decided).toBe("fixed");
      const response = await send("http://geo.explain.test/", { cf: { country, continent } });
      await response.arrayBuffer();
      expect(response.headers.get("x-lb-pool")).toBe(explained.pool?.id);
    }
    expect((await explain("http://geo.explain.test/", { country: "de" })).pool?.id).toBe("geo-de");
  });

  it("takes a described country's continent, as the edge gets both", async () => {
    installConfig(
      [poolOf("cont-any", ["any-1"]), poolOf("cont-as", ["as-1"])],
      [
        {
          id: "cont",
          hostname: "cont.explain.test",
          steering: "geo",
          pools: ["cont-any"],
          regionPools: { AS: ["cont-as"] },
          rules: [{ name: "south", when: { continent: ["SA"] }, then: { respond: { status: 451 } } }],
          debugHeaders: true,
        },
      ],
    );
    const url = "http://cont.explain.test/";
    const fromJapan = await explain(url, { country: "JP" });
    expect(fromJapan.pool?.id).toBe("cont-as");
    const real = await send(url, { cf: { country: "JP", continent: "AS" } });
    expect(real.headers.get("x-lb-pool")).toBe("cont-as");
    expect((await explain(url, { country: "BR" })).wouldRespond?.status).toBe(451);
    expect((await send(url, { cf: { country: "BR", continent: "SA" } })).status).toBe(451);
    // A described continent wins over the country's.
    expect((await explain(url, { country: "JP", continent: "EU" })).pool?.id).toBe("cont-any");
    const batch = await call("POST", `${API}/explain`, {
      body: {
        requests: [
          { url, country: "JP" },
          { url, country: "BR" },
        ],
      },
      token: READ_TOKEN,
    });
    const { items } = await json<{ items: { now: { pool: string | null; status: number | null } }[] }>(batch);
    expect(items.map((item) => item.now)).toMatchObject([
      { pool: "cont-as", status: null },
      { pool: null, status: 451 },
    ]);
  });

  it("names the home origin of header affinity, as real requests find it", async () => {
    installConfig(
      [poolOf("hdr", ["a", "b", "c", "d"])],
      [
        {
          id: "hdr",
          hostname: "hdr.explain.test",
          pools: ["hdr"],
          sessionAffinity: { type: "header", headerName: "x-session" },
          debugHeaders: true,
        },
      ],
    );
    for (let i = 0; i < 8; i++) {
      const headers = { "x-session": `s-${i}` };
      const explained = await explain("http://hdr.explain.test/", { headers });
      expect(explained.affinity).toMatchObject({
        type: "header",
        key: { on: "header:x-session", from: "source", value: `s-${i}` },
        outcome: "pinned",
      });
      expect(explained.affinity?.home).toBe(explained.origin?.name);
      expect((await served("http://hdr.explain.test/", headers)).origin).toBe(explained.origin?.name);
    }
  });
});
