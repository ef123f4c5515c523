/**
 * The order in which origins take turns claiming Maglev slots (worker/balancing/hash-maglev.ts).
 * Pure: no runtime imports.
 *
 * Origin i takes its quota_i turns evenly spread over one pass: turn k at time (k + 1/2) / quota_i,
 * so every origin advances through its preferences at the same relative pace whatever its weight
 * (the interleaving Maglev's balance and low disruption rely on). Times are quantized into `size`
 * buckets: turn k of origin i falls in bucket floor((2k + 1) size / (2 quota_i)), stepped in
 * integers; within a bucket, lower origin indexes go first.
 *
 * Origins with the same quota have the same buckets, and a pool's weights usually take few values,
 * so most pools have few distinct quotas: then the order is assembled group by group, each bucket's
 * members copied at once. Otherwise a counting sort over the buckets orders the turns in
 * O(size + origins). Both give the same order.
 */

/** Past this many distinct quotas the counting sort is cheaper. */
const MAX_GROUPS = 32;

/**
 * Origin indexes, one per turn, in turn order (`size` turns when the quotas sum to `size`).
 * @example turnOrder(Uint32Array.of(1, 2), 3) // Uint16Array [1, 0, 1]
 */
export function turnOrder(quotas: Uint32Array, size: number): Uint16Array {
  return byQuotaGroups(quotas, size) ?? byCountingSort(quotas, size);
}

/** The turn order assembled from groups of origins sharing a quota, or null when that costs more. */
function byQuotaGroups(quotas: Uint32Array, size: number): Uint16Array | null {
  const n = quotas.length;
  // Distinct quotas, found through a small open-addressing table (quota 0 marks an empty cell).
  const cells = 64;
  const keys = new Uint32Array(cells);
  const ids = new Int32Array(cells);
  const groupQuota = new Uint32Array(MAX_GROUPS);
  const groupOf = new Int32Array(n).fill(-1);
  const groupSize = new Int32Array(MAX_GROUPS + 1);
  let groups = 0;
  let total = 0;
  let turns = 0;
  let events = 0;
  for (let i = 0; i < n; i++) {
    const quota = quotas[i]!;
    if (quota === 0) continue;
    total++;
    turns += quota;
    let cell = Math.imul(quota, 0x9e3779b1) >>> 26;
    while (keys[cell] !== 0 && keys[cell] !== quota) cell = (cell + 1) & (cells - 1);
    if (keys[cell] === 0) {
      if (groups === MAX_GROUPS) return null;
      keys[cell] = quota;
      ids[cell] = groups;
      groupQuota[groups++] = quota;
      events += quota;
    }
    const group = ids[cell]!;
    groupOf[i] = group;
    groupSize[group + 1]!++;
  }
  // Each step scans every group's next bucket: worth it while that stays well under the counting
  // sort's passes over all buckets (measured: both cost the same near events * groups = size).
  if (events * (groups + 4) > size / 2) return null;
  for (let g = 0; g < groups; g++) groupSize[g + 1]! += groupSize[g]!;
  const memberStart = groupSize; // now the start of each group's members
  const members = new Uint16Array(total);
  const fill = memberStart.slice(0, groups);
  for (let i = 0; i < n; i++) if (groupOf[i]! >= 0) members[fill[groupOf[i]!]!++] = i;

  const twice = 2 * size;
  const bucket = new Float64Array(groups);
  const rest = new Float64Array(groups);
  const left = new Uint32Array(groups);
  for (let g = 0; g < groups; g++) {
    const span = 2 * groupQuota[g]!;
    bucket[g] = Math.floor(size / span);
    rest[g] = size - bucket[g]! * span;
    left[g] = groupQuota[g]!;
  }
  const order = new Uint16Array(turns);
  let length = 0;
  const due = new Int32Array(groups);
  for (;;) {
    let next = Number.POSITIVE_INFINITY;
    for (let g = 0; g < groups; g++) if (left[g]! > 0 && bucket[g]! < next) next = bucket[g]!;
    if (next === Number.POSITIVE_INFINITY) break;
    let dueCount = 0;
    for (let g = 0; g < groups; g++) if (left[g]! > 0 && bucket[g] === next) due[dueCount++] = g;
    const start = length;
    for (let d = 0; d < dueCount; d++) {
      const g = due[d]!;
      for (let m = memberStart[g]!; m < memberStart[g + 1]!; m++) order[length++] = members[m]!;
      // Next turn of the group: bucket += floor(2 size / span), carrying the remainder.
      const span = 2 * groupQuota[g]!;
      const whole = Math.floor(twice / span);
      rest[g]! += twice - whole * span;
      bucket[g]! += whole;
      if (rest[g]! >= span) {
        rest[g]! -= span;
        bucket[g]!++;
      }
      left[g]!--;
    }
    if (dueCount > 1) order.subarray(start, length).sort();
  }
  return order;
}

/** The turn order by a counting sort of every turn over the `size` buckets. */
function byCountingSort(quotas: Uint32Array, size: number): Uint16Array {
  const starts = new Int32Array(size + 1);
  const twice = 2 * size;
  for (let i = 0; i < quotas.length; i++) {
    const quota = quotas[i]!;
    if (quota === 0) continue;
    const span = 2 * quota;
    const whole = Math.floor(twice / span);
    const part = twice - whole * span;
    let bucket = Math.floor(size / span);
    let rest = size - bucket * span - span; // the remainder minus span: negative until it carries
    for (let k = 0; k < quota; k++) {
      starts[bucket + 1]!++;
      rest += part;
      const carry = ~(rest >> 31); // -1 when the remainder reached span, else 0
      bucket += whole - carry;
      rest -= span & carry;
    }
  }
  let sum = 0;
  for (let b = 0; b <= size; b++) {
    sum += starts[b]!;
    starts[b] = sum;
  }
  const order = new Uint16Array(sum);
  for (let i = 0; i < quotas.length; i++) {
    const quota = quotas[i]!;
    if (quota === 0) continue;
    const span = 2 * quota;
    const whole = Math.floor(twice / span);
    const part = twice - whole * span;
    let bucket = Math.floor(size / span);
    let rest = size - bucket * span - span;
    for (let k = 0; k < quota; k++) {
      order[starts[bucket]!++] = i;
      rest += part;
      const carry = ~(rest >> 31);
      bucket += whole - carry;
      rest -= span & carry;
    }
  }
  return order;
}
