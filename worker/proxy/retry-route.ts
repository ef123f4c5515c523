/**
 * Where the next attempt of a request goes. Never to an origin the request already tried; first the
 * usable origins left in the pool of the first attempt, then the other pools of the load balancer in
 * their configured order (those that can serve), then its fallback pool with its health ignored. So a
 * retryable request fails only when no origin of the load balancer is left to try.
 */
import type { Candidate } from "../balancing/types.ts";
import type { LoadBalancer, Pool } from "../config/schema.ts";
import { fallbackPoolCandidates, poolCandidatesHere } from "../edge/pool-view.ts";

export interface NextTarget {
  readonly pool: Pool;
  readonly candidates: readonly Candidate[];
}

export class RetryRoute {
  readonly #loadBalancer: LoadBalancer;
  readonly #first: Pool;
  readonly #pools: ReadonlyMap<string, Pool>;
  readonly #tried = new Map<string, Set<string>>();

  /** @param pools every pool of the configuration by id; without it, retries stay in `first`. */
  constructor(loadBalancer: LoadBalancer, first: Pool, pools?: ReadonlyMap<string, Pool>) {
    this.#loadBalancer = loadBalancer;
    this.#first = first;
    this.#pools = pools ?? new Map([[first.id, first]]);
  }

  /** Records an attempt to `origin` of `pool`. */
  markTried(pool: Pool, origin: string): void {
    let tried = this.#tried.get(pool.id);
    if (!tried) {
      tried = new Set();
      this.#tried.set(pool.id, tried);
    }
    tried.add(origin);
  }

  /** How many origins the request could reach at most (for deciding whether to keep its body). */
  originCount(): number {
    let count = 0;
    for (const pool of this.#order()) count += pool.origins.length;
    return count;
  }

  /**
   * The pool and candidates of the next attempt, or null when every origin worth trying was tried.
   * @example const next = route.next(Date.now());
   */
  next(now: number): NextTarget | null {
    const fallbackId = this.#loadBalancer.fallbackPool;
    for (const pool of this.#order()) {
      const tried = this.#tried.get(pool.id);
      const view = poolCandidatesHere(pool, now, tried);
      if (view.candidates.length > 0 && (pool === this.#first || view.reason === null)) {
        return { pool, candidates: view.candidates };
      }
      if (pool.id === fallbackId) {
        const candidates = fallbackPoolCandidates(pool, now, tried);
        if (candidates.length > 0) return { pool, candidates };
      }
    }
    return null;
  }

  /** The first attempt's pool, then the load balancer's pools in order, then its fallback pool. */
  *#order(): Generator<Pool> {
    const seen = new Set<string>();
    const ids = [this.#first.id, ...this.#loadBalancer.pools, this.#loadBalancer.fallbackPool];
    for (const id of ids) {
      if (id === null || seen.has(id)) continue;
      seen.add(id);
      const pool = id === this.#first.id ? this.#first : this.#pools.get(id);
      if (pool) yield pool;
    }
  }
}
