/**
 * `GET /overview`, the dashboard's one read: its Durable Object calls are bounded by its read cap
 * however many pools there are, none while the edge's snapshots are fresh, and what it shows of each
 * pool agrees with `GET /pools/{id}/health` (same states) and of each load balancer with `GET /status`.
 * Calls are counted at the bindings the Worker is given; no timing assertion.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { OVERVIEW_MAX_AGE_MS, OVERVIEW_READ_CAP } from "../../../worker/api/overview.ts";
import { peekConfig } from "../../../worker/edge/config-cache.ts";
import { refreshPoolStatesNow } from "../../../worker/edge/pool-state-cache.ts";
import type { Env } from "../../../worker/env.ts";
import { ORIGIN, REFUSING } from "../proxy/support.ts";
import { API, call, json, READ_TOKEN } from "./support.ts";

interface OverviewBody {
  configVersion: number;
  loadBalancers: { id: string; pool: string | null; via: string; reason: string }[];
  pools: {
    id: string;
    ageMs: number | null;
    stale: boolean;
    health: { healthy: boolean; healthyOrigins: number; origins: { name: string; state: string }[] };
  }[];
  reads: { maxAgeMs: number; cap: number; read: number; stale: number };
}

/** The test bindings, with every call to a PoolState or the ConfigStore counted. */
function counted(): { bindings: Env; poolCalls: () => number; storeCalls: () => number } {
  let pool = 0;
  let store = 0;
  const wrap = <T extends object>(stub: T, count: () => void): T =>
    new Proxy(stub, {
      get(target, key) {
        const value = Reflect.get(target, key);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          count();
          // Reflect.apply: an RPC method would take `.apply` for a remote method name.
          return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        };
      },
    });
  const namespace = <N extends { getByName(name: string): object }>(real: N, count: () => void): N =>
    ({ ...real, getByName: (name: string) => wrap(real.getByName(name), count) }) as unknown as N;
  const bindings: Env = {
    ...env,
    // The direct path: every read is a Durable Object call, so the count is the whole cost.
    LOCATION_CACHE: "off",
    POOL_STATE: namespace(env.POOL_STATE, () => pool++),
    CONFIG_STORE: namespace(env.CONFIG_STORE, () => store++),
  };
  return { bindings, poolCalls: () => pool, storeCalls: () => store };
}

const created: { kind: "pools" | "load_balancers"; id: string }[] = [];

afterEach(async () => {
  for (const kind of ["load_balancers", "pools"] as const) {
    for (const entry of created.filter((e) => e.kind === kind)) {
      await call("DELETE", `${API}/${kind}/${entry.id}`, { env });
    }
  }
  created.length = 0;
});

/** Creates a resource through this isolate's Worker (so its configuration is the one written). */
async function create(kind: "pools" | "load_balancers", input: Record<string, unknown>): Promise<void> {
  const response = await call("POST", `${API}/${kind}`, { body: input, env });
  expect(response.status, await response.text()).toBe(201);
  created.push({ kind, id: input.id as string });
}

async function overview(bindings: Env): Promise<OverviewBody> {
  const response = await call("GET", `${API}/overview`, { token: READ_TOKEN, env: bindings });
  expect(response.status).toBe(200);
  return json<OverviewBody>(response);
}

describe("GET /overview", () => {
  it("costs at most its read cap in DO calls on a large configuration, and none once snapshots are warm", async () => {
    const count = 4 * OVERVIEW_READ_CAP;
    const ids = Array.from({ length: count }, (_, i) => `ov-many-${i}`);
    for (const id of ids) await create("pools", { id, origins: [{ name: "a", address: ORIGIN }] });
    const { bindings, poolCalls } = counted();

    // Cold: no snapshot of any of these pools yet. One request reads at most the cap, the rest stale.
    const first = await overview(bindings);
    const mine = first.pools.filter((pool) => ids.includes(pool.id));
    expect(mine).toHaveLength(count);
    expect(poolCalls()).toBeLessThanOrEqual(OVERVIEW_READ_CAP);
    expect(first.reads.read).toBeLessThanOrEqual(OVERVIEW_READ_CAP);
    expect(mine.filter((pool) => pool.stale).length).toBeGreaterThanOrEqual(count - OVERVIEW_READ_CAP);
    // A stale pool still shows every origin, as configured, with its age (null: never read).
    for (const pool of mine.filter((p) => p.stale)) {
      expect(pool.health.origins.map((o) => o.name)).toEqual(["a"]);
      expect(pool.ageMs === null || pool.ageMs > OVERVIEW_MAX_AGE_MS).toBe(true);
    }

    // Each further request reads the oldest of the rest, never more than the cap.
    let requests = 1;
    let before = poolCalls();
    let latest = first;
    while (latest.pools.some((pool) => ids.includes(pool.id) && pool.stale) && requests < 2 * count) {
      latest = await overview(bindings);
      requests++;
      expect(poolCalls() - before).toBeLessThanOrEqual(OVERVIEW_READ_CAP);
      before = poolCalls();
    }
    expect(latest.pools.filter((pool) => ids.includes(pool.id) && pool.stale)).toEqual([]);

    // Warm (as the edge's traffic keeps them): every snapshot fresh, so an overview calls no DO at all.
    const { bindings: warmBindings, poolCalls: warmCalls, storeCalls } = counted();
    const pools = (peekConfig()?.pools ?? []).filter((pool) => ids.includes(pool.id));
    expect(pools).toHaveLength(count);
    // A bound below any age: every pool is read, however recently the loop above read it.
    await refreshPoolStatesNow(warmBindings, pools, -1, Date.now());
    const primed = warmCalls();
    expect(primed).toBe(count);
    const warm = await overview(warmBindings);
    expect(warmCalls() - primed).toBe(0);
    expect(storeCalls()).toBe(0);
    expect(warm.reads.read).toBe(0);
    expect(warm.pools.filter((pool) => ids.includes(pool.id) && pool.stale)).toEqual([]);
  });

  it("shows every origin in the state GET /pools/{id}/health gives, and the load balancers as GET /status", async () => {
    const check = {
      path: "/status/200",
      intervalSeconds: 60,
      timeoutMs: 1000,
      healthyThreshold: 1,
      unhealthyThreshold: 1,
    };
    await create("pools", {
      id: "ov-mixed",
      origins: [
        { name: "up", address: ORIGIN },
        { name: "down", address: REFUSING },
        { name: "off", address: ORIGIN, enabled: false },
      ],
      minimumOrigins: 2,
      healthCheck: check,
    });
    await create("pools", { id: "ov-plain", origins: [{ name: "a", address: ORIGIN }] });
    await create("pools", { id: "ov-idle", origins: [{ name: "x", address: ORIGIN }], healthCheck: check });
    await create("load_balancers", {
      id: "ov-lb",
      hostname: "ov-lb.example.com",
      pools: ["ov-mixed", "ov-plain"],
    });
    // Probe rounds until `down` failed: `up` passes, `off` is disabled.
    const stub = env.POOL_STATE.getByName("ov-mixed");
    for (let round = 0; round < 20 && (await stub.health())?.healthy !== false; round++) {
      await runDurableObjectAlarm(stub);
    }

    const { bindings } = counted();
    const body = await overview(bindings);
    const states = new Map<string, string[]>();
    for (const id of ["ov-mixed", "ov-plain", "ov-idle"]) {
      const pool = body.pools.find((p) => p.id === id);
      expect(pool, id).toBeDefined();
      const health = await json<OverviewBody["pools"][number]["health"]>(
        await call("GET", `${API}/pools/${id}/health`, { token: READ_TOKEN, env }),
      );
      expect(pool!.health.healthy, id).toBe(health.healthy);
      expect(pool!.health.healthyOrigins, id).toBe(health.healthyOrigins);
      expect(pool!.health.origins.map((o) => [o.name, o.state])).toEqual(
        health.origins.map((o) => [o.name, o.state]),
      );
      states.set(
        id,
        health.origins.map((o) => o.state),
      );
    }
    // The case is not trivial: the API itself reports each kind of state.
    expect(states.get("ov-mixed")).toEqual(["healthy", "unhealthy", "disabled"]);

    const status = await json<{ items: OverviewBody["loadBalancers"] }>(
      await call("GET", `${API}/status`, { token: READ_TOKEN, env }),
    );
    const fromStatus = status.items.find((lb) => lb.id === "ov-lb");
    const fromOverview = body.loadBalancers.find((lb) => lb.id === "ov-lb");
    expect(fromStatus).toMatchObject({ pool: "ov-plain", via: "steering" });
    expect(fromOverview).toMatchObject({
      pool: fromStatus!.pool,
      via: fromStatus!.via,
      reason: fromStatus!.reason,
    });
  });
});
