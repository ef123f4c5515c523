/**
 * Garbage-collector pauses of one isolate, read from a V8 CPU profile taken while the isolate
 * serves a steady request rate: a pause is a run of consecutive samples in "(garbage collector)",
 * "(program)" samples in between included (the sampler's own thread interleaves with the GC's),
 * ended by any other frame. The isolate cannot answer anything during a pause, so the longest
 * pauses bound the tail latency a steady load sees from this isolate.
 */
import type { CpuProfile } from "./inspector.ts";

export interface GcPauses {
  /** Share of all samples spent in the garbage collector. */
  share: number;
  /** Pauses of at least `longMs`. */
  long: number;
  /** The longest pause, ms (from its first GC sample to its last). */
  longestMs: number;
  /** The profile's wall time, ms. */
  spanMs: number;
}

/**
 * The GC pauses of `profile`; `longMs` is what counts as a long pause.
 * @example const { longestMs } = gcPauses(profile, 5);
 */
export function gcPauses(profile: CpuProfile, longMs: number): GcPauses {
  const names = new Map(profile.nodes.map((node) => [node.id, node.callFrame.functionName]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let t = 0;
  let gcSamples = 0;
  let runStart: number | null = null;
  let runEnd = 0;
  const pauses: number[] = [];
  const endRun = () => {
    if (runStart !== null) pauses.push((runEnd - runStart) / 1000);
    runStart = null;
  };
  for (let i = 0; i < samples.length; i++) {
    t += deltas[i] ?? 0;
    const name = names.get(samples[i] as number);
    if (name === "(garbage collector)") {
      gcSamples++;
      runStart ??= t;
      runEnd = t;
    } else if (name !== "(program)") {
      endRun();
    }
  }
  endRun();
  return {
    share: samples.length === 0 ? 0 : gcSamples / samples.length,
    long: pauses.filter((ms) => ms >= longMs).length,
    longestMs: pauses.reduce((a, b) => Math.max(a, b), 0),
    spanMs: t / 1000,
  };
}
