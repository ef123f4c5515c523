import { describe, expect, it } from "vitest";
import {
  buildSnapshot,
  describePoolHealth,
  isOriginHealthy,
  isPoolHealthy,
  originState,
  toPoolHealth,
} from "../../../worker/health/pool-health.ts";
import { makePool, recordsFor } from "./fixtures.ts";

const T0 = 1_700_000_000_000;
const on = { enabled: true, weight: 1 };
const fresh = { check: "unknown" as const, ejectedUntil: null };

describe("origin health", () => {
  it("counts an origin without a verdict as healthy", () => {
    expect(isOriginHealthy(on, fresh, T0)).toBe(true);
    expect(isOriginHealthy(on, undefined, T0)).toBe(true);
  });

  it("excludes disabled, failed and ejected origins", () => {
    expect(isOriginHealthy({ enabled: false }, fresh, T0)).toBe(false);
    expect(isOriginHealthy(on, { check: "unhealthy", ejectedUntil: null }, T0)).toBe(false);
    expect(isOriginHealthy(on, { check: "healthy", ejectedUntil: T0 + 1 }, T0)).toBe(false);
  });

  it("takes an origin back once its ejection has run out", () => {
    expect(isOriginHealthy(on, { check: "healthy", ejectedUntil: T0 }, T0)).toBe(true);
  });
});

describe("reported state", () => {
  const ejected = { check: "healthy" as const, ejectedUntil: T0 + 1000 };

  it("reports each state", () => {
    expect(originState({ enabled: false, weight: 1 }, fresh, true, 0, T0)).toBe("disabled");
    expect(originState(on, { check: "unhealthy", ejectedUntil: null }, true, 0, T0)).toBe("unhealthy");
    expect(originState(on, ejected, true, 0, T0)).toBe("ejected");
    expect(
      originState({ enabled: true, weight: 0 }, { check: "healthy", ejectedUntil: null }, true, 2, T0),
    ).toBe("draining");
    expect(originState(on, fresh, true, 0, T0)).toBe("unknown");
    expect(originState(on, { check: "healthy", ejectedUntil: null }, true, 0, T0)).toBe("healthy");
  });

  it("reports healthy, not unknown, when the pool has no active checks", () => {
    expect(originState(on, fresh, false, 0, T0)).toBe("healthy");
  });

  it("stops reporting draining once nothing is in flight", () => {
    expect(
      originState({ enabled: true, weight: 0 }, { check: "healthy", ejectedUntil: null }, true, 0, T0),
    ).toBe("healthy");
  });

  it("puts disabled before unhealthy before ejected before draining", () => {
    const bad = { check: "unhealthy" as const, ejectedUntil: T0 + 1000 };
    expect(originState({ enabled: false, weight: 0 }, bad, true, 5, T0)).toBe("disabled");
    expect(originState({ enabled: true, weight: 0 }, bad, true, 5, T0)).toBe("unhealthy");
    expect(originState({ enabled: true, weight: 0 }, ejected, true, 5, T0)).toBe("ejected");
  });
});

describe("pool health", () => {
  it("is healthy while at least minimumOrigins origins are healthy", () => {
    expect(isPoolHealthy({ enabled: true, minimumOrigins: 2 }, 2)).toBe(true);
    expect(isPoolHealthy({ enabled: true, minimumOrigins: 2 }, 1)).toBe(false);
    expect(isPoolHealthy({ enabled: true, minimumOrigins: 1 }, 0)).toBe(false);
  });

  it("is unhealthy when the pool is disabled, whatever its origins", () => {
    expect(isPoolHealthy({ enabled: false, minimumOrigins: 1 }, 5)).toBe(false);
  });

  it("explains itself", () => {
    const pool = makePool({ minimumOrigins: 2 });
    expect(describePoolHealth(pool, 1)).toBe("pool web is unhealthy: 1 of 2 origins healthy (minimum 2)");
    expect(describePoolHealth({ ...pool, enabled: false }, 2)).toBe("pool web is disabled");
  });
});

describe("snapshot and health body", () => {
  const pool = makePool({
    minimumOrigins: 2,
    healthCheck: { intervalSeconds: 10 },
    origins: [
      { name: "a", address: "http://127.0.0.1:9001" },
      { name: "b", address: "http://127.0.0.1:9002" },
      { name: "c", address: "http://127.0.0.1:9003", enabled: false },
    ],
  });

  it("counts healthy origins, sums in-flight requests and judges the pool", () => {
    const records = recordsFor(pool, T0);
    records.get("a")!.check = "healthy";
    records.get("b")!.check = "unhealthy";
    records.get("b")!.failures = 3;
    const snapshot = buildSnapshot(pool, records, new Map([["a", 4]]), T0);
    expect(snapshot).toMatchObject({ pool: "web", version: 1, healthy: false, healthyOrigins: 1, at: T0 });
    expect(snapshot.origins.a).toMatchObject({ state: "healthy", healthy: true, inflight: 4 });
    expect(snapshot.origins.b).toMatchObject({ state: "unhealthy", healthy: false, consecutiveFailures: 3 });
    expect(snapshot.origins.c).toMatchObject({ state: "disabled", healthy: false, inflight: 0 });
  });

  it("shows no ejection time once the ejection is over", () => {
    const records = recordsFor(pool, T0);
    records.get("a")!.ejectedUntil = T0;
    expect(buildSnapshot(pool, records, new Map(), T0).origins.a!.ejectedUntil).toBeNull();
  });

  it("renders the API body in pool order with ISO timestamps", () => {
    const records = recordsFor(pool, T0);
    Object.assign(records.get("a")!, { check: "healthy", lastCheckAt: T0, latencyMs: 12.4 });
    Object.assign(records.get("b")!, { check: "healthy", ejectedUntil: T0 + 30_000, lastError: "boom" });
    const body = toPoolHealth(buildSnapshot(pool, records, new Map(), T0), ["a", "b", "c"]);
    expect(body).toEqual({
      pool: "web",
      healthy: false,
      healthyOrigins: 1,
      origins: [
        {
          name: "a",
          state: "healthy",
          healthy: true,
          lastCheckAt: new Date(T0).toISOString(),
          lastError: null,
          latencyMs: 12,
          consecutiveFailures: 0,
          inflight: 0,
          ejectedUntil: null,
        },
        {
          name: "b",
          state: "ejected",
          healthy: false,
          lastCheckAt: null,
          lastError: "boom",
          latencyMs: null,
          consecutiveFailures: 0,
          inflight: 0,
          ejectedUntil: new Date(T0 + 30_000).toISOString(),
        },
        {
          name: "c",
          state: "disabled",
          healthy: false,
          lastCheckAt: null,
          lastError: null,
          latencyMs: null,
          consecutiveFailures: 0,
          inflight: 0,
          ejectedUntil: null,
        },
      ],
    });
  });
});
