/**
 * The proxy when origins fail (API.md, "The proxy", and the pool and load balancer fields it
 * reads): retries, error responses, the ejection and capacity caps, pools skipped while unhealthy;
 * with the loopback origin of global-setup.ts. (What travels on the wire, bodyless responses
 * included, is checked against real sockets in test/e2e/wire.test.ts.) Two origins of one server are told apart by
 * their base path: `${ORIGIN}` answers `/status/503` with 503 while `${ORIGIN}/ok` gets
 * `/ok/status/503` and answers 200.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../durable-objects/pool-state/index.ts";
import type { PoolInput } from "../../../worker/config/schema.ts";
import { configurePoolState, eventually, installPools } from "../edge/support.ts";
import { installConfig, ORIGIN, problemOf, REFUSING, send } from "./support.ts";

/** Answers `/status/<code>` with that status. */
const FAILING = ORIGIN;
/** Answers every path with 200 `ok` (its base path hides `/status/...` from the server). */
const HEALTHY = `${ORIGIN}/ok`;

describe("retries keep idempotent requests free of errors while another origin can serve", () => {
  function badThenGood(id: string): string {
    installConfig(
      [
        {
          id,
          algorithm: "first",
          passiveHealth: { enabled: false },
          origins: [
            { name: "bad", address: FAILING },
            { name: "good", address: HEALTHY },
          ],
        },
      ],
      [{ id, hostname: `${id}.test`, pools: [id], debugHeaders: true }],
    );
    return `http://${id}.test/status/503`;
  }

  it("retries every GET that meets a 503, however many there are", async () => {
    const url = badThenGood("cp-many-503");
    const seen: string[] = [];
    for (let i = 0; i < 25; i++) {
      const response = await send(url);
      await response.arrayBuffer();
      seen.push(`${response.status} ${response.headers.get("x-lb-origin")}`);
    }
    expect(seen).toEqual(Array.from({ length: 25 }, () => "200 good"));
  }, 30_000);

  it("retries every GET of a burst that meets a 503 at once", async () => {
    const url = badThenGood("cp-burst-503");
    const responses = await Promise.all(Array.from({ length: 30 }, () => send(url)));
    const seen = responses.map((response) => `${response.status} ${response.headers.get("x-lb-origin")}`);
    await Promise.all(responses.map((response) => response.arrayBuffer()));
    expect(seen).toEqual(Array.from({ length: 30 }, () => "200 good"));
  });
});

describe("error responses", () => {
  it("are problem JSON carrying the client's X-Request-Id", async () => {
    installConfig(
      [
        { id: "cp-err-refused", origins: [{ name: "a", address: REFUSING }] },
        { id: "cp-err-slow", origins: [{ name: "a", address: ORIGIN }] },
        { id: "cp-err-off", enabled: false, origins: [{ name: "a", address: ORIGIN }] },
      ],
      [
        { id: "cp-err-502", hostname: "e502.test", pools: ["cp-err-refused"] },
        { id: "cp-err-504", hostname: "e504.test", pools: ["cp-err-slow"], timeouts: { requestMs: 100 } },
        { id: "cp-err-503", hostname: "e503.test", pools: ["cp-err-off"] },
      ],
    );
    const cases: [string, number][] = [
      ["http://nobody.test/", 404],
      ["http://e502.test/", 502],
      ["http://e503.test/", 503],
      ["http://e504.test/slow", 504],
    ];
    for (const [url, status] of cases) {
      const response = await send(url, { headers: { "x-request-id": `id-${status}` } });
      expect(response.status, url).toBe(status);
      expect(response.headers.get("x-request-id"), url).toBe(`id-${status}`);
      expect((await problemOf(response)).status).toBe(status);
    }
    const loop = await send("http://e502.test/", {
      headers: { "x-request-id": "id-508", "x-edge-lb-hops": "5" },
    });
    expect(loop.status).toBe(508);
    expect(loop.headers.get("x-request-id")).toBe("id-508");
    expect((await problemOf(loop)).status).toBe(508);
  });

  it("504 after the retries when every origin times out", async () => {
    installConfig(
      [
        {
          id: "cp-all-slow",
          origins: [
            { name: "a", address: ORIGIN },
            { name: "b", address: ORIGIN },
          ],
        },
      ],
      [
        {
          id: "cp-all-slow",
          hostname: "all-slow.test",
          pools: ["cp-all-slow"],
          timeouts: { requestMs: 100 },
        },
      ],
    );
    const response = await send("http://all-slow.test/slow");
    expect(response.status).toBe(504);
    expect((await problemOf(response)).detail).toContain("2 attempts");
  });
});

describe("passive health at the edge", () => {
  it("never ejects more than maxEjectionPercent of a pool, however many origins fail", async () => {
    installConfig(
      [
        {
          id: "cp-cap-eject",
          passiveHealth: { consecutiveFailures: 2, maxEjectionPercent: 50 },
          origins: [
            { name: "a", address: REFUSING },
            { name: "b", address: REFUSING },
          ],
        },
      ],
      [{ id: "cp-cap-eject", hostname: "cap-eject.test", pools: ["cp-cap-eject"], retries: { attempts: 0 } }],
    );
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const response = await send("http://cap-eject.test/");
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    // One of the two may be ejected; the other stays in rotation, so no request finds none left.
    expect(statuses).toEqual(Array.from({ length: 10 }, () => 502));
  });
});

describe("balancing", () => {
  it("never sends an origin more requests at once than its maxConnections", async () => {
    installConfig(
      [
        {
          id: "cp-cap",
          algorithm: "first",
          origins: [
            { name: "capped", address: ORIGIN, maxConnections: 1 },
            { name: "spare", address: HEALTHY },
          ],
        },
      ],
      [
        {
          id: "cp-cap",
          hostname: "cap.test",
          pools: ["cp-cap"],
          debugHeaders: true,
          timeouts: { requestMs: 500 },
        },
      ],
    );
    // The first request holds the capped origin (its `/slow` stalls until the timeout moves it on).
    const held = send("http://cap.test/slow");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await send("http://cap.test/status/200");
    expect(second.headers.get("x-lb-origin")).toBe("spare");
    await second.arrayBuffer();
    await (await held).arrayBuffer();
    const after = await send("http://cap.test/status/200");
    expect(after.headers.get("x-lb-origin")).toBe("capped");
    await after.arrayBuffer();
  });

  it.each([
    ["path", (key: string) => ({ url: `http://hash.test/${key}` })],
    ["header:x-user", (key: string) => ({ url: "http://hash.test/", headers: { "x-user": key } })],
    ["cookie:sid", (key: string) => ({ url: "http://hash.test/", headers: { cookie: `a=1; sid=${key}` } })],
    ["query:user", (key: string) => ({ url: `http://hash.test/?x=1&user=${key}` })],
    [
      "ip",
      (key: string) => ({
        url: "http://hash.test/",
        headers: { "cf-connecting-ip": `198.51.100.${key.length}${key.charCodeAt(0) % 10}` },
      }),
    ],
  ] as const)("hash on %s sends one key to one origin and spreads keys", async (hashOn, request) => {
    installConfig(
      [
        {
          id: "cp-hash",
          algorithm: "hash",
          hashOn,
          origins: ["a", "b", "c", "d"].map((name) => ({ name, address: ORIGIN })),
        },
      ],
      [{ id: "cp-hash", hostname: "hash.test", pools: ["cp-hash"], debugHeaders: true }],
    );
    const homes = new Set<string>();
    for (const key of ["k1", "k22", "k333", "u4", "u55", "u666", "x7", "x88"]) {
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const { url, headers } = { headers: {}, ...request(key) };
        const response = await send(url, { headers });
        await response.arrayBuffer();
        seen.add(response.headers.get("x-lb-origin")!);
      }
      expect([...seen], key).toHaveLength(1);
      homes.add([...seen][0]!);
    }
    expect(homes.size).toBeGreaterThan(1);
  });
});

describe("geo steering and pool health", () => {
  const configured: DurableObjectStub<PoolState>[] = [];
  afterEach(async () => {
    for (const stub of configured.splice(0)) await stub.configure(null);
  });

  /** A pool only `countryPools` names, whose active check answers `checkStatus`. */
  function geoPools(checkStatus: number): PoolInput[] {
    return [
      {
        id: "cp-geo-de",
        origins: [{ name: "de-1", address: `${ORIGIN}/status` }],
        healthCheck: {
          path: `/${checkStatus}`,
          intervalSeconds: 60,
          healthyThreshold: 1,
          unhealthyThreshold: 1,
        },
      },
      { id: "cp-geo-any", origins: [{ name: "any-1", address: HEALTHY }] },
    ];
  }
  const geoBalancer = {
    id: "cp-geo",
    hostname: "geo-health.test",
    steering: "geo" as const,
    pools: ["cp-geo-any"],
    countryPools: { DE: ["cp-geo-de"] },
    debugHeaders: true,
  };
  async function poolFor(country: string): Promise<string | null> {
    const response = await send("http://geo-health.test/200", { cf: { country, continent: "EU" } });
    await response.arrayBuffer();
    return response.headers.get("x-lb-pool");
  }

  it("skips a pool only countryPools names while it is unhealthy, and returns to it after", async () => {
    const [down] = installPools(geoPools(503), [geoBalancer]);
    const stub = await configurePoolState(down!);
    configured.push(stub);
    await runDurableObjectAlarm(stub);
    expect(await poolFor("DE")).toBe("cp-geo-any");

    const [up] = installPools(geoPools(200), [geoBalancer]);
    await configurePoolState(up!);
    await runDurableObjectAlarm(stub);
    await eventually(async () => (await poolFor("DE")) === "cp-geo-de", "return to the country's pool");
  });
});
