import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import {
  alarmOf,
  check,
  installClock,
  makePool,
  ORIGIN,
  poolStateWithClock,
  REFUSED,
  TestClock,
} from "./fixtures.ts";

const used: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  vi.restoreAllMocks();
  for (const stub of used.splice(0)) await stub.configure(null);
});

async function setup(input: Parameters<typeof makePool>[1]) {
  const clock = new TestClock();
  const { id, stub } = await poolStateWithClock(clock);
  used.push(stub);
  const pool = makePool(id, input);
  await stub.configure(pool);
  return { clock, id, pool, stub };
}

async function originA(stub: DurableObjectStub<PoolState>) {
  return (await stub.health())!.origins.find((o) => o.name === "a")!;
}

const refusedPool = {
  origins: [{ name: "a", address: REFUSED }],
  healthCheck: check({ unhealthyThreshold: 3 }),
};

describe("PoolState alarm rounds", () => {
  it("counts one round when the alarm is delivered twice", async () => {
    const { clock, stub } = await setup(refusedPool);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await originA(stub)).toMatchObject({ consecutiveFailures: 1 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await originA(stub)).toMatchObject({ consecutiveFailures: 1 });
    expect(await alarmOf(stub)).toBe(clock.t + 10_000);
    clock.advance(10_000);
    await runDurableObjectAlarm(stub);
    expect(await originA(stub)).toMatchObject({ consecutiveFailures: 2 });
  });

  it("probes each origin once per interval from its previous probe, however often the alarm fires", async () => {
    const { clock, stub } = await setup(refusedPool);
    await runDurableObjectAlarm(stub);
    clock.advance(5_000);
    await runDurableObjectAlarm(stub);
    clock.advance(4_900);
    await runDurableObjectAlarm(stub);
    expect(await originA(stub)).toMatchObject({ consecutiveFailures: 1 });
    clock.advance(100);
    await runDurableObjectAlarm(stub);
    expect(await originA(stub)).toMatchObject({ consecutiveFailures: 2 });
  });

  it("keeps health state across a restart and carries on counting", async () => {
    const { clock, stub } = await setup(refusedPool);
    for (let round = 0; round < 3; round++) {
      await runDurableObjectAlarm(stub);
      clock.advance(10_000);
    }
    const before = await originA(stub);
    expect(before).toMatchObject({ state: "unhealthy", consecutiveFailures: 3 });
    await evictDurableObject(stub);
    expect(await originA(stub)).toEqual(before);
    expect((await stub.events(10)).map((e) => e.kind)).toEqual(["pool_unhealthy", "origin_unhealthy"]);
    await installClock(stub, clock);
    await runDurableObjectAlarm(stub);
    expect(await originA(stub)).toMatchObject({ state: "unhealthy", consecutiveFailures: 4 });
  });

  it("discards a round overtaken by a configuration change and starts the next one at once", async () => {
    const { clock, id, stub } = await setup({ healthCheck: check({ path: "/slow", timeoutMs: 1500 }) });
    const round = runDurableObjectAlarm(stub);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stub.configure(makePool(id, { healthCheck: check({ path: "/" }) }));
    await round;
    expect(await originA(stub)).toMatchObject({ state: "unknown", lastCheckAt: null });
    expect(await alarmOf(stub)).toBe(clock.t);
    await runDurableObjectAlarm(stub);
    expect(await originA(stub)).toMatchObject({ state: "healthy", lastError: null });
  });
});

describe("PoolState configuration", () => {
  it("stops probing and forgets the pool on configure(null)", async () => {
    const { stub } = await setup(refusedPool);
    await runDurableObjectAlarm(stub);
    await stub.configure(null);
    expect(await alarmOf(stub)).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect(await stub.health()).toBeNull();
    expect(await stub.snapshot()).toBeNull();
    expect(await stub.events(10)).toEqual([]);
  });

  it("stops probing when checks are disabled and puts failed origins back in service", async () => {
    const { id, stub } = await setup({ ...refusedPool, healthCheck: check() });
    await runDurableObjectAlarm(stub);
    expect(await originA(stub)).toMatchObject({ state: "unhealthy" });
    await stub.configure(makePool(id, { ...refusedPool, healthCheck: check({ enabled: false }) }));
    expect(await alarmOf(stub)).toBeNull();
    expect(await originA(stub)).toMatchObject({
      state: "healthy",
      healthy: true,
      lastCheckAt: null,
      lastError: null,
    });
    const [latest] = await stub.events(1);
    expect(latest).toMatchObject({ kind: "pool_healthy" });
    expect((await stub.events(3)).map((e) => e.kind)).toContain("origin_healthy");
  });

  it("does not arm an alarm for a pool without active checks", async () => {
    const { stub } = await setup({ healthCheck: null });
    expect(await alarmOf(stub)).toBeNull();
    expect(await originA(stub)).toMatchObject({ state: "healthy", healthy: true });
  });

  it("keeps the state of origins that remain, drops removed ones and starts new ones fresh", async () => {
    const { clock, id, stub } = await setup({
      origins: [
        { name: "a", address: REFUSED },
        { name: "b", address: ORIGIN },
      ],
      healthCheck: check(),
    });
    await runDurableObjectAlarm(stub);
    clock.advance(1000);
    await stub.configure(
      makePool(id, {
        origins: [
          { name: "a", address: REFUSED, weight: 5 },
          { name: "c", address: ORIGIN },
        ],
        healthCheck: check(),
      }),
    );
    const health = await stub.health();
    expect(health!.origins.map((o) => [o.name, o.state])).toEqual([
      ["a", "unhealthy"],
      ["c", "unknown"],
    ]);
  });

  it("starts over for an origin whose address changed", async () => {
    const { id, stub } = await setup({ ...refusedPool, healthCheck: check() });
    await runDurableObjectAlarm(stub);
    await stub.configure(makePool(id, { origins: [{ name: "a", address: ORIGIN }], healthCheck: check() }));
    expect(await originA(stub)).toMatchObject({ state: "unknown", consecutiveFailures: 0, lastError: null });
  });

  it("reports a disabled pool as unhealthy", async () => {
    const { id, stub } = await setup({ healthCheck: null });
    await stub.configure(makePool(id, { enabled: false, healthCheck: null }));
    expect(await stub.health()).toMatchObject({ healthy: false, healthyOrigins: 1 });
    expect((await stub.events(1))[0]).toMatchObject({
      kind: "pool_unhealthy",
      message: `pool ${id} is disabled`,
    });
  });
});

describe("PoolState events", () => {
  it("records and logs each transition exactly once, newest first", async () => {
    const log = vi.spyOn(console, "log");
    const { clock, id, stub } = await setup({
      origins: [
        { name: "a", address: ORIGIN },
        { name: "b", address: REFUSED },
      ],
      minimumOrigins: 2,
      healthCheck: check({ unhealthyThreshold: 2 }),
    });
    for (let round = 0; round < 4; round++) {
      await runDurableObjectAlarm(stub);
      clock.advance(10_000);
    }
    const events = await stub.events(100);
    expect(events.map((e) => [e.kind, e.subject])).toEqual([
      ["pool_unhealthy", id],
      ["origin_unhealthy", `${id}/b`],
      ["origin_healthy", `${id}/a`],
    ]);
    expect(events[0]!.message).toBe(`pool ${id} is unhealthy: 1 of 2 origins healthy (minimum 2)`);
    const lines = log.mock.calls
      .map(([line]) => JSON.parse(String(line)) as { event: string; pool: string })
      .filter((line) => line.pool === id);
    expect(lines.map((line) => line.event)).toEqual(["origin_healthy", "origin_unhealthy", "pool_unhealthy"]);
    expect(await stub.events(1)).toHaveLength(1);
  });
});
