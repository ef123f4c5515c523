import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fmix32, hash32 } from "../../../worker/balancing/hash-string.ts";

/** Reference MurmurHash3 x86_32 over bytes, as published (switch fall-through for the tail). */
function murmur3(bytes: Uint8Array, seed: number): number {
  let h = seed | 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = bytes.length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2]! << 16;
    if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
    k ^= bytes[blocks]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  return fmix32(h ^ bytes.length);
}

describe("hash32", () => {
  it("has a reference implementation that matches the published MurmurHash3 vectors", () => {
    const utf8 = (s: string) => new TextEncoder().encode(s);
    expect(murmur3(utf8(""), 0)).toBe(0);
    expect(murmur3(utf8("hello"), 0)).toBe(0x248bfa47);
    expect(murmur3(utf8("The quick brown fox jumps over the lazy dog"), 0)).toBe(0x2e4ff723);
    expect(murmur3(utf8("Hello, world!"), 1234)).toBe(0xfaf6cdb3);
  });

  it("is MurmurHash3 x86_32 of the string's UTF-16LE bytes", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "grapheme" })), fc.integer(), (s, seed) => {
        expect(hash32(s, seed)).toBe(murmur3(Buffer.from(s, "utf16le"), seed));
      }),
    );
  });

  it("returns unsigned 32-bit integers and depends on the seed", () => {
    const values = ["", "a", "10.0.0.1", "/path?x=1"].flatMap((s) => [hash32(s), hash32(s, 1)]);
    for (const value of values) expect(value >>> 0).toBe(value);
    expect(hash32("10.0.0.1", 1)).not.toBe(hash32("10.0.0.1", 2));
  });
});
