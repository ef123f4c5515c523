import { describe, expect, it } from "vitest";
import { effectiveWeight, inServiceSince, slowStartFactor } from "../../../worker/health/slow-start.ts";

const T0 = 1_700_000_000_000;

describe("slow start", () => {
  it("ramps linearly from 10% to 100% over slowStartSeconds", () => {
    const factors = [0, 15_000, 30_000, 45_000, 60_000, 90_000].map((dt) => slowStartFactor(T0, 60, T0 + dt));
    expect(factors.map((f) => Number(f.toFixed(3)))).toEqual([0.1, 0.325, 0.55, 0.775, 1, 1]);
  });

  it("is off when slowStartSeconds is 0 or the origin has no start time", () => {
    expect(slowStartFactor(T0, 0, T0)).toBe(1);
    expect(slowStartFactor(null, 60, T0)).toBe(1);
  });

  it("never goes below the initial share, even with clocks that disagree", () => {
    expect(slowStartFactor(T0 + 5000, 60, T0)).toBe(0.1);
  });

  it("counts the end of an ejection as the start of service", () => {
    const origin = { healthySince: null, ejectedUntil: T0 };
    expect(inServiceSince(origin, T0 - 1)).toBeNull();
    expect(inServiceSince(origin, T0 + 1)).toBe(T0);
    expect(effectiveWeight(10, origin, 100, T0 + 50_000)).toBeCloseTo(5.5);
  });

  it("scales the configured weight and leaves unknown origins alone", () => {
    expect(effectiveWeight(20, { healthySince: T0, ejectedUntil: null }, 10, T0)).toBeCloseTo(2);
    expect(effectiveWeight(20, undefined, 10, T0)).toBe(20);
  });
});
