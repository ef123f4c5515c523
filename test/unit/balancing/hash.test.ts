import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHashBalancer } from "../../../worker/balancing/hash.ts";
import {
  buildMaglevTable,
  MAGLEV_TABLE_SIZES,
  maglevTableSize,
} from "../../../worker/balancing/hash-maglev.ts";
import type { BalancerOrigin, Candidate } from "../../../worker/balancing/types.ts";

const KEYS = Array.from({ length: 100_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

function origins(count: number, weight: (i: number) => number = () => 1): BalancerOrigin[] {
  return Array.from({ length: count }, (_, i) => ({ name: `origin-${i}`, weight: weight(i) }));
}

function candidatesOf(list: readonly BalancerOrigin[]): Candidate[] {
  return list.map((origin, index) => ({ ...origin, index, inflight: 0, latencyMs: null }));
}

/** The origin name each key reaches. */
function assign(list: readonly BalancerOrigin[], candidates = candidatesOf(list), keys = KEYS): string[] {
  const balancer = createHashBalancer(list);
  return keys.map((key) => balancer.pick({ candidates, key, random: Math.random })!.name);
}

function shareOf(assigned: readonly string[], name: string): number {
  return assigned.filter((value) => value === name).length / assigned.length;
}

function movedFraction(before: readonly string[], after: readonly string[]): number {
  let moved = 0;
  for (let i = 0; i < before.length; i++) if (before[i] !== after[i]) moved++;
  return moved / before.length;
}

describe("hash: consistent hashing (Maglev)", () => {
  const pool = origins(20);
  const all = candidatesOf(pool);
  const baseline = assign(pool);

  it("sends a key to the same origin on every pick, whatever random() says, and across rebuilds", () => {
    const balancer = createHashBalancer(pool);
    for (const key of KEYS.slice(0, 1000)) {
      const first = balancer.pick({ candidates: all, key, random: () => 0 });
      expect(balancer.pick({ candidates: all, key, random: () => 0.999 })).toBe(first);
    }
    expect(assign(pool, all, KEYS.slice(0, 5000))).toEqual(baseline.slice(0, 5000));
  });

  it("treats a missing key as the empty string", () => {
    const balancer = createHashBalancer(pool);
    expect(balancer.pick({ candidates: all, random: Math.random })).toBe(
      balancer.pick({ candidates: all, key: "", random: Math.random }),
    );
  });

  it("spreads keys evenly over equal origins", () => {
    for (const origin of pool) expect(Math.abs(shareOf(baseline, origin.name) - 1 / 20)).toBeLessThan(0.005);
  });

  it("gives each origin a share of the keys proportional to its weight", () => {
    const weights = [1, 2, 3, 4, 10, 0.5, 100, 1, 1, 7];
    const weighted = origins(weights.length, (i) => weights[i]!);
    const assigned = assign(weighted);
    const total = weights.reduce((sum, w) => sum + w, 0);
    weighted.forEach((origin, i) => {
      expect(Math.abs(shareOf(assigned, origin.name) - weights[i]! / total)).toBeLessThan(0.006);
    });
  });

  it("gives weight-0 origins no slots and hence no keys", () => {
    const list = origins(4, (i) => (i === 2 ? 0 : 1));
    expect(buildMaglevTable(list).slotCounts[2]).toBe(0);
    expect(shareOf(assign(list, candidatesOf(list), KEYS.slice(0, 20_000)), "origin-2")).toBe(0);
  });

  it("splits the table's slots by weight to within one slot", () => {
    const weights = [1, 3, 1000, 7.5, 0.25];
    const table = buildMaglevTable(origins(weights.length, (i) => weights[i]!));
    const total = weights.reduce((sum, w) => sum + w, 0);
    expect(table.slotCounts.reduce((sum, n) => sum + n, 0)).toBe(table.size);
    weights.forEach((w, i) => {
      expect(Math.abs(table.slotCounts[i]! - (table.size * w) / total)).toBeLessThan(1);
    });
  });

  it("sizes the table to the pool: at least 100 slots per origin up to 164 origins, from two primes", () => {
    expect(maglevTableSize(1)).toBe(4099);
    expect(maglevTableSize(40)).toBe(4099);
    expect(maglevTableSize(41)).toBe(16411);
    expect(maglevTableSize(1000)).toBe(16411);
    for (const count of [1, 3, 10, 32, 64, 164]) {
      const size = maglevTableSize(count);
      expect(MAGLEV_TABLE_SIZES).toContain(size);
      expect(size).toBeGreaterThanOrEqual(count * 100);
      expect(buildMaglevTable(origins(count)).size).toBe(size);
    }
  });

  it("builds its table on the first lookup only", () => {
    const balancer = createHashBalancer(origins(10));
    expect(balancer.tableBytes()).toBe(0);
    balancer.home("10.0.0.1");
    expect(balancer.tableBytes()).toBe(maglevTableSize(10) * 2 + 10 * 4);
  });

  it("skips an unusable origin without moving any other origin's keys", () => {
    const down = "origin-7";
    const usable = all.filter((c) => c.name !== down);
    const after = assign(pool, usable);
    const receivers = new Map<string, number>();
    let othersMoved = 0;
    for (let i = 0; i < KEYS.length; i++) {
      if (baseline[i] !== down) othersMoved += after[i] === baseline[i] ? 0 : 1;
      else receivers.set(after[i]!, (receivers.get(after[i]!) ?? 0) + 1);
    }
    expect(othersMoved).toBe(0);
    expect(receivers.has(down)).toBe(false);
    // The orphaned keys spread over the others in proportion to their slots, not onto a neighbour.
    const orphans = [...receivers.values()].reduce((sum, n) => sum + n, 0);
    expect(receivers.size).toBe(19);
    for (const count of receivers.values()) expect(count / orphans).toBeLessThan(2 / 19);
  });

  it("returns the keys to their origin when it is usable again", () => {
    const usable = all.filter((c) => c.name !== "origin-3" && c.name !== "origin-11");
    expect(assign(pool, usable, KEYS.slice(0, 5000))).not.toEqual(baseline.slice(0, 5000));
    expect(assign(pool, all, KEYS.slice(0, 5000))).toEqual(baseline.slice(0, 5000));
  });

  it("keeps keys in place with most of the pool down, moving only the keys of the missing origins", () => {
    const usable = all.filter((c) => c.index % 5 === 0);
    const after = assign(pool, usable, KEYS.slice(0, 20_000));
    const names = new Set(usable.map((c) => c.name));
    const outside = after.filter((name) => !names.has(name)).length;
    const moved = after.filter((name, i) => names.has(baseline[i]!) && name !== baseline[i]).length;
    expect(outside).toBe(0);
    expect(moved).toBe(0);
  });

  // Slack: what Maglev moves beyond the minimum with tables sized to the pool (hash-maglev.ts).
  it.each([
    [5, 0.01],
    [20, 0.02],
    [100, 0.015],
  ])(
    "moves only about the removed origin's share when one of %i origins is removed from the pool",
    (count, slack) => {
      const list = origins(count);
      const before = assign(list);
      const removed = `origin-${Math.floor(count / 2)}`;
      const after = assign(list.filter((o) => o.name !== removed));
      expect(movedFraction(before, after)).toBeLessThanOrEqual(shareOf(before, removed) + slack);
    },
  );

  it.each([
    [5, 0.01],
    [20, 0.02],
    [100, 0.015],
  ])("moves about 1/(N+1) of the keys when one origin is added to %i", (count, slack) => {
    const list = origins(count);
    const before = assign(list);
    const after = assign([...list, { name: "newcomer", weight: 1 }]);
    const moved = movedFraction(before, after);
    expect(moved).toBeGreaterThan(0.8 / (count + 1));
    expect(moved).toBeLessThanOrEqual(1 / (count + 1) + slack);
    // Maglev reshuffles a little beyond the minimum; nearly every key that moved went to the newcomer.
    const strays = before.filter((name, i) => after[i] !== name && after[i] !== "newcomer").length;
    expect(strays / before.length).toBeLessThanOrEqual(slack);
  });

  it("names a key's home origin (its first preference when every origin is up)", () => {
    const balancer = createHashBalancer(pool);
    KEYS.slice(0, 2000).forEach((key, i) => {
      expect(balancer.home(key)).toBe(baseline[i]);
    });
    expect(createHashBalancer(origins(3, () => 0)).home("k")).toBeUndefined();
  });

  it("still answers, deterministically, when no candidate owns a slot", () => {
    const list = origins(4, (i) => (i < 2 ? 0 : 1));
    const balancer = createHashBalancer(list);
    const zeroSlot = candidatesOf(list)
      .slice(0, 2)
      .map((c) => ({ ...c, weight: 1 }));
    for (const key of KEYS.slice(0, 500)) {
      const picked = balancer.pick({ candidates: zeroSlot, key, random: Math.random });
      expect(zeroSlot).toContain(picked);
      expect(balancer.pick({ candidates: zeroSlot, key, random: Math.random })).toBe(picked);
    }
  });

  it("never picks anything but one of the candidates", () => {
    const list = origins(30, (i) => (i % 4) + (i % 3 === 0 ? 0 : 0.5));
    const balancer = createHashBalancer(list);
    const every = candidatesOf(list);
    fc.assert(
      fc.property(fc.subarray(every), fc.string(), fc.boolean(), (usable, key, stale) => {
        // A stale candidate list (names no longer at those indexes) must not confuse the lookup.
        const set = stale ? usable.map((c) => ({ ...c, name: `${c.name}-renamed` })) : usable;
        const picked = balancer.pick({ candidates: set, key, random: Math.random });
        if (set.length === 0) expect(picked).toBeUndefined();
        else expect(set).toContain(picked);
      }),
      { numRuns: 500 },
    );
  });

  it("rejects table sizes that are not prime and pools too large to index", () => {
    expect(() => buildMaglevTable(origins(3), 1030)).toThrow(RangeError);
    expect(() => buildMaglevTable(origins(0xffff))).toThrow(RangeError);
  });
});
