/**
 * Drawing of history charts with uPlot (bundled into the page's script; no request leaves for a
 * CDN): requests/s, error rate and p95 latency over the window, one line per series, with events
 * and configuration changes marked on the time axis as vertical lines that carry a title.
 * history-view.ts reads the API and decides what to draw.
 */
import uPlot from "uplot";
import { isIdle, leftPadding, rightPadding, Y_AXIS_SIZE } from "./chart-layout.ts";
import { el } from "./dom.ts";

/** One minute of a series, the fields the charts read (a pool's, an origin's or a load balancer's). */
export interface ChartPoint {
  at: string;
  requests: number;
  failures: { "5xx": number; timeout: number; connect: number };
  p95Ms: number | null;
}

export interface ChartSeries {
  label: string;
  points: ChartPoint[];
  /** Drawn thicker (a load balancer's total). */
  bold?: boolean;
}

export type MarkerKind = "unhealthy" | "ejected" | "healthy" | "failover" | "config";

/** Something to mark on the time axis. */
export interface Marker {
  at: string;
  kind: MarkerKind;
  title: string;
}

export interface ChartSet {
  stepSeconds: number;
  from: string;
  to: string;
  series: ChartSeries[];
  markers: Marker[];
  /** Title of the p95 chart (a load balancer's says how pools are combined). */
  p95Title?: string;
}

const COLORS = ["#2f6fdf", "#f38020", "#1a7f4b", "#b42318", "#7a4cc2", "#0e7c86", "#8a5a00", "#5f6b7a"];
const MARKER_COLORS: Record<MarkerKind, string> = {
  unhealthy: "#b42318",
  ejected: "#d9480f",
  healthy: "#1a7f4b",
  failover: "#7a4cc2",
  config: "#2f6fdf",
};
/** Legend words per marker kind: one, several. */
const MARKER_NAMES: Record<MarkerKind, [string, string]> = {
  unhealthy: ["turned unhealthy", "turned unhealthy"],
  ejected: ["ejection", "ejections"],
  healthy: ["turned healthy", "turned healthy"],
  failover: ["failover/failback", "failovers/failbacks"],
  config: ["config change", "config changes"],
};
/** The time axis's font (uPlot's default, set explicitly so labels are measured in the font drawn). */
const AXIS_FONT =
  '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';
/** Height of the time axis (uPlot's default: room for two lines of labels). */
const X_AXIS_SIZE = 50;
export const IDLE_TEXT = "No traffic in this window";
export type MetricKey = "rps" | "errors" | "p95";
const METRICS: { key: MetricKey; title: string }[] = [
  { key: "rps", title: "Requests/s" },
  { key: "errors", title: "Error rate (%)" },
  { key: "p95", title: "p95 latency (ms)" },
];

/** A health event's kind, or `failover`/`failback`, as a marker kind. */
export function markerKind(kind: string): MarkerKind {
  if (/^fail(over|back)$/.test(kind)) return "failover";
  if (/eject/.test(kind)) return "ejected";
  if (/unhealthy/.test(kind)) return "unhealthy";
  return "healthy";
}

function figureOf(point: ChartPoint, key: MetricKey, step: number): number | null {
  if (key === "rps") return point.requests / step;
  if (key === "p95") return point.p95Ms;
  const failed = point.failures["5xx"] + point.failures.timeout + point.failures.connect;
  return point.requests > 0 ? (100 * failed) / point.requests : failed > 0 ? 100 : 0;
}

/** The x values (seconds) of every minute any series has, and one y array per series, null for gaps. */
export function chartData(set: Pick<ChartSet, "series" | "stepSeconds">, key: MetricKey): uPlot.AlignedData {
  const minutes = [...new Set(set.series.flatMap((s) => s.points.map((p) => Date.parse(p.at) / 1000)))].sort(
    (a, b) => a - b,
  );
  const ys = set.series.map((series) => {
    const byMinute = new Map(series.points.map((p) => [Date.parse(p.at) / 1000, p]));
    return minutes.map((minute) => {
      const point = byMinute.get(minute);
      return point ? figureOf(point, key, set.stepSeconds) : null;
    });
  });
  return [minutes, ...ys];
}

/** Vertical lines over the plot, one element per marker with its title (hover shows it). */
function markerPlugin(markers: Marker[]): uPlot.Plugin {
  const place = (u: uPlot) => {
    for (const old of u.over.querySelectorAll(".chart-marker")) old.remove();
    for (const marker of markers) {
      const x = u.valToPos(Date.parse(marker.at) / 1000, "x");
      if (!(x >= 0 && x <= u.over.clientWidth)) continue;
      const line = el("div", {
        class: `chart-marker ${marker.kind}`,
        "data-marker": marker.kind,
        "data-at": marker.at,
        title: marker.title,
      });
      line.style.left = `${Math.round(x) - 2}px`;
      line.style.borderLeftColor = MARKER_COLORS[marker.kind];
      u.over.append(line);
    }
  };
  return { hooks: { ready: place, setSize: place, setScale: (u, key) => key === "x" && place(u) } };
}

/** Charts drawn and not yet destroyed; those whose element left the page are destroyed on the next draw. */
const live = new Set<uPlot>();

/** Frees the charts no longer on the page (call once the page's panels are in place). */
export function destroyDetached(): void {
  for (const chart of live) {
    if (chart.root.isConnected) continue;
    chart.destroy();
    live.delete(chart);
  }
}

function pointCount(data: uPlot.AlignedData): number {
  return data
    .slice(1)
    .reduce(
      (sum, ys) => sum + Array.from(ys as ArrayLike<number | null>).filter((y) => y !== null).length,
      0,
    );
}

/**
 * The time axis in seconds: to the window's end, from its first point or marker (one step earlier),
 * never before the window's start, so a history younger than the window is not squeezed into its
 * right edge. Without points or markers, the whole window.
 */
export function axisRange(set: ChartSet): [number, number] {
  const start = Date.parse(set.from) / 1000;
  const end = Date.parse(set.to) / 1000;
  let first = Number.POSITIVE_INFINITY;
  for (const at of [
    ...set.series.flatMap((s) => s.points.map((p) => p.at)),
    ...set.markers.map((m) => m.at),
  ]) {
    const t = Date.parse(at) / 1000;
    if (t >= start && t < first) first = t;
  }
  if (first === Number.POSITIVE_INFINITY) return [start, end];
  return [Math.max(start, first - set.stepSeconds), end];
}

let measuring: CanvasRenderingContext2D | null | undefined;

/** Width of a line in the time axis's font, in CSS pixels (an estimate if no canvas is at hand). */
function measure(line: string): number {
  if (measuring === undefined) measuring = document.createElement("canvas").getContext("2d");
  if (!measuring) return line.length * 7;
  measuring.font = AXIS_FONT;
  return measuring.measureText(line).width;
}

/**
 * The axes and the padding around the plot: uPlot passes the time axis's labels to its `size`, and
 * the padding, computed next, keeps room for half of the first and the last label (chart-layout.ts).
 * The y axis is hidden when its scale has nothing to scale (an idle chart).
 */
function layout(): Pick<uPlot.Options, "axes" | "padding"> {
  let labels: string[] = [];
  return {
    axes: [
      {
        font: AXIS_FONT,
        size: (_u, values) => {
          if (values) labels = values.map((v) => (v == null ? "" : String(v)));
          return X_AXIS_SIZE;
        },
      },
      { size: Y_AXIS_SIZE },
    ],
    padding: [
      null,
      () => rightPadding(labels.at(-1), measure),
      null,
      (u) => leftPadding(labels[0], measure, u.scales.y?.min != null),
    ],
  };
}

/** Replaces `target`'s content with the three charts of `set`, plus a line counting its markers. */
export function drawCharts(target: HTMLElement, set: ChartSet, note?: string): void {
  const [from, to] = axisRange(set);
  const idle = isIdle(set.series);
  const charts = METRICS.map(({ key, title }) => {
    const box = el("div", { class: "chart", "data-chart": key });
    const data = chartData(set, key);
    const chart = new uPlot(
      {
        title: key === "p95" && set.p95Title ? set.p95Title : title,
        width: 360,
        height: 170,
        plugins: [markerPlugin(set.markers)],
        legend: { live: false },
        scales: { x: { time: true, range: (): uPlot.Range.MinMax => [from, to] } },
        series: [
          {},
          ...set.series.map((series, i) => ({
            label: series.label,
            stroke: COLORS[i % COLORS.length] ?? "#2f6fdf",
            width: series.bold ? 2.5 : 1.25,
            spanGaps: false,
          })),
        ],
        ...layout(),
      },
      data,
      box,
    );
    live.add(chart);
    if (idle) chart.over.append(el("div", { class: "chart-idle" }, el("span", {}, IDLE_TEXT)));
    box.setAttribute("data-points", String(pointCount(data)));
    if (idle) box.setAttribute("data-idle", "");
    return box;
  });
  const counts = new Map<MarkerKind, number>();
  for (const marker of set.markers) counts.set(marker.kind, (counts.get(marker.kind) ?? 0) + 1);
  const legend = [...counts].map(([kind, n]) =>
    el("span", { class: `marker-key ${kind}` }, `${n} ${MARKER_NAMES[kind][n === 1 ? 0 : 1]}`),
  );
  const footer = el(
    "div",
    { class: "chart-events muted" },
    legend.length ? ["Marked: ", ...legend] : "No events in this window.",
    note ? el("div", {}, note) : null,
  );
  target.replaceChildren(...charts, footer);
}
