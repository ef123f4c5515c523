/**
 * Fast, well-mixed 32-bit string hashing for consistent hashing. Pure: no runtime imports.
 *
 * `hash32` is MurmurHash3 x86_32 over the string's UTF-16LE encoding, read directly from the code
 * units so no bytes are allocated: for a well-formed string it equals MurmurHash3 of
 * `Buffer.from(s, "utf16le")`. Not a cryptographic hash: keys chosen by a client can be made to
 * collide, which only moves that client's own requests.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * MurmurHash3's finalizer: a bijection on 32-bit integers with full avalanche.
 * @example fmix32(1) // 0x514e28b7
 */
export function fmix32(input: number): number {
  let h = input | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Unsigned 32-bit MurmurHash3 of `s` (as UTF-16LE) with `seed`.
 * @example hash32("10.0.0.1") === hash32("10.0.0.1") // deterministic across isolates and versions
 */
export function hash32(s: string, seed = 0): number {
  let h = seed | 0;
  const length = s.length;
  const pairs = length & ~1;
  for (let i = 0; i < pairs; i += 2) {
    let k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (length & 1) {
    let k = s.charCodeAt(length - 1);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  return fmix32(h ^ (length * 2));
}
