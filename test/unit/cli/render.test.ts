import { describe, expect, it } from "vitest";
import { type Explanation, explainQuery, renderExplanation } from "../../../scripts/cli/explain.ts";
import { describeDrain } from "../../../scripts/cli/origin.ts";
import { renderStatus, type StatusReport, statusItems } from "../../../scripts/cli/status.ts";

const NOW = Date.parse("2026-01-01T12:00:00Z");

describe("renderStatus", () => {
  const report: StatusReport = {
    loadBalancers: [
      {
        id: "www",
        hostname: "www.example.com",
        pathPrefix: "/",
        enabled: true,
        pool: "spare",
        via: "fallback",
        reason: "serving from spare (fallback pool; its health is ignored)",
      },
      {
        id: "api",
        hostname: "example.com",
        pathPrefix: "/api",
        enabled: true,
        pool: null,
        via: "none",
        reason: "no pool can serve",
      },
      {
        id: "old",
        hostname: "old.example.com",
        pathPrefix: "/",
        enabled: false,
        pool: null,
        reason: "load balancer is disabled",
      },
    ],
    pools: [
      {
        pool: {
          id: "web",
          algorithm: "round_robin",
          origins: [
            { name: "a", weight: 3 },
            { name: "b", weight: 0 },
          ],
        },
        health: {
          pool: "web",
          healthy: true,
          healthyOrigins: 1,
          origins: [
            {
              name: "a",
              state: "healthy",
              latencyMs: 12.4,
              inflight: 2,
              lastCheckAt: "2026-01-01T11:59:57Z",
              lastError: null,
            },
            {
              name: "b",
              state: "draining",
              latencyMs: null,
              inflight: 1,
              lastCheckAt: null,
              lastError: "timeout after 5000 ms",
            },
          ],
        },
      },
      { pool: { id: "spare", origins: [{ name: "s" }] }, health: { unavailable: "not available (404)" } },
    ],
  };

  it("prints a load balancer table and one origin table per pool", () => {
    expect(renderStatus(report, NOW, false)).toBe(
      [
        "LOAD BALANCERS",
        "  ID   HOST             SERVING           WHY",
        "  www  www.example.com  spare (fallback)  serving from spare (fallback pool; its health is ignored)",
        "  api  example.com/api  none              no pool can serve",
        "  old  old.example.com  disabled          load balancer is disabled",
        "",
        "POOLS",
        "  web: healthy (1/2 origins healthy), round_robin",
        "    ORIGIN  STATE     WEIGHT  LATENCY  IN-FLIGHT  CHECKED  LAST ERROR",
        "    a       healthy        3    12 ms          2  3s ago   -",
        "    b       draining       0        -          1  -        timeout after 5000 ms",
        "",
        "  spare: health not available (404)",
      ].join("\n"),
    );
  });

  it("shows a split load balancer's pools with their shares", () => {
    const text = renderStatus(
      {
        loadBalancers: [
          {
            id: "split",
            hostname: "split.example.com",
            enabled: true,
            pool: "stable",
            via: "steering",
            reason: "serving from stable",
            split: [
              { pool: "stable", percent: 95 },
              { pool: "canary", percent: 5 },
            ],
          },
        ],
        pools: [],
      },
      NOW,
      false,
    );
    expect(text.split("\n")[2]).toBe(
      "  split  split.example.com  stable 95%, canary 5%  serving from stable",
    );
  });

  it("adds a REGIONS column when the checks run from several regions", () => {
    const view = (healthy: boolean) => ({ healthy, lastCheckAt: null, latencyMs: null, lastError: null });
    const text = renderStatus(
      {
        loadBalancers: [],
        pools: [
          {
            pool: {
              id: "geo",
              origins: [
                { name: "a", weight: 1 },
                { name: "b", weight: 1 },
              ],
            },
            health: {
              pool: "geo",
              healthy: true,
              healthyOrigins: 1,
              origins: [
                {
                  name: "a",
                  state: "healthy",
                  regions: { wnam: view(true), weur: view(false), apac: view(true) },
                },
                {
                  name: "b",
                  state: "unhealthy",
                  regions: { wnam: view(true), weur: view(false), apac: view(false) },
                },
              ],
            },
          },
        ],
      },
      NOW,
      false,
    );
    const lines = text.split("\n");
    expect(lines.find((line) => line.includes("ORIGIN"))).toContain("REGIONS");
    expect(lines.find((line) => line.trim().startsWith("a "))).toContain("2/3 ok (weur down)");
    expect(lines.find((line) => line.trim().startsWith("b "))).toContain("1/3 ok (weur, apac down)");
  });

  it("says when the server offers no status, and reads the status list in its known shapes", () => {
    const text = renderStatus(
      { loadBalancers: { unavailable: "not available (404)" }, pools: [] },
      NOW,
      false,
    );
    expect(text).toBe("LOAD BALANCERS\n  not available (404)\n\nPOOLS\n  none");
    expect(statusItems({ items: [{ id: "a" }], pools: [] })).toEqual([{ id: "a" }]);
    expect(statusItems([{ id: "b" }])).toEqual([{ id: "b" }]);
    expect(statusItems(null)).toEqual([]);
  });
});

describe("renderExplanation", () => {
  it("shows each decision with its reason", () => {
    const body: Explanation = {
      request: { url: "https://www.example.com/cart", ip: "203.0.113.7", country: "DE", continent: null },
      outcome: "proxied",
      configVersion: 7,
      loadBalancer: {
        id: "www",
        hostname: "www.example.com",
        pathPrefix: "/",
        steering: "failover",
        reason: 'hostname "www.example.com" matches exactly',
      },
      pools: [
        {
          id: "web",
          verdict: "chosen",
          reason: "first pool in order that can serve",
          healthyOrigins: 2,
          origins: 2,
        },
      ],
      pool: {
        id: "web",
        algorithm: "random",
        reason: "first pool in order that can serve",
        steering: "failover: pools in configured order",
      },
      affinity: { type: "none", reason: "the load balancer has no session affinity" },
      origins: [
        { name: "a", state: "healthy", verdict: "usable", weight: 3, inflight: 0, latencyMs: 11 },
        { name: "b", state: "unhealthy", verdict: "unhealthy", weight: 1, inflight: null, latencyMs: null },
      ],
      origin: {
        name: "a",
        address: "https://a.example.com",
        reason: "weighted random draw",
        shares: [
          { id: "a", share: 0.75 },
          { id: "b", share: 0.25 },
        ],
      },
    };
    expect(renderExplanation(body, false)).toBe(
      [
        "Request:       https://www.example.com/cart from 203.0.113.7 DE",
        "Load balancer: www  www.example.com/ (steering failover)",
        '               hostname "www.example.com" matches exactly',
        "Pool:          web  (random)",
        "               first pool in order that can serve",
        "               failover: pools in configured order",
        "               POOL  VERDICT  HEALTH       WHY",
        "               web   chosen   2/2 healthy  first pool in order that can serve",
        "Origin:        a  https://a.example.com",
        "               weighted random draw",
        "               shares: a 75%, b 25%",
        "               ORIGIN  STATE      VERDICT    WEIGHT  IN-FLIGHT  LATENCY  NOTE",
        "               a       healthy    usable          3          0    11 ms  -",
        "               b       unhealthy  unhealthy       1          -        -  -",
        "Config:        version 7",
      ].join("\n"),
    );
  });

  it("says why nothing matched and what the client would get", () => {
    const text = renderExplanation(
      {
        request: { url: "http://nope.test/" },
        outcome: "no_load_balancer",
        loadBalancer: null,
        reason: 'no enabled load balancer has the hostname "nope.test"',
        wouldRespond: {
          status: 404,
          problem: { detail: 'No load balancer serves host "nope.test" and path "/".' },
        },
      },
      false,
    );
    expect(text).toBe(
      [
        "Request:       http://nope.test/",
        "Load balancer: none",
        '               no enabled load balancer has the hostname "nope.test"',
        'Answer:        404 No load balancer serves host "nope.test" and path "/".',
      ].join("\n"),
    );
  });

  it("describes the request as the API's query", () => {
    expect(
      explainQuery({
        url: "https://www.example.com/",
        ip: "203.0.113.7",
        country: "DE",
        continent: undefined,
        headers: [["x-user", "42"]],
      }),
    ).toEqual([
      ["url", "https://www.example.com/"],
      ["ip", "203.0.113.7"],
      ["country", "DE"],
      ["header.x-user", "42"],
    ]);
  });
});

describe("describeDrain", () => {
  it("says what drain and undrain did, and when nothing changed", () => {
    expect(describeDrain("drain", "web/a", { changed: true, inflight: 3, restoreWeight: 2 })).toBe(
      "Drained web/a: it gets no new requests; 3 requests in flight will finish; it shows as draining until then. Undrain restores weight 2.",
    );
    expect(describeDrain("drain", "web/a", { changed: false })).toBe(
      "web/a was already drained (weight 0); nothing changed.",
    );
    expect(describeDrain("undrain", "web/a", { changed: true, weight: 2 })).toBe(
      "Undrained web/a: weight 2, it takes new requests again.",
    );
    expect(describeDrain("undrain", "web/a", { changed: false, weight: 5 })).toBe(
      "web/a is not drained (weight 5); nothing changed.",
    );
  });
});
