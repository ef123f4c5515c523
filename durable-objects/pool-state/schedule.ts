/**
 * When each origin of a pool is probed next, and the guards of the PoolState's alarm chain and
 * configuration deliveries. Every origin has its own due time, `intervalSeconds`
 * after its previous probe was sent, whatever the pool size: there are no rounds that wait for
 * their slowest probe. A probe still running is never sent again; a verdict arriving for a probe the
 * schedule no longer expects (configuration changed meanwhile) is dropped. Memory only: after a
 * restart, due times start from each origin's last check.
 */
import type { Origin, Pool } from "../../worker/config/schema.ts";
import { MAX_CONCURRENT_PROBES } from "./probe.ts";

/** A probe sent slightly early still counts as on time, so one alarm serves origins due together. */
export const DUE_SLACK_MS = 50;

export class ProbeSchedule {
  #due = new Map<string, number>();
  /** Probes on their way: origin name (and region) → the generation they were sent in. */
  #running = new Map<string, number>();
  #generation = 0;

  get generation(): number {
    return this.#generation;
  }

  /** Forgets everything planned and running: every origin is due now, running probes are void. */
  restart(): void {
    this.#generation++;
    this.#due.clear();
    this.#running.clear();
  }

  /** Sets an origin's next probe from its last check (after a restart of the object). */
  seed(name: string, lastCheckAt: number | null, intervalMs: number): void {
    if (lastCheckAt !== null && !this.#due.has(name)) this.#due.set(name, lastCheckAt + intervalMs);
  }

  /** Drops origins the pool no longer has. */
  keep(names: ReadonlySet<string>): void {
    for (const name of this.#due.keys()) if (!names.has(name)) this.#due.delete(name);
  }

  /**
   * Takes the origins due at `now` that have no probe running, marks them running and due again an
   * interval from now, and returns them in batches of at most `MAX_CONCURRENT_PROBES`.
   */
  takeDue(
    origins: readonly Origin[],
    regions: readonly (string | null)[],
    now: number,
    intervalMs: number,
  ): Origin[][] {
    const due: Origin[] = [];
    for (const origin of origins) {
      if ((this.#due.get(origin.name) ?? 0) > now + DUE_SLACK_MS) continue;
      if (regions.some((region) => this.#running.has(key(origin.name, region)))) continue;
      this.#due.set(origin.name, now + intervalMs);
      for (const region of regions) this.#running.set(key(origin.name, region), this.#generation);
      due.push(origin);
    }
    const batches: Origin[][] = [];
    for (let start = 0; start < due.length; start += MAX_CONCURRENT_PROBES) {
      batches.push(due.slice(start, start + MAX_CONCURRENT_PROBES));
    }
    return batches;
  }

  /**
   * Accepts the verdict of a running probe once: true when it belongs to this generation and was not
   * accepted before (it arrives by callback and again in the prober's answer).
   */
  settle(name: string, region: string | null, generation: number): boolean {
    const k = key(name, region);
    if (generation !== this.#generation || this.#running.get(k) !== generation) return false;
    this.#running.delete(k);
    return true;
  }

  /** Gives up on probes whose prober call failed: they are sent again when next due. */
  abandon(names: readonly string[], region: string | null, generation: number): void {
    if (generation !== this.#generation) return;
    for (const name of names) this.#running.delete(key(name, region));
  }

  /** Whether any probe is on its way. */
  get busy(): boolean {
    return this.#running.size > 0;
  }

  /** When the next of `origins` is due: `now` for one never probed. */
  nextDue(origins: readonly Origin[], now: number): number {
    let next = Number.POSITIVE_INFINITY;
    for (const origin of origins) next = Math.min(next, this.#due.get(origin.name) ?? now);
    return Number.isFinite(next) ? next : now;
  }
}

function key(name: string, region: string | null): string {
  return region === null ? name : `${name}\u0000${region}`;
}

/**
 * An alarm chain silent for `WATCHDOG_INTERVALS` intervals (at least `WATCHDOG_MIN_MS`) is taken as
 * broken (an alarm that failed too often is not retried any more): the next report or snapshot
 * re-arms it.
 */
export const WATCHDOG_INTERVALS = 3;
export const WATCHDOG_MIN_MS = 30_000;

export class AlarmWatchdog {
  /** When an alarm last ran; null until the first look. */
  #lastAt: number | null = null;

  ran(now: number): void {
    this.#lastAt = now;
  }

  /** Whether the chain looks broken at `now`; if so, counts the re-arm as a run. */
  broken(now: number, intervalSeconds: number): boolean {
    this.#lastAt ??= now;
    const limit = Math.max(WATCHDOG_MIN_MS, WATCHDOG_INTERVALS * intervalSeconds * 1000);
    if (now - this.#lastAt <= limit) return false;
    this.#lastAt = now;
    return true;
  }
}

/**
 * Whether a configuration delivered now is older than what the PoolState applied (`applied`) or
 * deleted (`deleted`): deliveries may arrive late or twice, and such a one must change nothing.
 * Logged when it is.
 */
export function isStaleConfiguration(
  pool: { readonly id: string; readonly version: number },
  applied: number | null,
  deleted: number | null,
): boolean {
  const stale = applied !== null ? pool.version < applied : deleted !== null && pool.version <= deleted;
  if (stale) {
    const newest = applied ?? deleted;
    console.log(
      JSON.stringify({
        event: "pool_state_stale_configuration",
        pool: pool.id,
        version: pool.version,
        applied: newest,
        message: `configuration version ${pool.version} ignored: version ${newest} was applied or deleted already`,
      }),
    );
  }
  return stale;
}

/**
 * Everything the probes of a pool depend on: another key makes the running probes' results
 * obsolete and every origin due at once.
 */
export function probeKey(pool: Pool): string {
  return JSON.stringify({
    check: pool.healthCheck,
    origins: pool.origins.map((o) => [o.name, o.address, o.hostHeader, o.headers]),
  });
}
