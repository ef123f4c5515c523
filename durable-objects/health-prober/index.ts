import { DurableObject } from "cloudflare:workers";
import type { HealthCheck, Origin } from "../../worker/config/schema.ts";
import type { Env } from "../../worker/env.ts";
import type { ProbeFinding } from "../pool-state/probe.ts";

/** One call's work: probe these origins of a pool with this check, and say each verdict at once. */
export interface ProbeJob {
  readonly poolId: string;
  /** The region this prober stands for; null for a pool with one prober. */
  readonly region: string | null;
  /** The PoolState's probe generation; a verdict of an older generation is dropped there. */
  readonly generation: number;
  /** At most `MAX_CONCURRENT_PROBES`. */
  readonly origins: readonly Origin[];
  readonly check: HealthCheck;
}

/**
 * Sends a pool's health probes, for its PoolState. Memory only, no state of its own: one object per
 * pool and region (`proberName`), placed with the region's location hint when the check names
 * regions. Every call is its own invocation with its own connections, so the PoolState spreads a
 * pool of any size over calls of at most `MAX_CONCURRENT_PROBES` origins, and a round takes one
 * timeout however many origins are blackholed. Each verdict goes back to the PoolState the moment
 * its probe ends (`PoolState.probed`), and the call's answer repeats them all, for the verdicts whose
 * delivery failed. The probing code (and the configuration schemas behind it) loads on the first
 * call, so an isolate that only proxies never evaluates it (bench/RESULTS.md, section 6).
 */
export class HealthProber extends DurableObject<Env> {
  async probe(job: ProbeJob): Promise<ProbeFinding[]> {
    const [{ parseExpectedCodes }, { MAX_CONCURRENT_PROBES, probeOrigin }] = await Promise.all([
      import("../../worker/health/probe-result.ts"),
      import("../pool-state/probe.ts"),
    ]);
    const origins = job.origins.slice(0, MAX_CONCURRENT_PROBES);
    const matches = parseExpectedCodes(job.check.expectedCodes);
    const owner = this.env.POOL_STATE.getByName(job.poolId);
    return Promise.all(
      origins.map(async (origin) => {
        const finding = await probeOrigin(origin, job.check, matches, job.region);
        // The answer carries it too: a verdict whose delivery fails here is applied from there.
        await owner.probed(job.generation, job.region, finding).catch(() => undefined);
        return finding;
      }),
    );
  }
}

/**
 * The name of the prober object of a pool and region.
 * @example proberName("web", "weur") === "web@weur"; proberName("web", null) === "web"
 */
export function proberName(poolId: string, region: string | null): string {
  return region === null ? poolId : `${poolId}@${region}`;
}
