import { describe, expect, it } from "vitest";
import type { PoolInput } from "../../../worker/config/schema.ts";
import {
  type EdgeViewInput,
  fallbackCandidates,
  heldForNews,
  LAPSE_HOLD_MS,
  type LocalOrigin,
  mayEjectLocally,
  poolCandidates,
} from "../../../worker/health/edge-view.ts";
import { buildSnapshot } from "../../../worker/health/pool-health.ts";
import type { OriginRecord, PoolSnapshot } from "../../../worker/health/types.ts";
import { makePool, recordsFor } from "../health/fixtures.ts";

const T0 = 1_700_000_000_000;

const three = [
  { name: "a", address: "http://127.0.0.1:9001" },
  { name: "b", address: "http://127.0.0.1:9002" },
  { name: "c", address: "http://127.0.0.1:9003" },
];

/** A snapshot as the PoolState builds it, after `change` edited the records. */
function snapshotOf(
  input: Partial<PoolInput>,
  change: (records: Map<string, OriginRecord>) => void = () => undefined,
  inflight: Record<string, number> = {},
): { pool: ReturnType<typeof makePool>; snapshot: PoolSnapshot } {
  const pool = makePool({ origins: three, ...input });
  const records = recordsFor(pool, T0 - 60_000);
  change(records);
  return { pool, snapshot: buildSnapshot(pool, records, new Map(Object.entries(inflight)), T0) };
}

function view(
  pool: ReturnType<typeof makePool>,
  snapshot: PoolSnapshot | null,
  local: Record<string, Partial<LocalOrigin>> = {},
  now = T0,
): EdgeViewInput {
  return {
    pool,
    snapshot,
    now,
    local: (origin) => {
      const entry = local[origin.name];
      return entry ? { inflightDelta: 0, latencyMs: null, ejectedUntil: null, ...entry } : undefined;
    },
  };
}

const names = (list: readonly { name: string }[]) => list.map((c) => c.name);

describe("usable origins", () => {
  it("without a snapshot, every enabled origin with weight counts (unknown counts as healthy)", () => {
    const pool = makePool({ origins: three });
    const result = poolCandidates(view(pool, null));
    expect(names(result.candidates)).toEqual(["a", "b", "c"]);
    expect(result).toMatchObject({ healthy: true, healthyOrigins: 3, reason: null });
  });

  it("leaves out origins failed by active checks, ejected globally or here, drained and tried", () => {
    const { pool, snapshot } = snapshotOf(
      { origins: [...three, { name: "d", address: "http://127.0.0.1:9004", weight: 0 }] },
      (records) => {
        records.get("a")!.check = "unhealthy";
        records.get("b")!.ejectedUntil = T0 + 5000;
      },
    );
    const input = view(pool, snapshot, { c: { ejectedUntil: T0 + 1000 } });
    expect(poolCandidates(input).candidates).toEqual([]);
    expect(poolCandidates(input).reason).toBe(
      "no usable origin (1 unhealthy, 1 ejected, 1 ejected by this edge, 1 drained)",
    );
    // c and d are healthy as far as every edge knows; the pool stays healthy.
    expect(poolCandidates(input).healthy).toBe(true);
    const later = view(pool, snapshot, { c: { ejectedUntil: T0 + 1000 } }, T0 + 1000);
    expect(names(poolCandidates(later).candidates)).toEqual(["c"]);
    expect(names(poolCandidates(later, new Set(["c"])).candidates)).toEqual([]);
  });

  it("takes an origin back once its ejection ran out and a snapshot built since says so", () => {
    const { pool, snapshot } = snapshotOf({}, (records) => {
      records.get("a")!.ejectedUntil = T0 + 2000;
    });
    expect(names(poolCandidates(view(pool, snapshot)).candidates)).toEqual(["b", "c"]);
    // The snapshot predates the end of the ejection: it cannot tell whether a recovered.
    expect(names(poolCandidates(view(pool, snapshot, {}, T0 + 2000)).candidates)).toEqual(["b", "c"]);
    const since = { ...snapshot, at: T0 + 2000 };
    expect(names(poolCandidates(view(pool, since, {}, T0 + 2000)).candidates)).toEqual(["a", "b", "c"]);
  });

  it("uses backups only when no primary is usable", () => {
    const origins = [
      { name: "p", address: "http://127.0.0.1:9001" },
      { name: "k", address: "http://127.0.0.1:9002", backup: true },
    ];
    const { pool, snapshot } = snapshotOf({ origins });
    expect(names(poolCandidates(view(pool, snapshot)).candidates)).toEqual(["p"]);
    expect(names(poolCandidates(view(pool, snapshot), new Set(["p"])).candidates)).toEqual(["k"]);
    const down = snapshotOf({ origins }, (records) => {
      records.get("p")!.check = "unhealthy";
    });
    expect(names(poolCandidates(view(down.pool, down.snapshot)).candidates)).toEqual(["k"]);
  });

  it("counts global and local in-flight requests against maxConnections", () => {
    const origins = [
      { name: "a", address: "http://127.0.0.1:9001", maxConnections: 3 },
      { name: "b", address: "http://127.0.0.1:9002" },
    ];
    const { pool, snapshot } = snapshotOf({ origins }, undefined, { a: 2, b: 7 });
    const open = poolCandidates(view(pool, snapshot));
    expect(open.candidates.map((c) => [c.name, c.inflight])).toEqual([
      ["a", 2],
      ["b", 7],
    ]);
    const full = poolCandidates(view(pool, snapshot, { a: { inflightDelta: 1 } }));
    expect(names(full.candidates)).toEqual(["b"]);
  });

  it("scales the weight during slow start and prefers local response times", () => {
    const { pool, snapshot } = snapshotOf({ slowStartSeconds: 100 }, (records) => {
      for (const record of records.values()) record.healthySince = T0 - 200_000;
      records.get("a")!.healthySince = T0 - 50_000;
      records.get("b")!.latencyMs = 80;
    });
    const result = poolCandidates(view(pool, snapshot, { c: { latencyMs: 12 } }));
    const byName = Object.fromEntries(result.candidates.map((c) => [c.name, c]));
    expect(byName.a!.weight).toBeCloseTo(0.55);
    expect(byName.b!.weight).toBe(1);
    expect(byName.b!.latencyMs).toBe(80);
    expect(byName.c!.latencyMs).toBe(12);
  });

  it("slow-starts an origin back from a local ejection", () => {
    const { pool, snapshot } = snapshotOf({ slowStartSeconds: 10 }, (records) => {
      for (const record of records.values()) record.healthySince = T0 - 200_000;
    });
    const result = poolCandidates(view(pool, snapshot, { a: { ejectedUntil: T0 - 5000 } }));
    expect(result.candidates.find((c) => c.name === "a")!.weight).toBeCloseTo(0.55);
  });
});

describe("pool health", () => {
  it("is unhealthy below minimumOrigins, with the reason", () => {
    const { pool, snapshot } = snapshotOf({ minimumOrigins: 2 }, (records) => {
      records.get("a")!.check = "unhealthy";
      records.get("b")!.ejectedUntil = T0 + 1;
    });
    const result = poolCandidates(view(pool, snapshot));
    expect(result.healthy).toBe(false);
    expect(names(result.candidates)).toEqual(["c"]);
    expect(result.reason).toBe("pool is unhealthy: 1 of 3 origins healthy (minimum 2)");
  });

  it("does not count local ejections against pool health, so every edge fails over alike", () => {
    const { pool, snapshot } = snapshotOf({ minimumOrigins: 3 });
    const result = poolCandidates(view(pool, snapshot, { a: { ejectedUntil: T0 + 1 } }));
    expect(result).toMatchObject({ healthy: true, healthyOrigins: 3, reason: null });
    expect(names(result.candidates)).toEqual(["b", "c"]);
  });

  it("is unhealthy when disabled", () => {
    const pool = makePool({ origins: three, enabled: false });
    expect(poolCandidates(view(pool, null)).reason).toBe("pool is disabled");
  });
});

describe("fallback pool", () => {
  it("prefers usable origins and otherwise ignores health", () => {
    const { pool, snapshot } = snapshotOf({}, (records) => {
      records.get("a")!.check = "unhealthy";
    });
    expect(names(fallbackCandidates(view(pool, snapshot)))).toEqual(["b", "c"]);
    const down = snapshotOf({}, (records) => {
      for (const record of records.values()) record.check = "unhealthy";
    });
    expect(names(fallbackCandidates(view(down.pool, down.snapshot)))).toEqual(["a", "b", "c"]);
    expect(names(fallbackCandidates(view(down.pool, down.snapshot), new Set(["a"])))).toEqual(["b", "c"]);
  });

  it("never sends to a disabled or drained origin", () => {
    const pool = makePool({
      origins: [
        { name: "a", address: "http://127.0.0.1:9001", enabled: false },
        { name: "b", address: "http://127.0.0.1:9002", weight: 0 },
      ],
    });
    expect(fallbackCandidates(view(pool, null))).toEqual([]);
  });
});

describe("local ejection", () => {
  it("stays within maxEjectionPercent, counting the PoolState's ejections", () => {
    const { pool, snapshot } = snapshotOf({ passiveHealth: { maxEjectionPercent: 50 } }, (records) => {
      records.get("a")!.ejectedUntil = T0 + 1000;
    });
    // 50% of 3 is one origin, and a already is out.
    expect(mayEjectLocally(view(pool, snapshot), "b")).toBe(false);
    expect(mayEjectLocally(view(pool, snapshot, {}, T0 + 1000), "b")).toBe(true);
    expect(mayEjectLocally(view(pool, null, { c: { ejectedUntil: T0 + 1 } }), "b")).toBe(false);
  });

  it("never sheds the last usable origin, honours the cap in small pools, never with passive checks off", () => {
    const solo = makePool({ origins: three.slice(0, 1), passiveHealth: { maxEjectionPercent: 100 } });
    expect(mayEjectLocally(view(solo, null), "a")).toBe(false);
    const pair = makePool({ origins: three.slice(0, 2) });
    expect(mayEjectLocally(view(pair, null), "a")).toBe(true);
    expect(mayEjectLocally(view(pair, null, { b: { ejectedUntil: T0 + 1000 } }), "a")).toBe(false);
    const one = makePool({ origins: three.slice(0, 1) });
    expect(mayEjectLocally(view(one, null), "a")).toBe(false);
    const off = makePool({ origins: three, passiveHealth: { enabled: false } });
    expect(mayEjectLocally(view(off, null), "a")).toBe(false);
    const zero = makePool({ origins: three, passiveHealth: { maxEjectionPercent: 0 } });
    expect(mayEjectLocally(view(zero, null), "a")).toBe(false);
  });
});

describe("an ejection that ended after the snapshot was built", () => {
  it("keeps a locally ejected origin out until a newer snapshot says whether it is back", () => {
    const { pool, snapshot } = snapshotOf({});
    // Ejected here until 2 s after the snapshot; 1 s later the snapshot cannot say how c is doing.
    const local = { c: { ejectedUntil: T0 + 2000 } };
    expect(names(poolCandidates(view(pool, snapshot, local, T0 + 3000)).candidates)).toEqual(["a", "b"]);
    // A snapshot built after the ejection ended answers: c is a candidate again.
    const newer = { ...snapshot, at: T0 + 2500 };
    expect(names(poolCandidates(view(pool, newer, local, T0 + 3000)).candidates)).toEqual(["a", "b", "c"]);
    // Without any newer snapshot, it is taken back after LAPSE_HOLD_MS.
    const late = T0 + 2000 + LAPSE_HOLD_MS;
    expect(names(poolCandidates(view(pool, snapshot, local, late)).candidates)).toEqual(["a", "b", "c"]);
  });

  it("does the same for the PoolState's own ejection", () => {
    const { pool, snapshot } = snapshotOf({}, (records) => {
      const c = records.get("c");
      if (c) c.ejectedUntil = T0 + 2000;
    });
    expect(snapshot.origins.c?.ejectedUntil).toBe(T0 + 2000);
    expect(names(poolCandidates(view(pool, snapshot, {}, T0 + 3000)).candidates)).toEqual(["a", "b"]);
    expect(heldForNews(snapshot.origins.c, undefined, snapshot, T0 + 3000)).toBe(true);
    expect(heldForNews(snapshot.origins.c, undefined, snapshot, T0 + 1000)).toBe(false);
  });

  it("never leaves a pool without a candidate on that account alone", () => {
    const { pool, snapshot } = snapshotOf({ origins: [three[0]!] });
    const local = { a: { ejectedUntil: T0 + 2000 } };
    const result = poolCandidates(view(pool, snapshot, local, T0 + 3000));
    expect(names(result.candidates)).toEqual(["a"]);
    expect(result.reason).toBeNull();
  });
});
