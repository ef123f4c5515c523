/**
 * Charts of a pool's last hour from `GET /pools/{id}/history`: requests/s, error rate and p95
 * latency, one line per origin, with the window's health events marked on the time axis. Drawn with
 * uPlot (bundled into the page's script; no request leaves for a CDN).
 */
import uPlot from "uplot";
import { api, type Result } from "./api.ts";
import { el } from "./dom.ts";

interface Point {
  at: string;
  requests: number;
  failures: { "5xx": number; timeout: number; connect: number };
  p95Ms: number | null;
}
interface History {
  stepSeconds: number;
  from: string;
  to: string;
  origins: { name: string; points: Point[] }[];
  events: { at: string; kind: string; origin: string | null }[];
}

/** History is read at most this often per pool (points are a minute apart). */
const HISTORY_REFRESH_MS = 30_000;
const COLORS = ["#2f6fdf", "#f38020", "#1a7f4b", "#b42318", "#7a4cc2", "#0e7c86", "#8a5a00", "#5f6b7a"];
const METRICS = [
  { key: "rps", title: "Requests/s" },
  { key: "errors", title: "Error rate (%)" },
  { key: "p95", title: "p95 latency (ms)" },
] as const;

const cache = new Map<string, { at: number; history: History | null }>();

function figureOf(point: Point, key: (typeof METRICS)[number]["key"], step: number): number | null {
  if (key === "rps") return point.requests / step;
  if (key === "p95") return point.p95Ms;
  const failed = point.failures["5xx"] + point.failures.timeout + point.failures.connect;
  return point.requests > 0 ? (100 * failed) / point.requests : failed > 0 ? 100 : 0;
}

/** The x values (seconds) of every minute any origin has, and one y array per origin, null for gaps. */
export function chartData(history: History, key: (typeof METRICS)[number]["key"]): uPlot.AlignedData {
  const minutes = [
    ...new Set(history.origins.flatMap((o) => o.points.map((p) => Date.parse(p.at) / 1000))),
  ].sort((a, b) => a - b);
  const series = history.origins.map((origin) => {
    const byMinute = new Map(origin.points.map((p) => [Date.parse(p.at) / 1000, p]));
    return minutes.map((minute) => {
      const point = byMinute.get(minute);
      return point ? figureOf(point, key, history.stepSeconds) : null;
    });
  });
  return [minutes, ...series];
}

function markers(history: History): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const ctx = u.ctx;
        ctx.save();
        for (const event of history.events) {
          const x = u.valToPos(Date.parse(event.at) / 1000, "x", true);
          if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
          ctx.strokeStyle = /unhealthy|eject/.test(event.kind) ? "#b42318" : "#1a7f4b";
          ctx.setLineDash([4, 3]);
          ctx.beginPath();
          ctx.moveTo(x, u.bbox.top);
          ctx.lineTo(x, u.bbox.top + u.bbox.height);
          ctx.stroke();
        }
        ctx.restore();
      },
    },
  };
}

function draw(target: HTMLElement, history: History): void {
  const charts = METRICS.map(({ key, title }) => {
    const box = el("div", { class: "chart", "data-chart": key });
    const data = chartData(history, key);
    const options: uPlot.Options = {
      title,
      width: 360,
      height: 160,
      plugins: [markers(history)],
      scales: {
        x: {
          time: true,
          range: (): uPlot.Range.MinMax => [Date.parse(history.from) / 1000, Date.parse(history.to) / 1000],
        },
      },
      series: [
        {},
        ...history.origins.map((origin, i) => ({
          label: origin.name,
          stroke: COLORS[i % COLORS.length] ?? "#2f6fdf",
          width: 1.5,
          spanGaps: false,
        })),
      ],
      axes: [{}, { size: 44 }],
    };
    new uPlot(options, data, box);
    const points = data
      .slice(1)
      .reduce(
        (sum, ys) => sum + Array.from(ys as ArrayLike<number | null>).filter((y) => y !== null).length,
        0,
      );
    box.setAttribute("data-points", String(points));
    return box;
  });
  const events = el(
    "div",
    { class: "chart-events muted" },
    history.events.length ? `${history.events.length} health events marked` : "",
  );
  target.replaceChildren(...charts, events);
}

/** Draws (or keeps) the charts of pool `poolId` in `target`, reading its history every 30 s. */
export async function renderCharts(target: HTMLElement, poolId: string, token: string): Promise<void> {
  const cached = cache.get(poolId);
  const now = Date.now();
  if (cached && now - cached.at < HISTORY_REFRESH_MS) {
    if (cached.history) draw(target, cached.history);
    return;
  }
  const result: Result = await api(`/pools/${encodeURIComponent(poolId)}/history?window=1h`, token);
  const history = result.ok ? (result.body as History) : null;
  cache.set(poolId, { at: now, history });
  if (history) draw(target, history);
  else target.replaceChildren(el("div", { class: "muted" }, "history not available"));
}

/** Forces the next render to read history again (a new sign-in). */
export function resetCharts(): void {
  cache.clear();
}
