/**
 * From an algorithm name to a balancer. Pure. Each algorithm lives in its own module; an algorithm
 * without one here is served by smooth weighted round robin.
 */
import type { AlgorithmName } from "../config/schema.ts";
import { createFirstBalancer } from "./first.ts";
import { createHashBalancer } from "./hash.ts";
import { createLeastConnectionsBalancer } from "./least-connections.ts";
import { createLeastRequestBalancer } from "./least-request.ts";
import { createLeastTimeBalancer } from "./least-time.ts";
import { createRandomBalancer } from "./random.ts";
import { createRoundRobinBalancer } from "./round-robin.ts";
import type { Balancer, BalancerOrigin } from "./types.ts";

/** Builds a balancer over a pool's configured origins (for algorithms that precompute). */
export type BalancerFactory = (origins: readonly BalancerOrigin[]) => Balancer;

const FACTORIES: Partial<Record<AlgorithmName, BalancerFactory>> = {
  round_robin: createRoundRobinBalancer,
  random: createRandomBalancer,
  least_connections: () => createLeastConnectionsBalancer(),
  least_request: createLeastRequestBalancer,
  least_time: () => createLeastTimeBalancer(),
  hash: (origins) => createHashBalancer(origins),
  first: createFirstBalancer,
};

/**
 * A fresh balancer for a pool's algorithm and origins; build one per pool version and keep it, since
 * some algorithms (round robin) carry state from pick to pick.
 * @example createBalancer(pool.algorithm, pool.origins).pick({ candidates, random: Math.random })
 */
export function createBalancer(algorithm: AlgorithmName, origins: readonly BalancerOrigin[]): Balancer {
  const factory = FACTORIES[algorithm] ?? createRoundRobinBalancer;
  return factory(origins);
}
