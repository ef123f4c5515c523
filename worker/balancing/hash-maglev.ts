/**
 * Maglev lookup table (Eisenbud et al., NSDI 2016) with weights. Pure: no runtime imports.
 *
 * Every origin owns a pseudo-random permutation of the table's slots, derived from its name only;
 * origins take turns claiming their next free preferred slot until the table is full. Weights set how
 * many turns each origin gets (its share of the slots, exact to within one slot however skewed the
 * weights are), and the turns are interleaved evenly (`turnOrder`, maglev-turns.ts). The build costs O(M + N) plus
 * about M ln(M) / 2 slot probes (`claimSlots`), in typed arrays without per-origin objects or sorts;
 * bench/RESULTS.md ("Decision cost") has the measured time of a pool's first request.
 *
 * The table size follows the pool's size (`maglevTableSize`): 4099 slots (8 KiB, at least 100 per
 * origin, as the Maglev paper's M >= 100 N) up to 40 origins, 16411 slots (32 KiB; 16 per origin at
 * the 1000 maximum) above. A permutation depends on the name and the size only, so adding or removing
 * an origin never reshuffles the others' preferences, except when a pool crosses from 40 to 41 origins
 * (or back), where every key is re-placed once. A fixed 65537-slot table, kept before, cost 128 KiB and
 * 1.5-3 ms of CPU per pool and isolate whatever the pool's size; the smaller table moves a little more
 * than the minimum when the origin list changes (one of 20 origins removed: 6.8 % of keys moved
 * instead of 5.3 %, the removed origin's share being 5.0 %).
 */
import { hash32 } from "./hash-string.ts";
import { turnOrder } from "./maglev-turns.ts";
import type { BalancerOrigin } from "./types.ts";

/**
 * Table sizes a pool can get: primes (every skip in [1, M-1] walks all slots). Two, so that the one
 * step where every key is re-placed (40 to 41 origins) is rare in practice.
 */
export const MAGLEV_TABLE_SIZES: readonly number[] = [4099, 16411];

/** Slots per origin a table aims for: weights are honoured to within one slot of this share. */
export const SLOTS_PER_ORIGIN = 100;

/**
 * The table size of a pool of `originCount` origins: the smallest listed prime with at least
 * `SLOTS_PER_ORIGIN` slots per origin, else the largest.
 * @example maglevTableSize(3) // 4099
 */
export function maglevTableSize(originCount: number): number {
  for (const size of MAGLEV_TABLE_SIZES) if (size >= originCount * SLOTS_PER_ORIGIN) return size;
  return MAGLEV_TABLE_SIZES[MAGLEV_TABLE_SIZES.length - 1]!;
}

/** Marks an unowned slot; origin indexes stay below it (pools hold at most 1000 origins). */
export const NO_OWNER = 0xffff;

const OFFSET_SEED = 0x5bd1e995;
const SKIP_SEED = 0x27d4eb2f;

export interface MaglevTable {
  /** Number of slots (prime). */
  readonly size: number;
  /** Origin index owning each slot, `NO_OWNER` when no origin has a positive weight. */
  readonly owners: Uint16Array;
  /** Slots owned per origin index, in the order of the origins given to the build. */
  readonly slotCounts: Uint32Array;
}

/**
 * Builds the table over `origins` (all of a pool's origins, in pool order). Weight 0 owns no slot.
 * @example const table = buildMaglevTable([{ name: "a", weight: 1 }, { name: "b", weight: 3 }]);
 */
export function buildMaglevTable(
  origins: readonly BalancerOrigin[],
  size: number = maglevTableSize(origins.length),
): MaglevTable {
  if (origins.length >= NO_OWNER) throw new RangeError(`at most ${NO_OWNER - 1} origins`);
  if (!isPrime(size)) throw new RangeError("the table size must be prime");
  const n = origins.length;
  const owners = new Uint16Array(size).fill(NO_OWNER);
  const slotCounts = slotQuotas(origins, size);
  const position = new Int32Array(n);
  const skip = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (slotCounts[i] === 0) continue;
    const name = origins[i]!.name;
    position[i] = hash32(name, OFFSET_SEED) % size;
    skip[i] = (hash32(name, SKIP_SEED) % (size - 1)) + 1;
  }
  claimSlots(owners, turnOrder(slotCounts, size), position, skip);
  return { size, owners, slotCounts };
}

/**
 * Gives every turn its origin's next free preferred slot. Probing costs about M / (free slots) per
 * turn, so nearly all of it falls on the last few turns; once at most sqrt(M) slots are free, the
 * free slots are listed instead and each turn takes the one that comes first in its origin's
 * permutation (its rank there is (slot - position) / skip mod M): the same slot probing would reach,
 * for about a third of the probes (measured: 143,000 probes for 16,411 slots, 63,000 with the list).
 */
function claimSlots(owners: Uint16Array, turns: Uint16Array, position: Int32Array, skip: Int32Array): void {
  const size = owners.length;
  const count = turns.length;
  const probed = Math.max(0, count - Math.ceil(Math.sqrt(size)));
  let turn = 0;
  for (; turn < probed; turn++) {
    const i = turns[turn]!;
    const step = skip[i]! - size;
    let slot = position[i]!;
    while (owners[slot] !== NO_OWNER) {
      slot += step;
      slot += size & (slot >> 31); // wraps without a branch: slot + skip - size, plus size if negative
    }
    owners[slot] = i;
    slot += step;
    position[i] = slot + (size & (slot >> 31));
  }
  if (turn >= count) return;
  const free = new Int32Array(count - turn);
  let freeCount = 0;
  for (let slot = 0; slot < size; slot++) if (owners[slot] === NO_OWNER) free[freeCount++] = slot;
  for (; turn < count; turn++) {
    const i = turns[turn]!;
    const start = position[i]!;
    const inverse = modularInverse(skip[i]!, size);
    let best = 0;
    let bestRank = size;
    for (let f = 0; f < freeCount; f++) {
      let offset = free[f]! - start;
      offset += size & (offset >> 31);
      const rank = (offset * inverse) % size; // both below 2^15: the product stays a small integer
      if (rank < bestRank) {
        bestRank = rank;
        best = f;
      }
    }
    const slot = free[best]!;
    owners[slot] = i;
    free[best] = free[--freeCount]!;
    const next = slot + skip[i]! - size;
    position[i] = next + (size & (next >> 31));
  }
}

/** The inverse of `value` modulo the prime `modulus` (extended Euclid). */
function modularInverse(value: number, modulus: number): number {
  let r0 = modulus;
  let r1 = value;
  let t0 = 0;
  let t1 = 1;
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    const r = r0 - q * r1;
    r0 = r1;
    r1 = r;
    const t = t0 - q * t1;
    t0 = t1;
    t1 = t;
  }
  return t0 < 0 ? t0 + modulus : t0;
}

/**
 * Slots per origin: `size` split in proportion to the weights by largest remainder (ties to the
 * lower index), so the counts sum to `size` and each is within one of its exact share. The slots
 * left after the whole parts go to the largest fractions: those above the cut-off fraction, then
 * those equal to it by index; the cut-off is found by bucketing the fractions (no sort of all).
 */
function slotQuotas(origins: readonly BalancerOrigin[], size: number): Uint32Array {
  const n = origins.length;
  const quotas = new Uint32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const weight = origins[i]!.weight;
    if (weight > 0 && Number.isFinite(weight)) total += weight;
  }
  if (!(total > 0)) return quotas;
  // Schema weights (at most 1000) never overflow `size * weight`; absurd ones are divided first.
  const scaled = !Number.isFinite(size * total);
  const fractions = new Float64Array(n).fill(-1);
  let assigned = 0;
  let positive = 0;
  for (let i = 0; i < n; i++) {
    const weight = origins[i]!.weight;
    if (!(weight > 0) || !Number.isFinite(weight)) continue;
    const exact = scaled ? size * (weight / total) : (size * weight) / total;
    const whole = Math.min(size, Math.floor(exact));
    quotas[i] = whole;
    assigned += whole;
    fractions[i] = exact - whole;
    positive++;
  }
  let left = size - assigned;
  if (left <= 0) return quotas;
  // More slots left than origins (only through rounding): every origin gets the full rounds first.
  const rounds = Math.floor(left / positive);
  if (rounds > 0) for (let i = 0; i < n; i++) if (fractions[i]! >= 0) quotas[i]! += rounds;
  left -= rounds * positive;
  if (left === 0) return quotas;
  const cut = cutOff(fractions, left);
  for (let i = 0; i < n; i++) {
    if (fractions[i]! > cut) {
      quotas[i]!++;
      left--;
    }
  }
  for (let i = 0; i < n && left > 0; i++) {
    if (fractions[i] === cut) {
      quotas[i]!++;
      left--;
    }
  }
  return quotas;
}

/** The `rank`-th largest of `values` (fractions in [0, 1); negative ones are ignored). */
function cutOff(values: Float64Array, rank: number): number {
  const n = values.length;
  const buckets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) if (values[i]! >= 0) buckets[Math.min(n - 1, Math.floor(values[i]! * n))]!++;
  let bucket = n - 1;
  let above = 0;
  while (above + buckets[bucket]! < rank) above += buckets[bucket--]!;
  const inBucket = new Float64Array(buckets[bucket]!);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i]!;
    if (value >= 0 && Math.min(n - 1, Math.floor(value * n)) === bucket) inBucket[k++] = value;
  }
  // Equal weights give equal fractions: then there is nothing to sort.
  if (inBucket[0] !== inBucket[k - 1] || inBucket.some((value) => value !== inBucket[0])) inBucket.sort();
  return inBucket[k - (rank - above)]!;
}

function isPrime(value: number): boolean {
  if (!Number.isInteger(value) || value < 2) return false;
  for (let d = 2; d * d <= value; d++) if (value % d === 0) return false;
  return true;
}
