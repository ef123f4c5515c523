/** Pools, a controllable clock and small helpers for the PoolState tests (inside workerd). */
import { env, runInDurableObject } from "cloudflare:test";
import { inject } from "vitest";
import type { PoolState } from "../../../../durable-objects/pool-state/index.ts";
import { type Pool, type PoolInput, PoolSchema } from "../../../../worker/config/schema.ts";

/** The origin started by global-setup.ts (see its routes). */
export const ORIGIN = `http://127.0.0.1:${inject("probeOriginPort")}`;
/** Nothing listens on port 1: connections are refused. */
export const REFUSED = "http://127.0.0.1:1";

/**
 * Time for the DO under test. It starts a year ahead, so the alarms the DO sets never fire on
 * their own during a test: only `runDurableObjectAlarm` runs them.
 */
export class TestClock {
  t = Date.now() + 365 * 24 * 3600 * 1000;

  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

let counter = 0;

/** A PoolState stub for a pool id no other test uses, with `clock` installed as its time. */
export async function poolStateWithClock(
  clock: TestClock,
): Promise<{ id: string; stub: DurableObjectStub<PoolState> }> {
  const id = `pool-${Date.now().toString(36)}-${counter++}`;
  const stub = env.POOL_STATE.getByName(id);
  await installClock(stub, clock);
  return { id, stub };
}

/** Makes the DO read `clock` (again, e.g. after an eviction reset its instance). */
export async function installClock(stub: DurableObjectStub<PoolState>, clock: TestClock): Promise<void> {
  await runInDurableObject(stub, (instance: PoolState) => {
    (instance as unknown as { now: () => number }).now = () => clock.t;
  });
}

/** A validated pool with defaults, as the ConfigStore hands it over. */
export function makePool(id: string, input: Partial<PoolInput> = {}): Pool {
  const parsed = PoolSchema.parse({ id, origins: [{ name: "a", address: ORIGIN }], ...input });
  return { ...parsed, version: parsed.version ?? 1 };
}

/** Active checks every 10 s that rise and fall on the first result, unless overridden. */
export function check(overrides: Record<string, unknown> = {}): PoolInput["healthCheck"] {
  return { intervalSeconds: 10, timeoutMs: 2000, healthyThreshold: 1, unhealthyThreshold: 1, ...overrides };
}

/** When the DO's next alarm is due, or null when none is set. */
export function alarmOf(stub: DurableObjectStub<PoolState>): Promise<number | null> {
  return runInDurableObject(stub, (_instance: PoolState, state) => state.storage.getAlarm());
}
