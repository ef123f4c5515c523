/**
 * Sending a pool's due probes to its HealthProber(s): the origins the schedule hands out, in calls
 * of at most six, each verdict applied as it arrives (by the prober's callback, or from its answer
 * when the callback failed). A call that fails leaves its origins to be probed when next due.
 */
import type { HealthCheck, Pool } from "../../worker/config/schema.ts";
import type { Env } from "../../worker/env.ts";
import { proberName } from "../health-prober/index.ts";
import type { ProbeFinding } from "./probe.ts";
import type { ProbeSchedule } from "./schedule.ts";

/** Applies one verdict of the given probe generation and region. */
export type ApplyFinding = (generation: number, region: string | null, finding: ProbeFinding) => void;

/**
 * Sends the probes due at `now` and resolves when every call has answered (at most one timeout).
 * @example await sendDueProbes(env, pool, check, schedule, now, apply);
 */
export async function sendDueProbes(
  env: Env,
  pool: Pool,
  check: HealthCheck,
  schedule: ProbeSchedule,
  now: number,
  apply: ApplyFinding,
): Promise<void> {
  // One prober per region, each probing every origin; with no regions, the pool's one prober.
  const regions: (string | null)[] = check.regions.length > 0 ? [...check.regions] : [null];
  const batches = schedule.takeDue(pool.origins, regions, now, check.intervalSeconds * 1000);
  const generation = schedule.generation;
  const calls: Promise<void>[] = [];
  for (const region of regions) {
    const prober = proberOf(env, pool.id, region);
    for (const origins of batches) {
      const names = origins.map((origin) => origin.name);
      calls.push(
        prober
          .probe({ poolId: pool.id, region, generation, origins, check })
          .then((findings) => {
            for (const finding of findings) apply(generation, region, finding);
          })
          .finally(() => schedule.abandon(names, region, generation)),
      );
    }
  }
  await Promise.allSettled(calls);
}

function proberOf(env: Env, poolId: string, region: string | null) {
  const id = env.HEALTH_PROBER.idFromName(proberName(poolId, region));
  return region === null
    ? env.HEALTH_PROBER.get(id)
    : env.HEALTH_PROBER.get(id, { locationHint: region as DurableObjectLocationHint });
}
