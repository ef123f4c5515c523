/**
 * Maglev lookup table (Eisenbud et al., NSDI 2016) with weights. Pure: no runtime imports.
 *
 * Every origin owns a pseudo-random permutation of the table's slots, derived from its name only;
 * origins take turns claiming their next free preferred slot until the table is full. Weights set how
 * many turns each origin gets (its share of the slots, exact to within one slot however skewed the
 * weights are), and the turns are interleaved evenly (see `turnOrder`). The build costs O(M + N log N)
 * plus about M ln M slot probes: a few milliseconds for any pool size, measured.
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
 * @example maglevTableSize(3) // 1031
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
  const turns = turnOrder(slotCounts, size);
  for (let turn = 0; turn < turns.length; turn++) {
    const i = turns[turn]!;
    let slot = position[i]!;
    const step = skip[i]!;
    while (owners[slot] !== NO_OWNER) {
      slot += step;
      if (slot >= size) slot -= size;
    }
    owners[slot] = i;
    slot += step;
    position[i] = slot >= size ? slot - size : slot;
  }
  return { size, owners, slotCounts };
}

/**
 * Slots per origin: `size` split in proportion to the weights by largest remainder (ties to the
 * lower index), so the counts sum to `size` and each is within one of its exact share.
 */
function slotQuotas(origins: readonly BalancerOrigin[], size: number): Uint32Array {
  const quotas = new Uint32Array(origins.length);
  let total = 0;
  for (const { weight } of origins) if (weight > 0 && Number.isFinite(weight)) total += weight;
  if (!(total > 0)) return quotas;
  const remainders: { index: number; fraction: number }[] = [];
  let assigned = 0;
  origins.forEach(({ weight }, index) => {
    if (!(weight > 0) || !Number.isFinite(weight)) return;
    const exact = (size * weight) / total;
    const whole = Math.min(size, Math.floor(exact));
    quotas[index] = whole;
    assigned += whole;
    remainders.push({ index, fraction: exact - whole });
  });
  remainders.sort((a, b) => b.fraction - a.fraction || a.index - b.index);
  for (let k = 0; assigned < size; k = (k + 1) % remainders.length, assigned++) {
    quotas[remainders[k]!.index]!++;
  }
  return quotas;
}

/**
 * The order in which origins claim slots: origin i takes its turns evenly spread over one pass,
 * turn k at time (k + 1/2) / quota_i, so every origin advances through its preferences at the same
 * relative pace whatever its weight (the interleaving Maglev's balance and low disruption rely on).
 * A counting sort over `size` time buckets orders the `size` turns in O(size + origins).
 */
function turnOrder(quotas: Uint32Array, size: number): Int32Array {
  const starts = new Int32Array(size + 1);
  for (let i = 0; i < quotas.length; i++) {
    const quota = quotas[i]!;
    for (let k = 0; k < quota; k++) starts[Math.floor(((k + 0.5) / quota) * size) + 1]!++;
  }
  for (let b = 0; b < size; b++) starts[b + 1]! += starts[b]!;
  const order = new Int32Array(starts[size]!);
  for (let i = 0; i < quotas.length; i++) {
    const quota = quotas[i]!;
    for (let k = 0; k < quota; k++) order[starts[Math.floor(((k + 0.5) / quota) * size)]!++] = i;
  }
  return order;
}

function isPrime(value: number): boolean {
  if (!Number.isInteger(value) || value < 2) return false;
  for (let d = 2; d * d <= value; d++) if (value % d === 0) return false;
  return true;
}
