/**
 * Explaining decisions that draw random numbers (random steering, near-tie draws, weighted random
 * balancing, power of two choices). Pure.
 *
 * The explanation must come from the very code that decides, never from a second description of
 * it that could drift. So a randomised decision is run as it is, once with the real random source
 * (one outcome a request could get), and then over an evenly spread set of random inputs: the share
 * of each outcome over that set is the share of requests it gets. Point `i` of `n` feeds the
 * decision `(i + 0.5) / n` as its first random number, which splits [0, 1) exactly, and further
 * numbers from a Kronecker sequence (multiples of irrational steps), which spreads them evenly in
 * every dimension; shares are thus accurate to about `1 / n`. A decision that never asks for a
 * random number is the same for every request and gets one share of 1 without the sweep.
 */
import { z } from "zod";

/** How often one outcome happens, as a fraction of requests (also the explain API's schema of it). */
export const ShareSchema = z
  .object({
    id: z.string().nullable().meta({ description: "A pool id or origin name; null for none (503)." }),
    share: z.number().meta({ description: "Fraction of such requests, 0 to 1, to 3 decimals." }),
  })
  .meta({ description: "How often one outcome of a random draw happens." });
export type Share = Readonly<z.output<typeof ShareSchema>>;

export interface Draw<T> {
  /** The decision made once with the real random source. */
  readonly sample: T;
  /** Whether the decision depends on random numbers at all. */
  readonly random: boolean;
  /** Each outcome's share of requests, largest first (ties by id). */
  readonly shares: readonly Share[];
}

export interface DrawOptions {
  /** The real random source, uniform in [0, 1). */
  readonly random: () => number;
  /** How many evenly spread inputs to run a randomised decision over. */
  readonly points: number;
}

/** Evaluations of a decision per explanation, spread over its points (see `pointsFor`). */
const WORK_BUDGET = 262_144;
const MIN_POINTS = 256;
const MAX_POINTS = 4096;

/** Fractional parts of the square roots of primes: irrational steps, one per further random number. */
const STEPS = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79].map(
  (prime) => Math.sqrt(prime) % 1,
);

/**
 * Runs `decide` once with the real random source and, when it drew random numbers, over `points`
 * evenly spread inputs, counting the outcomes by `idOf`.
 * @example
 * const draw = explainDraw((random) => balancer.pick({ candidates, random }), (c) => c?.name ?? null,
 *   { random: Math.random, points: 1024 });
 * draw.shares; // [{ id: "a", share: 0.75 }, { id: "b", share: 0.25 }]
 */
export function explainDraw<T>(
  decide: (random: () => number) => T,
  idOf: (outcome: T) => string | null,
  options: DrawOptions,
): Draw<T> {
  let drawn = false;
  const sample = decide(() => {
    drawn = true;
    return options.random();
  });
  if (!drawn) return { sample, random: false, shares: [{ id: idOf(sample), share: 1 }] };
  const points = Math.max(1, Math.floor(options.points));
  const counts = new Map<string | null, number>();
  for (let i = 0; i < points; i++) {
    const id = idOf(decide(spreadRandom(i, points)));
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const shares = [...counts]
    .map(([id, count]) => ({ id, share: Math.round((count / points) * 1000) / 1000 }))
    .sort((a, b) => b.share - a.share || String(a.id).localeCompare(String(b.id)));
  return { sample, random: true, shares };
}

/**
 * How many points a sweep may use when one evaluation costs about `work` steps (e.g. the number
 * of candidates), so that large pools are explained in bounded time.
 * @example pointsFor(3) === 4096; pointsFor(1000) === 262
 */
export function pointsFor(work: number): number {
  const per = Math.max(1, work);
  return Math.min(MAX_POINTS, Math.max(MIN_POINTS, Math.floor(WORK_BUDGET / per)));
}

/** The random source of point `index` of `points`: successive calls give its successive coordinates. */
function spreadRandom(index: number, points: number): () => number {
  let dimension = 0;
  return () => {
    const d = dimension++;
    if (d === 0) return (index + 0.5) / points;
    const step = STEPS[(d - 1) % STEPS.length]!;
    // A different offset per dimension keeps repeated steps (past the table) from repeating values.
    return (0.5 + index * step + (d - 1) * 0.618_033_988_749_895) % 1;
  };
}
