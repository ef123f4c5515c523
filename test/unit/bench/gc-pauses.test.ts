import { describe, expect, it } from "vitest";
import { gcPauses } from "../../../bench/runtime/gc-pauses.ts";
import type { CpuProfile } from "../../../bench/runtime/inspector.ts";

const FRAMES = ["(root)", "(garbage collector)", "(program)", "(idle)", "proxy"];

/** A profile whose samples are `frames`, one every `everyUs`. */
function profileOf(frames: readonly string[], everyUs = 1000): CpuProfile {
  const nodes = FRAMES.map((functionName, i) => ({
    id: i + 1,
    callFrame: { functionName, url: "", lineNumber: 0 },
  }));
  return {
    nodes,
    startTime: 0,
    endTime: frames.length * everyUs,
    samples: frames.map((frame) => FRAMES.indexOf(frame) + 1),
    timeDeltas: frames.map(() => everyUs),
  };
}

describe("gcPauses", () => {
  it("finds a pause as a run of GC samples, with the sampler's (program) samples inside it", () => {
    const gc = "(garbage collector)";
    const profile = profileOf(["proxy", gc, gc, "(program)", gc, gc, gc, "proxy", gc, "(idle)"]);
    const pauses = gcPauses(profile, 5);
    // The first run spans samples 2-7 (5 ms from its first GC sample to its last); the second is one sample.
    expect(pauses.longestMs).toBe(5);
    expect(pauses.long).toBe(1);
    expect(pauses.share).toBeCloseTo(6 / 10);
    expect(pauses.spanMs).toBe(10);
  });

  it("ends a pause at any JavaScript or idle sample", () => {
    const gc = "(garbage collector)";
    const pauses = gcPauses(profileOf([gc, gc, "(idle)", gc, gc, "proxy", gc, gc]), 2);
    expect(pauses.longestMs).toBe(1);
    expect(pauses.long).toBe(0);
  });

  it("reports nothing for a profile without samples", () => {
    expect(gcPauses(profileOf([]), 5)).toEqual({ share: 0, long: 0, longestMs: 0, spanMs: 0 });
  });
});
