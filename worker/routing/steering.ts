/**
 * Steering policies: each one orders a load balancer's pools by preference for one request. Pure.
 *
 * `choosePool` walks that order and takes the first pool that can serve, so a policy only decides
 * preference, never health. A policy that is not registered here is served in the configured order
 * (as `failover`), and says so in its reason.
 */
import type { LoadBalancer, Steering } from "../config/schema.ts";

/** What a policy may look at besides the load balancer; policies that need more extend it. */
export interface SteeringContext {
  /** Uniform random number in [0, 1); injected so tests are deterministic. */
  readonly random: () => number;
}

export interface SteeringOrder {
  /** Pool ids, most preferred first. */
  readonly pools: readonly string[];
  /** Why this order, for the explain endpoint, e.g. "failover: pools in configured order". */
  readonly reason: string;
}

export type SteeringPolicy = (loadBalancer: LoadBalancer, context: SteeringContext) => SteeringOrder;

/** `failover`: the configured order; the first pool that can serve takes all traffic. */
export const failoverSteering: SteeringPolicy = (loadBalancer) => ({
  pools: loadBalancer.pools,
  reason: "failover: pools in configured order",
});

const POLICIES: Partial<Record<Steering, SteeringPolicy>> = {
  failover: failoverSteering,
};

/**
 * The preference order of `loadBalancer`'s pools for one request.
 * @example steeringOrder(lb, { random: Math.random }).pools[0]
 */
export function steeringOrder(loadBalancer: LoadBalancer, context: SteeringContext): SteeringOrder {
  const policy = POLICIES[loadBalancer.steering];
  if (policy) return policy(loadBalancer, context);
  const order = failoverSteering(loadBalancer, context);
  return {
    pools: order.pools,
    reason: `steering "${loadBalancer.steering}" is not available in this build; pools in configured order`,
  };
}
