/**
 * Which of a pool's stored series still describe the configuration: the scrape hands each pool's
 * PoolState the load balancers that use the pool, with their rules, as of the configuration version
 * it read (`MetricsScope`), and the PoolState deletes the series of any other load balancer, and
 * of rules that no longer exist, for good. It does so only when that version is at least the newest
 * it has heard of (`scopeIsCurrent`): a load balancer created since may already have reported.
 * Pure.
 */

import { poolReferences } from "../config/references.ts";
import type { ConfigSnapshot } from "../config/schema.ts";
import type { Labels } from "./series.ts";

/** The configuration a scrape read, as far as one pool's series go. */
export interface MetricsScope {
  /** The version of the configuration it was taken from. */
  readonly version: number;
  /** Each load balancer that names the pool anywhere, with the names of its rules. */
  readonly loadBalancers: ReadonlyMap<string, readonly string[]>;
}

/**
 * Each pool's scope in `config`, in one pass over the load balancers' pool references.
 * @example poolScopes(config).get("web") // { version: 7, loadBalancers: Map { "shop" => ["maintenance"] } }
 */
export function poolScopes(config: ConfigSnapshot): Map<string, MetricsScope> {
  const users = new Map<string, Map<string, readonly string[]>>();
  for (const pool of config.pools) users.set(pool.id, new Map());
  for (const lb of config.loadBalancers) {
    const rules = lb.rules.map((rule) => rule.name);
    for (const { poolId } of poolReferences(lb)) {
      users.get(poolId)?.set(lb.id, rules);
    }
  }
  const scopes = new Map<string, MetricsScope>();
  for (const [poolId, loadBalancers] of users) {
    scopes.set(poolId, { version: config.version, loadBalancers });
  }
  return scopes;
}

/**
 * `input` if it is a well-formed scope from at least `newestKnown`, else null: a scope from an
 * older configuration (or a malformed one) drops nothing.
 */
export function scopeIsCurrent(input: unknown, newestKnown: number): MetricsScope | null {
  if (typeof input !== "object" || input === null) return null;
  const { version, loadBalancers } = input as Partial<MetricsScope>;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < newestKnown) return null;
  if (!(loadBalancers instanceof Map)) return null;
  for (const rules of loadBalancers.values()) {
    if (!Array.isArray(rules) || !rules.every((rule) => typeof rule === "string")) return null;
  }
  return { version, loadBalancers };
}

/**
 * Whether a series belongs to `scope`: it names no load balancer, or one that uses the pool, and no
 * rule, or one of that load balancer's rules.
 */
export function inScope(scope: MetricsScope, labels: Labels): boolean {
  const loadBalancer = labels.load_balancer;
  if (loadBalancer === undefined) return true;
  const rules = scope.loadBalancers.get(loadBalancer);
  if (rules === undefined) return false;
  return labels.rule === undefined || rules.includes(labels.rule);
}
