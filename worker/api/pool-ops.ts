/**
 * Operations on a pool's origins: read its health, drain an origin (weight 0, remembering the weight
 * so undrain restores it) and undrain it. The weight changes go through the ConfigStore like any
 * other pool change (versioned, audited, pushed to edges and to the PoolState); the remembered weight
 * lives in the pool's PoolState.
 */
import type { ResourceWrite, StoreResult } from "../../durable-objects/config-store/types.ts";
import type { PoolState } from "../../durable-objects/pool-state/index.ts";
import type { Pool } from "../config/schema.ts";
import { countDoCall } from "../edge/do-calls.ts";
import type { Env } from "../env.ts";
import { buildSnapshot, toPoolHealth } from "../health/pool-health.ts";
import type { OriginHealth, PoolHealth } from "../health/types.ts";
import { ProblemError, problemType } from "../http/problem.ts";
import type { DrainResult } from "./openapi/external.ts";
import { drainSecondsFor } from "./overview.ts";
import { configStore, installSnapshot, unwrap } from "./store.ts";

/** Concurrent writes to the same pool make a drain start over at most this many times. */
const MAX_WRITE_ATTEMPTS = 3;
/** The weight undrain gives an origin the API did not drain (its weight was set to 0 by hand). */
export const DEFAULT_UNDRAIN_WEIGHT = 1;

/**
 * The body of `GET /pools/{id}/health`. A pool its PoolState does not know yet (its configuration is
 * still on the way) is reported from the configuration alone: every origin `unknown`.
 * @example const health = await readPoolHealth(env, "web-eu");
 */
export async function readPoolHealth(env: Env, poolId: string): Promise<PoolHealth> {
  const pool = await readPool(env, poolId);
  return healthOf(env, pool);
}

/**
 * Sets the origin's weight to 0 and remembers its weight for undrain.
 * @example await drainOrigin(env, "web-eu", "eu-1")
 */
export async function drainOrigin(env: Env, poolId: string, name: string): Promise<DrainResult> {
  const state = poolState(env, poolId);
  for (let attempt = 1; ; attempt++) {
    const pool = await readPool(env, poolId);
    const origin = originOf(pool, name);
    if (origin.weight === 0) return result(env, pool, name, await state.drainedWeight(name), false);
    await state.rememberDrainedWeight(name, origin.weight);
    const written = await writeWeight(env, pool, name, 0, attempt);
    if (written) return result(env, written, name, origin.weight, true);
  }
}

/**
 * Restores the weight the origin had before it was drained (1 when it was not drained through the
 * API); an origin whose weight is above 0 is left alone.
 * @example await undrainOrigin(env, "web-eu", "eu-1")
 */
export async function undrainOrigin(env: Env, poolId: string, name: string): Promise<DrainResult> {
  const state = poolState(env, poolId);
  for (let attempt = 1; ; attempt++) {
    const pool = await readPool(env, poolId);
    const origin = originOf(pool, name);
    if (origin.weight > 0) return result(env, pool, name, null, false);
    const weight = (await state.drainedWeight(name)) ?? DEFAULT_UNDRAIN_WEIGHT;
    const written = await writeWeight(env, pool, name, weight, attempt);
    if (written) {
      await state.forgetDrainedWeight(name);
      return result(env, written, name, weight, true);
    }
  }
}

/** Writes one origin's weight with `If-Match`; null when another write came first (try again). */
async function writeWeight(
  env: Env,
  pool: Pool,
  name: string,
  weight: number,
  attempt: number,
): Promise<Pool | null> {
  const origins = pool.origins.map((origin) => (origin.name === name ? { ...origin, weight } : origin));
  const store = configStore(env);
  const answer = (await store.patchResource("pool", pool.id, { origins }, [
    pool.version,
  ])) as StoreResult<ResourceWrite>;
  if (!answer.ok && answer.problem.status === 412 && attempt < MAX_WRITE_ATTEMPTS) return null;
  const { resource, snapshot } = unwrap(answer);
  await installSnapshot(env, snapshot);
  return resource as Pool;
}

async function result(
  env: Env,
  pool: Pool,
  name: string,
  restoreWeight: number | null,
  changed: boolean,
): Promise<DrainResult> {
  const origin = originOf(pool, name);
  const health = await healthOf(env, pool);
  const entry = health.origins.find((o) => o.name === name) as OriginHealth;
  return {
    ...entry,
    pool: pool.id,
    origin: name,
    weight: origin.weight,
    drained: origin.weight === 0 && restoreWeight !== null,
    restoreWeight,
    changed,
  };
}

async function healthOf(env: Env, pool: Pool): Promise<PoolHealth> {
  let health: PoolHealth | null;
  try {
    const drainSeconds = await drainSecondsOf(env, pool.id);
    health = await poolState(env, pool.id).health(drainSeconds);
  } catch (error) {
    console.log(JSON.stringify({ event: "pool_health_failed", pool: pool.id, error: String(error) }));
    throw new ProblemError(503, `The health of pool "${pool.id}" cannot be read right now; try again.`, {
      headers: { "retry-after": "1" },
    });
  }
  if (health) return health;
  const names = pool.origins.map((origin) => origin.name);
  return toPoolHealth(buildSnapshot(pool, new Map(), new Map(), Date.now()), names);
}

/** The longest `sessionAffinity.drainSeconds` of the load balancers that use the pool (0 without). */
async function drainSecondsOf(env: Env, poolId: string): Promise<number> {
  const config = await configStore(env).snapshot();
  return drainSecondsFor(config?.loadBalancers ?? [], poolId);
}

export async function readPool(env: Env, poolId: string): Promise<Pool> {
  const { resource } = unwrap(await configStore(env).getResource("pool", poolId));
  return resource as Pool;
}

function originOf(pool: Pool, name: string): Pool["origins"][number] {
  const origin = pool.origins.find((o) => o.name === name);
  if (!origin) {
    throw new ProblemError(404, `Pool "${pool.id}" has no origin named "${name}".`, {
      type: problemType("not-found"),
    });
  }
  return origin;
}

export function poolState(env: Env, poolId: string): DurableObjectStub<PoolState> {
  countDoCall("admin");
  return env.POOL_STATE.getByName(poolId);
}
