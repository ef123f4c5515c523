/**
 * Requests a `respond` or `redirect` rule answers itself reach the access log and Analytics Engine
 * like proxied ones: the status the client got, its request id, no pool or origin, no attempts, and
 * the rule that answered. Requests a `pools` rule routed name that rule next to the pool and origin
 * that served them; requests no rule matched name none.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { installConfig, ORIGIN, send } from "./support.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

const LB = "rule-observed";
const HOST = "rule-observed.test";

function installRules(pool: string): void {
  installConfig(
    [{ id: pool, origins: [{ name: "up", address: ORIGIN }] }],
    [
      {
        id: LB,
        hostname: HOST,
        pools: [pool],
        rules: [
          {
            name: "maintenance",
            when: { path: { regex: "^/maintenance" } },
            then: { respond: { status: 503, body: "back soon" } },
          },
          {
            name: "moved",
            when: { path: { regex: "^/old$" } },
            then: { redirect: { location: "/new", status: 301 } },
          },
        ],
      },
    ],
  );
}

/**
 * Bindings that log every request and record every Analytics Engine point, and the console's lines
 * from now on.
 */
function recordEverything() {
  const points: AnalyticsEngineDataPoint[] = [];
  const bindings = {
    ...env,
    REQUEST_LOG_SAMPLE_RATE: "1",
    ANALYTICS: { writeDataPoint: (point?: AnalyticsEngineDataPoint) => void points.push(point ?? {}) },
  };
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  });
  return { points, lines, bindings };
}

describe("rule answers in the access log and Analytics Engine", () => {
  it("writes one data point and one log line per rule answer, naming the rule, with the client's request id", async () => {
    const pool = `rule-observed-${Date.now().toString(36)}`;
    installRules(pool);
    const { points, lines, bindings } = recordEverything();

    const client = { "cf-connecting-ip": "203.0.113.9" };
    const maintenance = await send(`http://${HOST}/maintenance`, { headers: client }, bindings);
    const moved = await send(`http://${HOST}/old`, { method: "HEAD", headers: client }, bindings);
    const proxied = await send(`http://${HOST}/`, { headers: client }, bindings);
    vi.restoreAllMocks();
    expect([maintenance.status, moved.status, proxied.status]).toEqual([503, 301, 200]);

    const logged = lines
      .filter((line) => line.startsWith('{"event":"request"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatchObject({
      requestId: maintenance.headers.get("x-request-id"),
      loadBalancer: LB,
      pool: null,
      origin: null,
      method: "GET",
      status: 503,
      attempts: 0,
      clientIp: "203.0.113.9",
      rule: "maintenance",
    });
    expect(typeof logged[0]?.ms).toBe("number");
    expect(logged[1]).toMatchObject({
      requestId: moved.headers.get("x-request-id"),
      pool: null,
      origin: null,
      method: "HEAD",
      status: 301,
      attempts: 0,
      rule: "moved",
    });
    expect(logged[2]).toMatchObject({
      requestId: proxied.headers.get("x-request-id"),
      pool,
      origin: "up",
      status: 200,
      attempts: 1,
      rule: null,
    });
    // Distinct ids, each the one its client received.
    expect(new Set(logged.map((line) => line.requestId)).size).toBe(3);

    expect(points).toHaveLength(3);
    // Blobs keep their places (load balancer, pool, origin, status class, country); the rule is the sixth.
    expect(points[0]).toMatchObject({ indexes: [LB], blobs: [LB, "", "", "5xx", "", "maintenance"] });
    expect(points[0]?.doubles?.[0]).toBe(503);
    expect(points[0]?.doubles?.[2]).toBe(0);
    expect(points[1]).toMatchObject({ indexes: [LB], blobs: [LB, "", "", "3xx", "", "moved"] });
    expect(points[1]?.doubles?.[0]).toBe(301);
    expect(points[2]).toMatchObject({ indexes: [LB], blobs: [LB, pool, "up", "2xx", "", ""] });
  });

  it("names the `pools` rule that routed a request to its pool's origin, and no rule for the others", async () => {
    const pool = `rule-main-${Date.now().toString(36)}`;
    const beta = `rule-beta-${Date.now().toString(36)}`;
    installConfig(
      [
        { id: pool, origins: [{ name: "main-1", address: ORIGIN }] },
        { id: beta, origins: [{ name: "beta-1", address: ORIGIN }] },
      ],
      [
        {
          id: LB,
          hostname: HOST,
          pools: [pool],
          rules: [{ name: "beta-testers", when: { "header.x-beta": "1" }, then: { pools: [beta] } }],
        },
      ],
    );
    const { points, lines, bindings } = recordEverything();

    const routed = await send(`http://${HOST}/`, { headers: { "x-beta": "1" } }, bindings);
    const plain = await send(`http://${HOST}/`, {}, bindings);
    vi.restoreAllMocks();
    expect([routed.status, plain.status]).toEqual([200, 200]);
    expect(await routed.text()).toBe("ok");

    const logged = lines
      .filter((line) => line.startsWith('{"event":"request"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({
      requestId: routed.headers.get("x-request-id"),
      loadBalancer: LB,
      pool: beta,
      origin: "beta-1",
      status: 200,
      attempts: 1,
      rule: "beta-testers",
    });
    expect(logged[1]).toMatchObject({
      requestId: plain.headers.get("x-request-id"),
      pool,
      origin: "main-1",
      status: 200,
      rule: null,
    });

    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({
      indexes: [LB],
      blobs: [LB, beta, "beta-1", "2xx", "", "beta-testers"],
    });
    expect(points[1]).toMatchObject({ indexes: [LB], blobs: [LB, pool, "main-1", "2xx", "", ""] });
  });

  it("builds nothing for a rule answer when neither the dataset nor sampling asks for it", async () => {
    const pool = `rule-quiet-${Date.now().toString(36)}`;
    installRules(pool);
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(" "));
    });
    const { ANALYTICS: _none, ...withoutDataset } = env;
    const response = await send(
      `http://${HOST}/maintenance`,
      {},
      { ...withoutDataset, REQUEST_LOG_SAMPLE_RATE: "0" },
    );
    vi.restoreAllMocks();
    expect(response.status).toBe(503);
    expect(await response.text()).toBe("back soon");
    expect(lines.filter((line) => line.startsWith('{"event":"request"'))).toEqual([]);
  });
});
