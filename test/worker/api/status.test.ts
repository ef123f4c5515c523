import { env, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { ORIGIN } from "../proxy/support.ts";
import { API, call, createLoadBalancer, createPool, json, READ_TOKEN } from "./support.ts";

interface StatusItem {
  id: string;
  pool: string | null;
  via: string;
  reason: string;
  considered: { pool: string; verdict: string; reason: string }[];
}

interface EventItem {
  at: string;
  kind: string;
  subject: string;
  message: string;
}

const created: { kind: "pools" | "load_balancers"; id: string }[] = [];

afterEach(async () => {
  // Load balancers first: a pool in use cannot be deleted. Deleting a pool stops its probes.
  for (const kind of ["load_balancers", "pools"] as const) {
    for (const entry of created.filter((e) => e.kind === kind))
      await call("DELETE", `${API}/${kind}/${entry.id}`);
  }
  created.length = 0;
});

/** A pool whose single origin passes or fails its check by the check's path (`/200` or `/503`). */
async function checkedPool(id: string, path: "/200" | "/503"): Promise<void> {
  await createPool(id, {
    origins: [{ name: "a", address: `${ORIGIN}/status` }],
    healthCheck: { path, intervalSeconds: 60, timeoutMs: 1000, healthyThreshold: 1, unhealthyThreshold: 1 },
  });
  created.push({ kind: "pools", id });
}

async function plainPool(id: string): Promise<void> {
  await createPool(id, { origins: [{ name: "a", address: ORIGIN }] });
  created.push({ kind: "pools", id });
}

async function loadBalancer(id: string, pools: string[], extra: Record<string, unknown> = {}): Promise<void> {
  await createLoadBalancer(id, pools, extra);
  created.push({ kind: "load_balancers", id });
}

/** Runs probe rounds until the pool's health is `healthy` (bounded). */
async function probeUntil(pool: string, healthy: boolean): Promise<void> {
  const stub = env.POOL_STATE.getByName(pool);
  for (let round = 0; round < 20; round++) {
    if ((await stub.health())?.healthy === healthy) return;
    await runDurableObjectAlarm(stub);
  }
  throw new Error(`pool ${pool} did not become ${healthy ? "healthy" : "unhealthy"}`);
}

async function statusOf(id: string): Promise<StatusItem> {
  const response = await call("GET", `${API}/status`, { token: READ_TOKEN });
  expect(response.status).toBe(200);
  const body = await json<{ items: StatusItem[] }>(response);
  const item = body.items.find((entry) => entry.id === id);
  if (!item) throw new Error(`no status for ${id}`);
  return item;
}

async function eventsAbout(subject: string): Promise<EventItem[]> {
  const body = await json<{ items: EventItem[] }>(await call("GET", `${API}/events?limit=1000`));
  return body.items.filter((event) => event.subject === subject);
}

describe("GET /status", () => {
  it("serves from the first pool in order while it is healthy", async () => {
    await checkedPool("st-primary", "/200");
    await plainPool("st-secondary");
    await loadBalancer("st-ok", ["st-primary", "st-secondary"]);
    await probeUntil("st-primary", true);
    expect(await statusOf("st-ok")).toMatchObject({ pool: "st-primary", via: "steering" });
  });

  it("fails over to the next pool, says why, and fails back when the primary recovers", async () => {
    await checkedPool("fo-primary", "/503");
    await plainPool("fo-secondary");
    await loadBalancer("fo", ["fo-primary", "fo-secondary"]);
    await probeUntil("fo-primary", false);

    const down = await statusOf("fo");
    expect(down).toMatchObject({ pool: "fo-secondary", via: "steering" });
    expect(down.considered[0]).toMatchObject({ pool: "fo-primary", verdict: "skipped" });
    expect(down.considered[0]!.reason).toContain("pool is unhealthy: 0 of 1 origins healthy");
    expect(down.reason).toContain("serving from fo-secondary");

    const patched = await call("PATCH", `${API}/pools/fo-primary`, {
      body: { healthCheck: { path: "/200" } },
    });
    expect(patched.status).toBe(200);
    await probeUntil("fo-primary", true);
    expect(await statusOf("fo")).toMatchObject({ pool: "fo-primary", via: "steering" });

    // Each change of the serving pool is one event, derived from the pool's transitions.
    const events = (await eventsAbout("load_balancer/fo")).filter((e) => e.kind !== "config_change");
    expect(events.map((e) => e.kind)).toEqual(["failback", "failover"]);
    expect(events[1]!.message).toBe(
      "load balancer fo fails over from pool fo-primary to pool fo-secondary: pool fo-primary is unhealthy: 0 of 1 origins healthy (minimum 1)",
    );
    const poolEvents = await eventsAbout("fo-primary");
    expect(poolEvents.map((e) => e.kind)).toEqual(["pool_healthy", "pool_unhealthy"]);
  });

  it("uses the fallback pool when no pool is healthy, and none without one", async () => {
    await checkedPool("fb-only", "/503");
    await plainPool("fb-fallback");
    await loadBalancer("fb-with", ["fb-only"], { fallbackPool: "fb-fallback" });
    await loadBalancer("fb-without", ["fb-only"]);
    await probeUntil("fb-only", false);

    expect(await statusOf("fb-with")).toMatchObject({ pool: "fb-fallback", via: "fallback" });
    const none = await statusOf("fb-without");
    expect(none).toMatchObject({ pool: null, via: "none" });
    expect(none.reason).toContain("no pool can serve");
  });

  it("shows a disabled load balancer as serving nothing", async () => {
    await plainPool("st-disabled-pool");
    await loadBalancer("st-disabled", ["st-disabled-pool"], { enabled: false });
    expect(await statusOf("st-disabled")).toMatchObject({ pool: null, via: "disabled" });
  });

  it("needs a token", async () => {
    expect((await call("GET", `${API}/status`, { token: null })).status).toBe(401);
  });
});
