/**
 * Room around a chart's plot for its time axis labels (pure; charts.ts hands it to uPlot as padding).
 *
 * uPlot centres each time label on its tick, so a tick at the plot's edge puts half of its label
 * outside the plot. The first label is the widest (it carries the date: "12/3/26 7:03pm" is about
 * 98 px), and half of it is more than the y axis's 48 px; an idle chart (no value to scale) has no y
 * axis at all. Either way the label overflowed the canvas and was cut off. So the left keeps room for
 * half of the first label's widest line whatever the y axis shows, and at least the y axis's width, so
 * an idle chart's plot lines up with its neighbours'; the right keeps room for half of the last label.
 */

/** Width of a line of text in the time axis's font, in CSS pixels. */
export type Measure = (line: string) => number;

/** Width of the y axis (its labels and ticks) left of the plot, in CSS pixels. */
export const Y_AXIS_SIZE = 48;
/** Gap between a label at the plot's edge and the canvas's edge, so no glyph touches it. */
export const EDGE_GAP = 3;
/** Least room right of the plot (what uPlot keeps on a side without an axis). */
export const MIN_RIGHT = 25;

/** Half the width of a label's widest line (labels of the time axis have one or two lines). */
export function halfWidth(label: string | null | undefined, measure: Measure): number {
  if (!label) return 0;
  return Math.ceil(Math.max(0, ...label.split("\n").map(measure)) / 2);
}

/** Padding left of the plot: beyond the y axis when it is shown, all of the room when it is not. */
export function leftPadding(
  firstLabel: string | null | undefined,
  measure: Measure,
  yAxisShown: boolean,
): number {
  const room = Math.max(Y_AXIS_SIZE, halfWidth(firstLabel, measure) + EDGE_GAP);
  return room - (yAxisShown ? Y_AXIS_SIZE : 0);
}

/** Padding right of the plot (no axis there). */
export function rightPadding(lastLabel: string | null | undefined, measure: Measure): number {
  return Math.max(MIN_RIGHT, halfWidth(lastLabel, measure) + EDGE_GAP);
}

/** Whether a chart's series carry no traffic at all: no minute with a request or a failure. */
export function isIdle(
  series: { points: { requests: number; failures: Record<string, number> }[] }[],
): boolean {
  return series.every((s) =>
    s.points.every((p) => p.requests === 0 && Object.values(p.failures).every((n) => n === 0)),
  );
}
