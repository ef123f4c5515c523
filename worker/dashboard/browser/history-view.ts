/**
 * The dashboard's charts over time: per load balancer (`GET /load_balancers/{id}/history`, its pools
 * combined) and per pool (`GET /pools/{id}/history`, one line per origin), over the last hour or day
 * as the 1 h / 24 h switch says, with health events, ejections, failovers and configuration changes
 * (`GET /config/versions`) marked on the time axis.
 *
 * Reads: for the window shown, every HISTORY_REFRESH_MS at most, one history per load balancer and
 * per pool and one list of configuration versions. Points are a minute apart, so reading more often
 * would show nothing new. Nothing here runs per proxied request.
 */
import { api, itemsOf } from "./api.ts";
import {
  type ChartPoint,
  type ChartSet,
  destroyDetached,
  drawCharts,
  type Marker,
  markerKind,
} from "./charts.ts";
import { byId, el } from "./dom.ts";

type HistoryWindow = "1h" | "24h";

interface HistoryEvent {
  at: string;
  kind: string;
  origin: string | null;
  pool?: string | null;
  message?: string;
}
interface PoolHistory {
  stepSeconds: number;
  from: string;
  to: string;
  origins: { name: string; points: ChartPoint[] }[];
  events: HistoryEvent[];
}
interface LbHistory {
  stepSeconds: number;
  from: string;
  to: string;
  total: ChartPoint[];
  pools: { id: string; points: ChartPoint[] }[];
  events: HistoryEvent[];
  unavailablePools?: string[];
  poolsNotRead?: string[];
}
interface ConfigVersion {
  version: number;
  at: string;
  summary: string;
}

/** A window's answers, read together. */
interface Reading {
  at: number;
  lbs: Map<string, LbHistory | null>;
  pools: Map<string, PoolHistory | null>;
  versions: ConfigVersion[];
}

const HISTORY_REFRESH_MS = 30_000;
/** History requests in flight at once. */
const FETCH_BATCH = 6;
/** Configuration versions read for the markers (the API keeps at least the last 100). */
const VERSIONS_LIMIT = 200;
const P95_TITLE = "p95 latency (ms), highest pool";
const LB_NOTE =
  "Sums of the load balancer's pools (a pool shared with another load balancer counts all its traffic). " +
  "p95: the highest of the pools' p95 in each minute, an upper bound of the load balancer's.";

let shown: HistoryWindow = "1h";
const readings = new Map<HistoryWindow, Reading>();
let last: { token: string; lbIds: string[]; poolIds: string[] } | null = null;
/** The reading each chart box was last drawn from (`lb:` for all load balancers, `pool:<id>`). */
const drawn = new Map<string, Reading>();
/** Each pool's drawn chart box, put back in place of the empty one the pools panel draws. */
const poolBoxes = new Map<string, HTMLElement>();

/** The window the charts show. */
export function historyWindow(): HistoryWindow {
  return shown;
}

/** Draws the switch into `#history-switch`; a click redraws every chart for the other window. */
function drawSwitch(): void {
  const target = byId("history-switch");
  const buttons = (["1h", "24h"] as const).map((window) => {
    const button = el(
      "button",
      {
        type: "button",
        class: window === shown ? "active" : "",
        "data-window": window,
        "aria-pressed": String(window === shown),
      },
      window === "1h" ? "1 h" : "24 h",
    );
    button.addEventListener("click", () => {
      if (shown === window) return;
      shown = window;
      drawSwitch();
      if (last) void renderTrafficCharts(last.token, last.lbIds, last.poolIds);
    });
    return button;
  });
  target.replaceChildren(el("span", { class: "muted" }, "Charts over the last "), ...buttons);
}

async function read(
  token: string,
  window: HistoryWindow,
  lbIds: string[],
  poolIds: string[],
): Promise<Reading> {
  const get = async <T>(path: string): Promise<T | null> => {
    const result = await api<T>(path, token);
    return result.ok ? result.body : null;
  };
  const q = `history?window=${window}`;
  const versions = await get<unknown>(`/config/versions?limit=${VERSIONS_LIMIT}`);
  // A few at a time, so a configuration with many load balancers or pools opens few requests at once.
  const each = async <T>(ids: string[], path: (id: string) => string): Promise<Map<string, T | null>> => {
    const answers = new Map<string, T | null>();
    for (let i = 0; i < ids.length; i += FETCH_BATCH) {
      const batch = ids.slice(i, i + FETCH_BATCH);
      const results = await Promise.all(batch.map((id) => get<T>(path(id))));
      for (const [j, id] of batch.entries()) answers.set(id, results[j] ?? null);
    }
    return answers;
  };
  return {
    at: Date.now(),
    lbs: await each<LbHistory>(lbIds, (id) => `/load_balancers/${encodeURIComponent(id)}/${q}`),
    pools: await each<PoolHistory>(poolIds, (id) => `/pools/${encodeURIComponent(id)}/${q}`),
    versions: itemsOf<ConfigVersion>(versions),
  };
}

function configMarkers(versions: ConfigVersion[], from: string): Marker[] {
  const start = Date.parse(from);
  return versions
    .filter((v) => Date.parse(v.at) >= start)
    .map((v) => ({ at: v.at, kind: "config" as const, title: `configuration v${v.version}: ${v.summary}` }));
}

function eventMarkers(events: HistoryEvent[]): Marker[] {
  return events.map((event) => ({
    at: event.at,
    kind: markerKind(event.kind),
    title: `${event.kind}${event.pool ? ` ${event.pool}` : ""}${event.origin ? `/${event.origin}` : ""}: ${event.message ?? ""}`,
  }));
}

function lbCharts(history: LbHistory, versions: ConfigVersion[]): ChartSet {
  return {
    stepSeconds: history.stepSeconds,
    from: history.from,
    to: history.to,
    series: [
      { label: "all pools", points: history.total, bold: true },
      ...history.pools.map((pool) => ({ label: pool.id, points: pool.points })),
    ],
    markers: [...eventMarkers(history.events), ...configMarkers(versions, history.from)],
    p95Title: P95_TITLE,
  };
}

function poolCharts(history: PoolHistory, versions: ConfigVersion[]): ChartSet {
  return {
    stepSeconds: history.stepSeconds,
    from: history.from,
    to: history.to,
    series: history.origins.map((origin) => ({ label: origin.name, points: origin.points })),
    markers: [...eventMarkers(history.events), ...configMarkers(versions, history.from)],
  };
}

function lbPanel(id: string, history: LbHistory | null | undefined, versions: ConfigVersion[]): HTMLElement {
  const box = el("div", { class: "charts", "data-lb-charts": id, "data-window": shown });
  if (!history) box.append(el("div", { class: "muted" }, "history not available"));
  else {
    const missing = [...(history.unavailablePools ?? []), ...(history.poolsNotRead ?? [])];
    const note = missing.length ? `${LB_NOTE} Not included: ${missing.join(", ")}.` : LB_NOTE;
    drawCharts(box, lbCharts(history, versions), note);
  }
  return el("div", { class: "panel lb-history" }, el("div", { class: "pool-head" }, el("h3", {}, id)), box);
}

/**
 * Draws the load balancers' charts into `#lb-charts` and each pool's into its `[data-charts]` box,
 * reading the shown window's history when the last reading is older than HISTORY_REFRESH_MS.
 */
export async function renderTrafficCharts(token: string, lbIds: string[], poolIds: string[]): Promise<void> {
  last = { token, lbIds, poolIds };
  if (!document.querySelector("#history-switch button")) drawSwitch();
  const window = shown;
  let reading = readings.get(window);
  const known = (ids: string[], map: Map<string, unknown> | undefined) => ids.every((id) => map?.has(id));
  if (
    !reading ||
    Date.now() - reading.at >= HISTORY_REFRESH_MS ||
    !known(lbIds, reading.lbs) ||
    !known(poolIds, reading.pools)
  ) {
    reading = await read(token, window, lbIds, poolIds);
    readings.set(window, reading);
  }
  if (window !== shown) return;
  const current = reading;
  // Redrawn only when the reading changed: between readings the drawn charts are put back as they
  // are, so a hovered marker's title and the cursor survive the page's 2 s refresh.
  const lbBox = byId("lb-charts");
  if (drawn.get("lb:") !== current || lbBox.getAttribute("data-ids") !== lbIds.join(",")) {
    lbBox.replaceChildren(...lbIds.map((id) => lbPanel(id, current.lbs.get(id), current.versions)));
    lbBox.setAttribute("data-ids", lbIds.join(","));
    drawn.set("lb:", current);
  }
  for (const id of poolIds) {
    const box = document.querySelector<HTMLElement>(`[data-charts="${CSS.escape(id)}"]`);
    if (!box) continue;
    const previous = poolBoxes.get(id);
    if (previous && previous !== box && drawn.get(`pool:${id}`) === current) {
      box.replaceWith(previous);
      continue;
    }
    box.setAttribute("data-window", window);
    const history = current.pools.get(id);
    if (history) drawCharts(box, poolCharts(history, current.versions));
    else box.replaceChildren(el("div", { class: "muted" }, "history not available"));
    poolBoxes.set(id, box);
    drawn.set(`pool:${id}`, current);
  }
  for (const id of poolBoxes.keys()) if (!poolIds.includes(id)) poolBoxes.delete(id);
  destroyDetached();
}

/** Forgets what was read (a new sign-in) and goes back to the last hour. */
export function resetTrafficCharts(): void {
  readings.clear();
  drawn.clear();
  poolBoxes.clear();
  shown = "1h";
  last = null;
  document.querySelector("#history-switch")?.replaceChildren();
}
