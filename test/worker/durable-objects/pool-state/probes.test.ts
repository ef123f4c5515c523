import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import { alarmOf, check, makePool, ORIGIN, poolStateWithClock, REFUSED, TestClock } from "./fixtures.ts";

const used: DurableObjectStub<PoolState>[] = [];

afterEach(async () => {
  for (const stub of used.splice(0)) await stub.configure(null);
});

async function setup(input: Parameters<typeof makePool>[1]) {
  const clock = new TestClock();
  const { id, stub } = await poolStateWithClock(clock);
  used.push(stub);
  await stub.configure(makePool(id, input));
  return { clock, id, stub };
}

async function originAfterOneRound(input: Parameters<typeof makePool>[1]) {
  const { stub } = await setup(input);
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  const health = await stub.health();
  return health!.origins[0]!;
}

describe("PoolState probes", () => {
  it("starts probing a new pool at once and makes a good origin healthy after one probe", async () => {
    const { clock, id, stub } = await setup({
      healthCheck: check({ path: "/status/200", healthyThreshold: 3 }),
    });
    expect(await alarmOf(stub)).toBe(clock.t);
    const before = await stub.health();
    expect(before).toMatchObject({ pool: id, healthy: true, healthyOrigins: 1 });
    expect(before!.origins[0]).toMatchObject({
      name: "a",
      state: "unknown",
      healthy: true,
      lastCheckAt: null,
    });
    await runDurableObjectAlarm(stub);
    const after = await stub.health();
    expect(after!.origins[0]).toMatchObject({
      state: "healthy",
      healthy: true,
      lastCheckAt: new Date(clock.t).toISOString(),
      lastError: null,
      consecutiveFailures: 0,
    });
    expect(after!.origins[0]!.latencyMs).toEqual(expect.any(Number));
    expect(await alarmOf(stub)).toBe(clock.t + 10_000);
  });

  it("fails a refused connection", async () => {
    const origin = await originAfterOneRound({
      origins: [{ name: "a", address: REFUSED }],
      healthCheck: check({ unhealthyThreshold: 2 }),
    });
    expect(origin).toMatchObject({
      state: "unknown",
      healthy: true,
      consecutiveFailures: 1,
      latencyMs: null,
    });
    expect(origin.lastError).toMatch(/^connection failed: /);
  });

  it("fails an unexpected status and passes an expected one", async () => {
    const failed = await originAfterOneRound({ healthCheck: check({ path: "/status/503" }) });
    expect(failed).toMatchObject({ state: "unhealthy", lastError: "unexpected status 503 (expected 2xx)" });
    const passed = await originAfterOneRound({
      healthCheck: check({ path: "/status/503", expectedCodes: "200-299,503" }),
    });
    expect(passed).toMatchObject({ state: "healthy", lastError: null });
  });

  it("joins the origin address path with the check path", async () => {
    const origin = await originAfterOneRound({
      origins: [{ name: "a", address: `${ORIGIN}/status/` }],
      healthCheck: check({ path: "/204", expectedCodes: "204" }),
    });
    expect(origin).toMatchObject({ state: "healthy", lastError: null });
  });

  it("sends the check's and the origin's headers and finds the expected body text", async () => {
    const origin = await originAfterOneRound({
      origins: [{ name: "a", address: ORIGIN, headers: { "x-tenant": "t1" } }],
      healthCheck: check({
        path: "/echo",
        headers: { "x-probe-token": "s3cret" },
        expectedBody: '"x-probe-token":"s3cret","x-tenant":"t1"',
      }),
    });
    expect(origin).toMatchObject({ state: "healthy", lastError: null });
  });

  it("fails when the expected body text is missing", async () => {
    const origin = await originAfterOneRound({
      healthCheck: check({ path: "/echo", expectedBody: "all systems go" }),
    });
    expect(origin).toMatchObject({
      state: "unhealthy",
      lastError: "response body does not contain the expected text",
    });
  });

  it("sends the configured headers along a redirect to the same origin only", async () => {
    const port = new URL(ORIGIN).port;
    const elsewhere = `http://localhost:${port}/secret-check`;
    const across = await originAfterOneRound({
      origins: [{ name: "a", address: ORIGIN, headers: { "x-probe-secret": "origin-secret" } }],
      healthCheck: check({
        path: `/redirect-to?to=${encodeURIComponent(elsewhere)}`,
        followRedirects: true,
        headers: { "x-probe-secret": "check-secret" },
        expectedBody: "no secret",
      }),
    });
    expect(across.lastError).toBeNull();
    expect(across.state).toBe("healthy");

    const same = await originAfterOneRound({
      origins: [{ name: "a", address: ORIGIN, headers: { "x-probe-secret": "origin-secret" } }],
      healthCheck: check({ path: "/redirect-to?to=%2Fsecret-check", followRedirects: true }),
    });
    expect(same.lastError).toContain("unexpected status 400");
  });

  it("does not follow redirects unless asked to", async () => {
    const manual = await originAfterOneRound({ healthCheck: check({ path: "/redirect" }) });
    expect(manual.state).toBe("unhealthy");
    expect(manual.lastError).toContain("redirect to /status/200 not followed");
    const followed = await originAfterOneRound({
      healthCheck: check({ path: "/redirect", followRedirects: true, expectedBody: "status 200" }),
    });
    expect(followed).toMatchObject({ state: "healthy", lastError: null });
  });

  it("fails a probe that outlasts its timeout", async () => {
    const origin = await originAfterOneRound({ healthCheck: check({ path: "/slow", timeoutMs: 200 }) });
    expect(origin).toMatchObject({ state: "unhealthy", lastError: "timeout after 200 ms" });
  });

  it("probes disabled origins too, and reports them as disabled", async () => {
    const { stub } = await setup({
      origins: [
        { name: "a", address: ORIGIN },
        { name: "off", address: REFUSED, enabled: false },
      ],
      healthCheck: check({ path: "/" }),
    });
    await runDurableObjectAlarm(stub);
    const health = await stub.health();
    expect(health!.origins[1]).toMatchObject({ name: "off", state: "disabled", healthy: false });
    expect(health!.origins[1]!.lastCheckAt).not.toBeNull();
    expect(health!.origins[1]!.lastError).toMatch(/^connection failed: /);
  });

  it("probes a pool larger than the concurrency bound, every origin once", async () => {
    const origins = Array.from({ length: 14 }, (_, i) => ({
      name: `o${i}`,
      address: i % 2 === 0 ? ORIGIN : REFUSED,
    }));
    const { stub } = await setup({ origins, healthCheck: check({ path: "/" }) });
    await runDurableObjectAlarm(stub);
    const health = await stub.health();
    expect(health!.origins.map((o) => o.state)).toEqual(
      origins.map((_, i) => (i % 2 === 0 ? "healthy" : "unhealthy")),
    );
    expect(health).toMatchObject({ healthy: true, healthyOrigins: 7 });
  });
});
