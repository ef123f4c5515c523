/**
 * The isolate's copy of each pool's PoolState snapshot (health, ejections, in-flight sums), with the
 * read cadence of each pool (worker/edge/cadence.ts): when this isolate last heard, whether a call
 * runs, the backoff after failures, the pool's request rate here. Written by the calls that answer
 * with a snapshot (reads and reports alike, reports.ts) and by the location tier (location-tier.ts).
 * Module scope holds plain data only.
 */
import type { PoolSnapshot } from "../health/types.ts";
import { ReadCadence } from "./cadence.ts";
import { noteConfigVersion } from "./config-cache.ts";

export interface PoolEntry {
  snapshot: PoolSnapshot | null;
  /** When the snapshot held was built by its PoolState (0: none yet). */
  builtAt: number;
  readonly cadence: ReadCadence;
  /** Whether a request already waited for this pool's first snapshot. */
  waited: boolean;
  /**
   * The earliest end of an ejection (the PoolState's or this isolate's) later than the snapshot's
   * build time: once it passes, the snapshot is due for a read (health/edge-view.ts `heldForNews`).
   */
  lapseAt: number | null;
}

const entries = new Map<string, PoolEntry>();

/** Drops the snapshots of pools not in `poolIds`; returns how many this isolate still holds. */
export function forgetPoolSnapshots(poolIds: ReadonlySet<string>): number {
  for (const id of entries.keys()) if (!poolIds.has(id)) entries.delete(id);
  return entries.size;
}

/** The snapshot this isolate holds for a pool, without triggering anything; null when none. */
export function peekPoolSnapshot(poolId: string): PoolSnapshot | null {
  return entries.get(poolId)?.snapshot ?? null;
}

/** Age in ms of the last word from a pool's PoolState, or null when there was none. */
export function poolSnapshotAgeMs(poolId: string, now = Date.now()): number | null {
  const entry = entries.get(poolId);
  return entry && entry.cadence.heardAt > 0 ? now - entry.cadence.heardAt : null;
}

/**
 * Installs what a PoolState answered (a read or a report). A snapshot older than the one held is
 * ignored (answers may arrive out of order); null means the PoolState does not know the pool (yet).
 */
export function acceptPoolSnapshot(poolId: string, snapshot: PoolSnapshot | null, now: number): void {
  const entry = poolEntry(poolId);
  entry.cadence.succeeded(now);
  if (snapshot === null) {
    entry.snapshot = null;
    entry.builtAt = 0;
    return;
  }
  adoptPoolSnapshot(entry, snapshot);
}

/** Takes `snapshot` when it is newer than the one held. */
export function adoptPoolSnapshot(entry: PoolEntry, snapshot: PoolSnapshot): boolean {
  if (entry.snapshot && snapshot.at < entry.snapshot.at) return false;
  if (typeof snapshot.configVersion === "number") noteConfigVersion(snapshot.configVersion);
  entry.snapshot = snapshot;
  entry.builtAt = snapshot.at;
  let lapseAt = entry.lapseAt !== null && entry.lapseAt > snapshot.at ? entry.lapseAt : null;
  for (const name in snapshot.origins) {
    const until = snapshot.origins[name]?.ejectedUntil ?? null;
    if (until !== null && until > snapshot.at && (lapseAt === null || until < lapseAt)) lapseAt = until;
  }
  entry.lapseAt = lapseAt;
  return true;
}

/** Notes an ejection this isolate decided, ending at `until`: the pool's snapshot is read once it ends. */
export function notePoolEjectionEnd(poolId: string, until: number): void {
  const entry = poolEntry(poolId);
  if (until > entry.builtAt && (entry.lapseAt === null || until < entry.lapseAt)) entry.lapseAt = until;
}

/** Backs a pool's calls off after a failed call to its PoolState (a read or a report). */
export function notePoolStateFailure(poolId: string, now: number): void {
  poolEntry(poolId).cadence.failed(now);
}

/** Whether a call for the pool may start now (none runs, no backoff holds it). */
export function poolCallAllowed(poolId: string, now: number): boolean {
  return poolEntry(poolId).cadence.mayStart(now);
}

export function poolEntry(poolId: string): PoolEntry {
  let entry = entries.get(poolId);
  if (!entry) {
    entry = { snapshot: null, builtAt: 0, cadence: new ReadCadence(), waited: false, lapseAt: null };
    entries.set(poolId, entry);
  }
  return entry;
}
