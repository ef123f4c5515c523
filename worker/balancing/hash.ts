/**
 * `hash`: consistent hashing of a request key (client ip, path, a header, cookie or query value)
 * over the pool's origins. Pure: no runtime imports.
 *
 * Why Maglev rather than a ketama ring: a lookup is one string hash and one array read, O(1) at any
 * pool size, where a ring needs a binary search; weights are honoured to within one slot of the table
 * (at least 16 slots per origin, 100 up to 164 origins), where a ring's share error only shrinks as
 * 1/sqrt(virtual nodes per origin) (about 8 % at the classic 160 points), so a ring that respects
 * weights well needs hundreds of thousands of points for a 1000-origin pool. Maglev's cost is a slightly-more-than-minimal disruption when the origin list
 * itself changes (see test/unit/balancing/hash.test.ts for the bounds), and a full re-placement when
 * the pool crosses one of the table-size steps of `maglevTableSize`.
 * An origin going down, the frequent case, disrupts nobody else (see below).
 *
 * The table is built over ALL of the pool's origins once per pool version, lazily: on the first pick or
 * `home()` lookup, so a pool that never hashes a key never pays for it. When the key's slot belongs
 * to an origin that is not a candidate right now (down, ejected, disabled), the lookup walks on along
 * the key's own probe sequence (double hashing over the table) to the next slot whose owner is a
 * candidate. Keys of the other origins never move, and the keys of the missing origin spread over the
 * rest in proportion to their slots; they return home as soon as it is a candidate again.
 *
 * Weights are the configured ones at build time: slow start, which scales the effective weight, does
 * not change which origin a key belongs to. An origin whose weight is so small relative to the others
 * that it owns no slot receives hashed traffic only through the fallback below.
 */
import { buildMaglevTable, type MaglevTable, maglevTableSize, NO_OWNER } from "./hash-maglev.ts";
import { fmix32, hash32 } from "./hash-string.ts";
import type { Balancer, BalancerOrigin, Candidate, PickInput } from "./types.ts";

const KEY_SEED = 0x9747b28c;
const STEP_MIX = 0x2545f491;
const RENDEZVOUS_SEED = 0x68e31da4;

export interface HashBalancer extends Balancer {
  /**
   * The origin a key belongs to when every origin is up (its first preference), or undefined when no
   * origin has a positive weight. Session affinity by header or ip pins to this origin.
   */
  home(key: string): string | undefined;
  /** Bytes the table takes once built (0 before the first lookup builds it). */
  tableBytes(): number;
}

export interface HashBalancerOptions {
  /** Table size (prime); tests pin one, production sizes it to the pool (`maglevTableSize`). */
  readonly tableSize?: number;
}

/**
 * Builds a consistent-hashing balancer over all of a pool's origins (in pool order).
 * @example
 * const balancer = createHashBalancer(pool.origins);
 * balancer.pick({ candidates, key: clientIp, random: Math.random });
 */
export function createHashBalancer(
  origins: readonly BalancerOrigin[],
  options: HashBalancerOptions = {},
): HashBalancer {
  const size = options.tableSize ?? maglevTableSize(origins.length);
  const names = origins.map((origin) => origin.name);
  // Expected probes to reach a candidate are M / (slots of candidates), about N / |candidates|; past
  // this bound (a vanishing chance unless the candidates own no slot) rendezvous hashing decides.
  const maxProbes = Math.min(size, 8 * origins.length + 64);
  let table: MaglevTable | null = null;
  const built = (): MaglevTable => {
    table ??= buildMaglevTable(origins, size);
    return table;
  };
  return {
    pick: (input) => lookup(built(), names, maxProbes, input),
    home(key) {
      const { owners } = built();
      const owner = owners[hash32(key, KEY_SEED) % size]!;
      return owner === NO_OWNER ? undefined : names[owner];
    },
    tableBytes: () => (table ? table.owners.byteLength + table.slotCounts.byteLength : 0),
  };
}

function lookup(
  table: MaglevTable,
  names: readonly string[],
  maxProbes: number,
  { candidates, key }: PickInput,
): Candidate | undefined {
  const count = candidates.length;
  if (count <= 1) return candidates[0];
  const hash = hash32(key ?? "", KEY_SEED);
  const size = table.size;
  const owners = table.owners;
  let slot = hash % size;
  const step = (fmix32(hash ^ STEP_MIX) % (size - 1)) + 1;
  for (let probe = 0; probe < maxProbes; probe++) {
    const owner = owners[slot]!;
    if (owner !== NO_OWNER) {
      const found = candidateAt(candidates, owner, names[owner]!);
      if (found) return found;
    }
    slot += step;
    if (slot >= size) slot -= size;
  }
  return rendezvous(candidates, hash);
}

/**
 * The candidate for origin `index`, if it is one. Candidates come in pool order with distinct
 * indexes, so origin `index` sits at position `index` when every origin is usable, and otherwise at a
 * lower position found by binary search: O(1) in the common case, O(log n) otherwise, no allocation.
 */
function candidateAt(candidates: readonly Candidate[], index: number, name: string): Candidate | undefined {
  let hi = Math.min(index, candidates.length - 1);
  const direct = candidates[hi]!;
  if (direct.index === index) return direct.name === name ? direct : undefined;
  let lo = 0;
  hi--;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = candidates[mid]!;
    if (candidate.index === index) return candidate.name === name ? candidate : undefined;
    if (candidate.index < index) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * Weighted rendezvous hashing over the candidates: deterministic for a key and a candidate set, used
 * only when the table gives no candidate (e.g. the candidates own no slot).
 */
function rendezvous(candidates: readonly Candidate[], hash: number): Candidate | undefined {
  let best: Candidate | undefined;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const candidate of candidates) {
    const mixed = fmix32(hash ^ hash32(candidate.name, RENDEZVOUS_SEED));
    const uniform = (mixed + 0.5) / 4_294_967_296;
    const weight = candidate.weight > 0 ? candidate.weight : Number.MIN_VALUE;
    const score = -weight / Math.log(uniform);
    if (score > bestScore) {
      bestScore = score;
      best = candidate;
    }
  }
  return best;
}
