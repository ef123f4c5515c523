/** A small, honest microbenchmark loop: warm up, calibrate, take several samples, keep the median. */
import { performance } from "node:perf_hooks";
import { median } from "../lib/stats.ts";

export interface MicroOptions {
  /** Target duration of one sample in ms. */
  sampleMs: number;
  samples: number;
  /**
   * "wall" (default): elapsed time. "cpu": CPU time of the process (user + system), which a busy
   * shared machine inflates less, though it counts V8's helper threads (GC, compiler) too.
   */
  clock?: "wall" | "cpu";
}

/** Keeps results observable so the optimiser cannot drop the measured work. */
export let blackhole = 0;

/**
 * Median nanoseconds per call of `run(i)` (which must do one unit of work for iteration `i` and
 * return a number derived from its result).
 */
export function nsPerOp(run: (i: number) => number, options: MicroOptions): number {
  let iterations = 1;
  // Calibrate (this also warms up): grow until one batch takes a tenth of a sample.
  const timeBatch = options.clock === "cpu" ? cpuBatch : wallBatch;
  for (;;) {
    const elapsed = timeBatch(run, iterations);
    if (elapsed >= options.sampleMs / 10 || iterations >= 2 ** 30) {
      iterations = Math.max(1, Math.round((iterations * options.sampleMs) / Math.max(elapsed, 1e-3)));
      break;
    }
    iterations *= 4;
  }
  timeBatch(run, iterations);
  const perOp: number[] = [];
  for (let s = 0; s < options.samples; s++) perOp.push((timeBatch(run, iterations) * 1e6) / iterations);
  return median(perOp);
}

/** Milliseconds elapsed running `run` `iterations` times. */
function wallBatch(run: (i: number) => number, iterations: number): number {
  let sink = 0;
  const start = performance.now();
  for (let i = 0; i < iterations; i++) sink += run(i);
  const elapsed = performance.now() - start;
  blackhole += sink;
  return elapsed;
}

/** Milliseconds of the process's CPU time running `run` `iterations` times. */
function cpuBatch(run: (i: number) => number, iterations: number): number {
  let sink = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) sink += run(i);
  const { user, system } = process.cpuUsage(start);
  blackhole += sink;
  return (user + system) / 1000;
}
