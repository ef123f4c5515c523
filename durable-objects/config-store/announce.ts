/**
 * Announces every new configuration version to every pool's PoolState, which hands it to the edges
 * in its snapshots: an edge reads the configuration again when it changed, instead of asking the
 * ConfigStore on a clock (docs/scale.md). Best effort: an announcement that fails is not retried,
 * because the edges also read the configuration at least every 30 s while they serve traffic, and
 * the next change announces again. Bounded parallelism, newest version only.
 */

/** Announcements in flight at once. */
const BATCH = 20;

export interface VersionTarget {
  noteConfigVersion(version: number): Promise<void>;
}

/**
 * Sends `version` to the PoolState of every pool in `poolIds`; never throws.
 * @example await announceVersion(7, ["web", "api"], (id) => env.POOL_STATE.getByName(id));
 */
export async function announceVersion(
  version: number,
  poolIds: readonly string[],
  target: (poolId: string) => VersionTarget,
): Promise<number> {
  let failed = 0;
  for (let start = 0; start < poolIds.length; start += BATCH) {
    const batch = poolIds.slice(start, start + BATCH);
    const results = await Promise.allSettled(batch.map((id) => target(id).noteConfigVersion(version)));
    failed += results.filter((result) => result.status === "rejected").length;
  }
  if (failed > 0) {
    console.log(JSON.stringify({ event: "config_version_announce_failed", version, failed }));
  }
  return failed;
}
