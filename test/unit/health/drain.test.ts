import { describe, expect, it } from "vitest";
import { resolveCookieAffinity, resolveKeyAffinity } from "../../../worker/affinity/resolve.ts";
import { createHashBalancer } from "../../../worker/balancing/hash.ts";
import type { Candidate } from "../../../worker/balancing/types.ts";
import { SessionAffinitySchema } from "../../../worker/config/schema.ts";
import { drainSessionsUntil, mayServeDrainSession, preDrainWeights } from "../../../worker/health/drain.ts";
import { buildSnapshot, toPoolHealth } from "../../../worker/health/pool-health.ts";
import type { PoolSnapshot } from "../../../worker/health/types.ts";
import { makePool, recordsFor } from "./fixtures.ts";

const NOW = Date.UTC(2030, 0, 1);
const DRAINED_AT = NOW - 10_000;

/** Pool "web" with origin a drained (weight 0) and b serving, and the PoolState's snapshot of it. */
function drainedPool(stamp: { drainedAt?: number; version?: number } = { drainedAt: DRAINED_AT }) {
  const pool = makePool({
    origins: [
      { name: "a", address: "http://127.0.0.1:9001", weight: 0 },
      { name: "b", address: "http://127.0.0.1:9002" },
    ],
  });
  const snapshot: PoolSnapshot = buildSnapshot(pool, recordsFor(pool, NOW - 60_000), new Map(), NOW - 500);
  snapshot.version = stamp.version ?? pool.version;
  if (stamp.drainedAt !== undefined)
    (snapshot.origins.a as { drainedAt?: number }).drainedAt = stamp.drainedAt;
  return { pool, snapshot };
}

function mayServe(
  drainSeconds: number,
  stamp?: { drainedAt?: number; version?: number },
  now = NOW,
): boolean {
  const { pool, snapshot } = drainedPool(stamp);
  return mayServeDrainSession({ pool, pinned: "a", snapshot, seen: snapshot.origins.a, drainSeconds, now });
}

describe("drainSeconds in the schema", () => {
  it("defaults to 0 and refuses negatives, fractions and more than a day", () => {
    expect(SessionAffinitySchema.parse({}).drainSeconds).toBe(0);
    expect(SessionAffinitySchema.parse({ drainSeconds: 86_400 }).drainSeconds).toBe(86_400);
    for (const bad of [-1, 1.5, 86_401, "60"]) {
      expect(SessionAffinitySchema.safeParse({ drainSeconds: bad }).success).toBe(false);
    }
  });
});

describe("drain sessions", () => {
  it("last drainSeconds from the start of the drain, and not at all with 0", () => {
    expect(drainSessionsUntil(DRAINED_AT, 60, NOW)).toBe(DRAINED_AT + 60_000);
    expect(drainSessionsUntil(DRAINED_AT, 10, NOW)).toBeNull();
    expect(drainSessionsUntil(DRAINED_AT, 0, NOW)).toBeNull();
    expect(drainSessionsUntil(null, 60, NOW)).toBeNull();
  });

  it("keep a pinned request on the drained origin within the time, not after", () => {
    expect(mayServe(60)).toBe(true);
    expect(mayServe(60, { drainedAt: DRAINED_AT }, DRAINED_AT + 60_000)).toBe(false);
    expect(mayServe(0)).toBe(false);
  });

  it("never for an origin set to weight 0 without a drain, nor for a serving one", () => {
    expect(mayServe(60, {})).toBe(false);
    const { pool, snapshot } = drainedPool();
    expect(
      mayServeDrainSession({
        pool,
        pinned: "b",
        snapshot,
        seen: snapshot.origins.b,
        drainSeconds: 60,
        now: NOW,
      }),
    ).toBe(false);
  });

  it("count from the snapshot's time when the snapshot predates the drain's pool version", () => {
    expect(mayServe(60, { version: 0 })).toBe(true);
  });

  it("end when the drained origin fails its checks or is ejected", () => {
    const { pool, snapshot } = drainedPool();
    const seen = { ...snapshot.origins.a!, check: "unhealthy" as const };
    expect(mayServeDrainSession({ pool, pinned: "a", snapshot, seen, drainSeconds: 60, now: NOW })).toBe(
      false,
    );
    const ejected = { ...snapshot.origins.a!, ejectedUntil: NOW + 1000 };
    expect(
      mayServeDrainSession({ pool, pinned: "a", snapshot, seen: ejected, drainSeconds: 60, now: NOW }),
    ).toBe(false);
  });

  it("serve the pinned client without a new cookie, while new clients go elsewhere", () => {
    const b: Candidate = { name: "b", index: 1, weight: 1, inflight: 0, latencyMs: null };
    const a: Candidate = { name: "a", index: 0, weight: 1, inflight: 0, latencyMs: null };
    const base = {
      poolId: "web",
      poolOrigins: [{ name: "a" }, { name: "b" }],
      candidates: [b],
      onOriginFailure: "reselect" as const,
      choose: (c: readonly Candidate[]) => c[0],
      now: NOW,
      ttlSeconds: 3600,
      drainSession: a,
    };
    const pin = { loadBalancerId: "www", poolId: "web", origin: "a", expiresAt: NOW + 3_600_000 };
    expect(resolveCookieAffinity({ ...base, pin })).toMatchObject({
      origin: a,
      issueCookie: false,
      outcome: "draining",
    });
    expect(resolveCookieAffinity({ ...base, pin: null })).toMatchObject({ origin: b, outcome: "new" });
    expect(resolveCookieAffinity({ ...base, pin, drainSession: undefined })).toMatchObject({
      origin: b,
      issueCookie: true,
      outcome: "reselected",
    });
  });

  it("show drainingUntil and the draining state in the health API while sessions may reach it", () => {
    const { pool, snapshot } = drainedPool();
    const names = pool.origins.map((o) => o.name);
    const health = toPoolHealth(snapshot, names, { drainSeconds: 60, now: NOW });
    expect(health.origins[0]).toMatchObject({
      name: "a",
      state: "draining",
      drainingUntil: new Date(DRAINED_AT + 60_000).toISOString(),
    });
    expect(health.origins[1]?.drainingUntil).toBeUndefined();
    const over = toPoolHealth(snapshot, names, { drainSeconds: 5, now: NOW });
    expect(over.origins[0]?.drainingUntil).toBeUndefined();
    expect(over.origins[0]?.state).not.toBe("draining");
  });

  it("find a header or ip key's home in the table before the drain while the drain keeps sessions", () => {
    const { pool, snapshot } = drainedPool();
    snapshot.origins.a!.drainedWeight = 1;
    const before = preDrainWeights(pool, snapshot, 60, NOW);
    expect(before).toEqual([
      { name: "a", weight: 1 },
      { name: "b", weight: 1 },
    ]);
    expect(preDrainWeights(pool, snapshot, 5, NOW)).toBeNull();
    expect(preDrainWeights(pool, snapshot, 0, NOW)).toBeNull();
    // A key at home on "a" before the drain: the drain session serves it, no other origin does.
    const table = createHashBalancer(before!);
    const key = Array.from({ length: 100 }, (_, i) => `client-${i}`).find((k) => table.home(k) === "a")!;
    const a: Candidate = { name: "a", index: 0, weight: 1, inflight: 0, latencyMs: null };
    const b: Candidate = { name: "b", index: 1, weight: 1, inflight: 0, latencyMs: null };
    const now = createHashBalancer(pool.origins);
    expect(resolveKeyAffinity(now, key, [b], Math.random, a)).toMatchObject({
      origin: a,
      outcome: "draining",
    });
    expect(resolveKeyAffinity(now, key, [b], Math.random).origin).toBe(b);
  });
});
