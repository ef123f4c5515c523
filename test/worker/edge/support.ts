/**
 * Shared pieces of the edge health tests inside workerd: a configuration installed in this isolate
 * whose pools the tests can also hand to their PoolState DOs, so edge and DO agree on versions.
 */
import { env } from "cloudflare:test";
import type { PoolState } from "../../../durable-objects/pool-state/index.ts";
import {
  type LoadBalancerInput,
  LoadBalancerSchema,
  type Pool,
  type PoolInput,
  PoolSchema,
} from "../../../worker/config/schema.ts";
import { acceptSnapshot } from "../../../worker/edge/config-cache.ts";
import { send } from "../proxy/support.ts";

// Above anything proxy-support.ts or the store hands out, so a background refresh never replaces it.
let version = 2_000_000;

/** Makes `pools` and `loadBalancers` the configuration this isolate routes by; returns the pools. */
export function installPools(pools: PoolInput[], loadBalancers: LoadBalancerInput[]): Pool[] {
  version++;
  const parsed = pools.map((pool) => ({ ...PoolSchema.parse(pool), version }));
  acceptSnapshot({
    version,
    pools: parsed,
    loadBalancers: loadBalancers.map((lb) => ({ ...LoadBalancerSchema.parse(lb), version })),
  });
  return parsed;
}

/** Hands `pool` to its PoolState, as the ConfigStore would after a change. */
export async function configurePoolState(pool: Pool): Promise<DurableObjectStub<PoolState>> {
  const stub = env.POOL_STATE.getByName(pool.id);
  await stub.configure(pool);
  return stub;
}

/** Sends `count` requests one after another; returns status and answering origin of each. */
export async function sequence(
  url: string,
  count: number,
  init: RequestInit = {},
): Promise<{ status: number; origin: string | null }[]> {
  const results: { status: number; origin: string | null }[] = [];
  for (let i = 0; i < count; i++) {
    const response = await send(url, init);
    results.push({ status: response.status, origin: response.headers.get("x-lb-origin") });
    await response.body?.cancel();
  }
  return results;
}

/** Polls `probe` until it returns true (bounded), for state that arrives through `waitUntil`. */
export async function eventually(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not happen`);
}
