/**
 * Which origins of a pool may take a request right now, as balancing candidates. The one place
 * that decides usability at the edge, so every rule about it (enabled, weight, backups) reads in
 * one function.
 */
import type { Candidate } from "../balancing/types.ts";
import type { Pool } from "../config/schema.ts";
import { originCounters } from "./outcomes.ts";

const NONE: ReadonlySet<string> = new Set();

/**
 * The usable origins of `pool`, in pool order: enabled, weight > 0 and not in `exclude` (origins
 * this request already tried). Backup origins are used only when no primary one is usable.
 * @param _now the current time in ms, for rules that depend on time
 * @example usableCandidates(pool, Date.now(), new Set(["eu-1"]))
 */
export function usableCandidates(pool: Pool, _now: number, exclude: ReadonlySet<string> = NONE): Candidate[] {
  const primaries: Candidate[] = [];
  const backups: Candidate[] = [];
  pool.origins.forEach((origin, index) => {
    if (!origin.enabled || origin.weight <= 0 || exclude.has(origin.name)) return;
    const counters = originCounters(pool.id, origin.name);
    const candidate: Candidate = {
      name: origin.name,
      index,
      weight: origin.weight,
      inflight: counters?.inflight ?? 0,
      latencyMs: counters?.latencyMs ?? null,
    };
    (origin.backup ? backups : primaries).push(candidate);
  });
  return primaries.length > 0 ? primaries : backups;
}
