import { describe, expect, it } from "vitest";
import { type CheckCounters, nextCheckState, type Thresholds } from "../../../worker/health/active.ts";
import type { CheckStatus } from "../../../worker/health/types.ts";

/** Runs a sequence of probe results ("S" success, "F" failure) and lists every verdict change. */
function run(sequence: string, thresholds: Thresholds, start: CheckStatus = "unknown") {
  let state: CheckCounters = { check: start, successes: 0, failures: 0 };
  const transitions: string[] = [];
  [...sequence].forEach((result, i) => {
    const next = nextCheckState(state, result === "S", thresholds);
    if (next.changed) transitions.push(`${i + 1}:${next.check}`);
    state = next;
  });
  return { state, transitions };
}

const defaults = { healthyThreshold: 2, unhealthyThreshold: 3 };

describe("active check state machine", () => {
  it("makes an unknown origin healthy on its first successful probe", () => {
    expect(run("S", defaults).transitions).toEqual(["1:healthy"]);
  });

  it("makes an unknown origin unhealthy only after unhealthyThreshold failures in a row", () => {
    expect(run("FF", defaults).transitions).toEqual([]);
    expect(run("FF", defaults).state.check).toBe("unknown");
    expect(run("FFF", defaults).transitions).toEqual(["3:unhealthy"]);
  });

  it("falls after unhealthyThreshold failures and reports the fall once", () => {
    expect(run("FFFFFFFF", defaults, "healthy").transitions).toEqual(["3:unhealthy"]);
  });

  it("rises after healthyThreshold successes and reports the rise once", () => {
    expect(run("SSSSSS", defaults, "unhealthy").transitions).toEqual(["2:healthy"]);
  });

  it("needs the failures to be consecutive", () => {
    expect(run("FFSFFSFF", defaults, "healthy").transitions).toEqual([]);
    expect(run("FFSFFF", defaults, "healthy").transitions).toEqual(["6:unhealthy"]);
  });

  it("keeps the verdict of a flapping origin", () => {
    expect(run("SFSFSFSF", defaults, "healthy").transitions).toEqual([]);
    expect(run("SFSFSFSF", defaults, "unhealthy").transitions).toEqual([]);
    expect(run("SFSFSFSF", defaults, "unhealthy").state.check).toBe("unhealthy");
  });

  it("flips on every change with thresholds of 1", () => {
    const ones = { healthyThreshold: 1, unhealthyThreshold: 1 };
    expect(run("FSSFS", ones).transitions).toEqual(["1:unhealthy", "2:healthy", "4:unhealthy", "5:healthy"]);
  });

  it("goes unknown to unhealthy at once with an unhealthy threshold of 1", () => {
    expect(run("F", { healthyThreshold: 3, unhealthyThreshold: 1 }).transitions).toEqual(["1:unhealthy"]);
  });

  it("counts consecutive results and resets the other counter", () => {
    const { state } = run("SSFF", defaults, "healthy");
    expect(state).toMatchObject({ check: "healthy", successes: 0, failures: 2 });
  });

  it("walks a full cycle with one event per transition", () => {
    const { transitions } = run("SFFFSSFFFS", defaults);
    expect(transitions).toEqual(["1:healthy", "4:unhealthy", "6:healthy", "9:unhealthy"]);
  });
});
