/**
 * Where the dashboard's charts put their time labels: uPlot centres each label on its tick, so a tick
 * at the plot's edge puts half of the label outside the plot. These place the first and the last
 * label at the plot's edges (the worst case) and check that they start and end inside the canvas,
 * whether the chart has a y axis or is idle (uPlot hides the y axis when it has nothing to scale).
 */
import { describe, expect, it } from "vitest";
import {
  halfWidth,
  isIdle,
  leftPadding,
  rightPadding,
  Y_AXIS_SIZE,
} from "../../../worker/dashboard/browser/chart-layout.ts";

/** A generous estimate of the 12px axis font (digits are about 6.7px wide). */
const estimate = (line: string) => line.length * 7;
/** Width of the charts' canvas (charts.ts draws them 360 CSS pixels wide). */
const CANVAS = 360;

/** Labels uPlot draws first on a time axis: the first one carries the date. */
const FIRST_LABELS = [
  ":00\n12/3/26 6:21pm", // a history a few minutes old: ticks every 30 s (the idle pool of docs/dashboard.png)
  ":30\n12/13/26 12:59pm", // the widest date line the 30 s ticks have
  "6:30pm\n12/3/26", // the last hour
  "6pm\n12/13/26", // the last 24 hours
];
const LAST_LABELS = [":30", "6:22pm", "12:00am\n12/14", "12am\n12/14"];

/** x of a label's left end when its tick is at the plot's left edge, from the canvas's left. */
function firstLabelStart(label: string, yAxisShown: boolean): number {
  const plotLeft = (yAxisShown ? Y_AXIS_SIZE : 0) + leftPadding(label, estimate, yAxisShown);
  return plotLeft - Math.max(...label.split("\n").map(estimate)) / 2;
}

/** x of a label's right end when its tick is at the plot's right edge. */
function lastLabelEnd(label: string): number {
  const plotRight = CANVAS - rightPadding(label, estimate);
  return plotRight + Math.max(...label.split("\n").map(estimate)) / 2;
}

describe("time labels of the dashboard's charts", () => {
  it("an idle chart (no y axis) keeps its first label inside the canvas", () => {
    for (const label of FIRST_LABELS) expect(firstLabelStart(label, false), label).toBeGreaterThanOrEqual(0);
  });

  it("a chart with a y axis keeps its first label inside the canvas, however wide the date", () => {
    for (const label of FIRST_LABELS) expect(firstLabelStart(label, true), label).toBeGreaterThanOrEqual(0);
    const wide = (line: string) => line.length * 9;
    const label = ":30\n12/13/26 12:59pm";
    expect(Y_AXIS_SIZE + leftPadding(label, wide, true) - halfWidth(label, wide)).toBeGreaterThanOrEqual(0);
  });

  it("an idle chart's plot starts where its neighbours' plots start", () => {
    for (const label of FIRST_LABELS) {
      expect(leftPadding(label, estimate, false), label).toBe(
        Y_AXIS_SIZE + leftPadding(label, estimate, true),
      );
    }
  });

  it("keeps the last label inside the canvas", () => {
    for (const label of LAST_LABELS) expect(lastLabelEnd(label), label).toBeLessThanOrEqual(CANVAS);
  });

  it("measures a two-line label by its widest line", () => {
    expect(halfWidth(":00\n12/3/26 6:21pm", estimate)).toBe(49);
    expect(halfWidth(undefined, estimate)).toBe(0);
  });
});

describe("an idle chart", () => {
  const point = (requests: number, failed = 0) => ({
    requests,
    failures: { "5xx": failed, timeout: 0, connect: 0 },
  });

  it("is one whose series have no minute with a request or a failure", () => {
    expect(isIdle([{ points: [] }])).toBe(true);
    expect(isIdle([{ points: [] }, { points: [point(0)] }])).toBe(true);
    expect(isIdle([])).toBe(true);
  });

  it("is not one where any series answered or failed a request", () => {
    expect(isIdle([{ points: [] }, { points: [point(0), point(3)] }])).toBe(false);
    expect(isIdle([{ points: [point(0, 1)] }])).toBe(false);
  });
});
