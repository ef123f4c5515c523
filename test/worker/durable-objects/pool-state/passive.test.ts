import { evictDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import { INFLIGHT_STALE_MS } from "../../../../worker/health/inflight.ts";
import type { HealthReport, OriginReport } from "../../../../worker/health/types.ts";
import { installClock, makePool, ORIGIN, poolStateWithClock, TestClock } from "./fixtures.ts";

const used: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  for (const stub of used.splice(0)) await stub.configure(null);
});

const twoOrigins = [
  { name: "a", address: ORIGIN },
  { name: "b", address: `${ORIGIN}/b` },
];

async function setup(input: Parameters<typeof makePool>[1] = {}) {
  const clock = new TestClock();
  const { id, stub } = await poolStateWithClock(clock);
  used.push(stub);
  await stub.configure(makePool(id, { origins: twoOrigins, ...input }));
  return { clock, id, stub };
}

function batch(
  clock: TestClock,
  origins: Record<string, Partial<OriginReport>>,
  isolateId = "iso-1",
): HealthReport {
  const full: Record<string, OriginReport> = {};
  for (const [name, figures] of Object.entries(origins)) {
    full[name] = { inflight: 0, requests: 0, failures: 0, consecutiveFailures: 0, ...figures };
  }
  return { isolateId, sentAt: clock.t, origins: full };
}

const failures = (n: number): Partial<OriginReport> => ({ requests: n, failures: n, consecutiveFailures: n });

describe("PoolState passive ejection", () => {
  it("ejects an origin whose requests fail consecutiveFailures times in a row", async () => {
    const { clock, id, stub } = await setup({
      passiveHealth: { consecutiveFailures: 5, ejectionSeconds: 30 },
    });
    const first = await stub.report(batch(clock, { a: failures(3) }));
    expect(first!.origins.a).toMatchObject({ state: "healthy", healthy: true });
    const second = await stub.report(batch(clock, { a: failures(2) }, "iso-2"));
    expect(second!.origins.a).toMatchObject({
      state: "ejected",
      healthy: false,
      ejectedUntil: clock.t + 30_000,
    });
    const health = await stub.health();
    expect(health!.origins[0]).toMatchObject({
      state: "ejected",
      healthy: false,
      ejectedUntil: new Date(clock.t + 30_000).toISOString(),
    });
    const events = await stub.events(10);
    expect(events.filter((e) => e.kind === "origin_ejected").map((e) => e.subject)).toEqual([`${id}/a`]);
  });

  it("does not eject when a success breaks the streak", async () => {
    const { clock, stub } = await setup({ passiveHealth: { consecutiveFailures: 5 } });
    await stub.report(batch(clock, { a: failures(4) }));
    await stub.report(batch(clock, { a: { requests: 3, failures: 2, consecutiveFailures: 1 } }));
    const snapshot = await stub.report(batch(clock, { a: failures(3) }));
    expect(snapshot!.origins.a!.state).toBe("healthy");
  });

  it("brings an ejected origin back when the ejection ends and ejects it longer next time", async () => {
    const { clock, id, stub } = await setup({
      passiveHealth: { consecutiveFailures: 2, ejectionSeconds: 30 },
    });
    await stub.report(batch(clock, { a: failures(2) }));
    const ejectedAt = clock.t;
    clock.advance(30_000);
    const back = await stub.snapshot();
    expect(back!.origins.a).toMatchObject({
      state: "healthy",
      healthy: true,
      healthySince: ejectedAt + 30_000,
    });
    expect((await stub.events(1))[0]).toMatchObject({ kind: "origin_returned", subject: `${id}/a` });
    const again = await stub.report(batch(clock, { a: failures(2) }));
    expect(again!.origins.a!.ejectedUntil).toBe(clock.t + 60_000);
  });

  it("never ejects more than maxEjectionPercent of the pool, rounded down", async () => {
    const { clock, stub } = await setup({
      passiveHealth: { consecutiveFailures: 1, maxEjectionPercent: 50 },
    });
    const snapshot = await stub.report(batch(clock, { a: failures(1), b: failures(1) }));
    expect([snapshot!.origins.a!.state, snapshot!.origins.b!.state]).toEqual(["ejected", "healthy"]);
    const few = await setup({ passiveHealth: { consecutiveFailures: 1, maxEjectionPercent: 10 } });
    const none = await few.stub.report(batch(few.clock, { a: failures(1), b: failures(1) }));
    expect([none!.origins.a!.state, none!.origins.b!.state]).toEqual(["healthy", "healthy"]);
  });

  it("never ejects the only origin of a pool: the pool keeps serving", async () => {
    const { clock, stub } = await setup({
      origins: [{ name: "a", address: ORIGIN }],
      passiveHealth: { consecutiveFailures: 1, ejectionSeconds: 10, maxEjectionPercent: 100 },
    });
    const snapshot = await stub.report(batch(clock, { a: failures(3) }));
    expect(snapshot).toMatchObject({
      healthy: true,
      origins: { a: { state: "healthy", ejectedUntil: null } },
    });
    expect((await stub.events(10)).map((e) => e.kind)).toEqual([]);
  });

  it("ejects nothing when passive checks are off, and ends running ejections when they are turned off", async () => {
    const { clock, id, stub } = await setup({ passiveHealth: { consecutiveFailures: 1 } });
    await stub.report(batch(clock, { a: failures(1) }));
    await stub.configure(makePool(id, { origins: twoOrigins, passiveHealth: { enabled: false } }));
    expect((await stub.snapshot())!.origins.a!.state).toBe("healthy");
    const snapshot = await stub.report(batch(clock, { a: failures(50) }));
    expect(snapshot!.origins.a!.state).toBe("healthy");
  });

  it("keeps an ejection across a restart", async () => {
    const { clock, stub } = await setup({ passiveHealth: { consecutiveFailures: 1, ejectionSeconds: 60 } });
    await stub.report(batch(clock, { a: failures(1) }));
    await evictDurableObject(stub);
    await installClock(stub, clock);
    expect((await stub.snapshot())!.origins.a).toMatchObject({
      state: "ejected",
      ejectedUntil: clock.t + 60_000,
    });
  });
});

describe("PoolState in-flight sums", () => {
  it("sums the in-flight requests of fresh reports across isolates", async () => {
    const { clock, stub } = await setup();
    await stub.report(batch(clock, { a: { inflight: 3 } }, "iso-1"));
    clock.advance(2000);
    const snapshot = await stub.report(batch(clock, { a: { inflight: 2 }, b: { inflight: 1 } }, "iso-2"));
    expect([snapshot!.origins.a!.inflight, snapshot!.origins.b!.inflight]).toEqual([5, 1]);
    expect((await stub.health())!.origins.map((o) => o.inflight)).toEqual([5, 1]);
  });

  it("drops an isolate that has gone silent", async () => {
    const { clock, stub } = await setup();
    await stub.report(batch(clock, { a: { inflight: 3 } }, "iso-1"));
    clock.advance(INFLIGHT_STALE_MS - 1000);
    await stub.report(batch(clock, { a: { inflight: 2 } }, "iso-2"));
    clock.advance(2000);
    expect((await stub.snapshot())!.origins.a!.inflight).toBe(2);
  });

  it("takes an isolate's newest report, not one that arrives late", async () => {
    const { clock, stub } = await setup();
    const early = batch(clock, { a: { inflight: 9 } });
    clock.advance(100);
    await stub.report(batch(clock, { a: { inflight: 1 } }));
    const snapshot = await stub.report(early);
    expect(snapshot!.origins.a!.inflight).toBe(1);
  });

  it("reports a drained origin as draining until nothing is in flight", async () => {
    const { clock, id, stub } = await setup();
    await stub.configure(
      makePool(id, { origins: [{ name: "a", address: ORIGIN, weight: 0 }, twoOrigins[1]!] }),
    );
    expect((await stub.report(batch(clock, { a: { inflight: 2 } })))!.origins.a!.state).toBe("draining");
    expect((await stub.report(batch(clock, { a: { inflight: 0 } })))!.origins.a!.state).toBe("healthy");
  });

  it("ignores origins the pool does not have, and answers null for an unknown pool", async () => {
    const { clock, stub } = await setup();
    const snapshot = await stub.report(batch(clock, { ghost: { inflight: 4, ...failures(10) } }));
    expect(Object.keys(snapshot!.origins)).toEqual(["a", "b"]);
    await stub.configure(null);
    expect(await stub.report(batch(clock, { a: { inflight: 1 } }))).toBeNull();
  });
});
