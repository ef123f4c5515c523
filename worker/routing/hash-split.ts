/**
 * The sticky split of `steering: "hash"`: a request's key (its `splitOn` value) picks one of the
 * load balancer's pools, in proportion to `poolWeights`, the same pool for the same key on every
 * edge and every request. Pure.
 *
 * Weighted rendezvous hashing: each pool draws a per-key uniform value u = hash(key, pool) in (0, 1)
 * and scores -ln(u) / weight; the lowest score wins. The key is hashed once; each pool's value mixes
 * that hash with the pool's seed (MurmurHash3's finalizer), so 20 pools cost 20 mixes, not 20 hashes. The chance of winning is exactly weight / sum of
 * weights, and a change of weights moves only the keys that must move: raising one pool's weight (and
 * lowering others') lowers only that pool's scores, so a key can move to it but never away from it.
 * Raising a canary from 5 % to 20 % thus moves users only into the canary. Adding or removing a pool
 * moves only the keys that pool wins or won.
 */
import { fmix32, hash32 } from "../balancing/hash-string.ts";

/** The per-version form of a split: pool ids, their weights and hash seeds. */
export interface CompiledSplit {
  readonly ids: readonly string[];
  readonly weights: readonly number[];
  readonly seeds: readonly number[];
}

const TWO_32 = 4_294_967_296;
const compiled = new WeakMap<object, CompiledSplit>();

/** The weight of a pool: its `poolWeights` entry, 1 when absent, 0 when not a positive number. */
export function splitWeight(weights: Readonly<Record<string, number>>, id: string): number {
  const weight = Object.hasOwn(weights, id) ? weights[id]! : 1;
  return Number.isFinite(weight) && weight > 0 ? weight : 0;
}

/**
 * The split of `pools` by `weights`, built once per configuration object `owner`.
 * @example compileSplit(lb, lb.pools, lb.poolWeights)
 */
export function compileSplit(
  owner: object,
  pools: readonly string[],
  weights: Readonly<Record<string, number>>,
): CompiledSplit {
  let split = compiled.get(owner);
  if (!split) {
    split = {
      ids: pools,
      weights: pools.map((id) => splitWeight(weights, id)),
      seeds: pools.map((id) => hash32(id, 0x5eed)),
    };
    compiled.set(owner, split);
  }
  return split;
}

/**
 * The index in `split.ids` of the pool that `key` goes to, or -1 when every weight is 0.
 * @example split.ids[splitIndex(split, "203.0.113.7")] // "stable"
 */
export function splitIndex(split: CompiledSplit, key: string): number {
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  const { weights, seeds } = split;
  const h = hash32(key);
  for (let i = 0; i < weights.length; i++) {
    const weight = weights[i]!;
    if (!(weight > 0)) continue;
    const u = (fmix32(Math.imul(h ^ seeds[i]!, 0x9e3779b1)) + 0.5) / TWO_32;
    const score = -Math.log(u) / weight;
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}
