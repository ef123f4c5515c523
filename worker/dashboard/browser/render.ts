/**
 * The dashboard's panels: load balancers with the pool each serves, pools with each origin's state,
 * and recent events. Each function replaces its panel's content from one API answer.
 */
import { itemsOf, type Result } from "./api.ts";
import { badge, byId, el, text, time } from "./dom.ts";
import type { ShareWindow } from "./shares.ts";

/** A load balancer as GET /status reports it. */
export interface LoadBalancerStatus {
  id: string;
  hostname?: string;
  pathPrefix?: string;
  enabled?: boolean;
  pool?: string | null;
  via?: string;
  reason?: string;
  pools?: string[];
  fallbackPool?: string;
  /** For `random` and `hash` steering: how the traffic divides now among the pools that can serve. */
  split?: { pool: string; percent: number }[] | null;
}

/** The traffic settings of a configured load balancer (GET /load_balancers). */
export interface LoadBalancerConfig {
  id: string;
  pools?: string[];
  steering?: string;
  splitOn?: string;
  poolWeights?: Record<string, number>;
  poolOverrideHeader?: string;
  rules?: {
    name: string;
    when?: Record<string, unknown>;
    then?: {
      pools?: string[];
      respond?: { status: number };
      redirect?: { status: number; location: string };
    };
  }[];
  mirror?: { percent: number; methods: string[]; pool: string };
}

/** Rules, hash split, pool override and mirror of a load balancer, one short line each (read-only). */
export function trafficOf(lb: LoadBalancerConfig | undefined): string[] {
  if (!lb) return [];
  const lines: string[] = [];
  if (lb.steering === "hash") {
    const weights = lb.poolWeights ?? {};
    const split = (lb.pools ?? []).map((p) => `${p} ${weights[p] ?? 1}`).join(" / ");
    lines.push(`split on ${lb.splitOn}: ${split}`);
  }
  if (lb.poolOverrideHeader) lines.push(`override header ${lb.poolOverrideHeader}`);
  for (const rule of lb.rules ?? []) {
    const then = rule.then ?? {};
    const action = then.pools
      ? `pools ${then.pools.join(" → ")}`
      : then.respond
        ? `respond ${then.respond.status}`
        : then.redirect
          ? `redirect ${then.redirect.status} ${then.redirect.location}`
          : "?";
    lines.push(`rule ${rule.name} [${Object.keys(rule.when ?? {}).join(", ")}] → ${action}`);
  }
  if (lb.mirror) {
    lines.push(`mirror ${lb.mirror.percent}% of ${lb.mirror.methods.join("/")} → ${lb.mirror.pool}`);
  }
  return lines;
}

/** The parts of a configured pool the dashboard shows. */
export interface PoolView {
  id: string;
  enabled?: boolean;
  algorithm?: string;
  origins?: { name: string; address?: string; weight?: number; backup?: boolean; enabled?: boolean }[];
}

/** One origin in GET /pools/{id}/health. */
export interface OriginHealth {
  name: string;
  state?: string;
  healthy?: boolean;
  latencyMs?: number;
  inflight?: number;
  lastError?: string;
}

/** GET /pools/{id}/health. */
export interface PoolHealth {
  healthy?: boolean;
  healthyOrigins?: number;
  origins?: OriginHealth[];
}

/** One entry of GET /events. */
export interface EventView {
  kind?: string;
  subject?: string;
  message?: string;
  at?: string | number;
  timestamp?: string | number;
  time?: string | number;
}

function notice(result: Result & { ok: false }): HTMLDivElement {
  return el(
    "div",
    { class: result.unavailable ? "unavailable" : "unavailable error" },
    result.unavailable ? "not available" : text(result.error),
  );
}

function shareCell(shares: ShareWindow, pool: string, origin: string): HTMLTableCellElement {
  const value = shares.shareOf(pool, origin);
  if (value === undefined) return el("td", { class: "muted" }, "-");
  const fill = el("div", { class: "fill" });
  fill.style.width = `${Math.round(value * 100)}%`;
  return el(
    "td",
    {},
    el(
      "div",
      { class: "share" },
      el("div", { class: "bar" }, fill),
      el("span", { class: "pct" }, `${Math.round(value * 100)}%`),
    ),
  );
}

/** "stable 95% · canary 5%" when the traffic divides among more than one pool, else null. */
function splitLabel(split: LoadBalancerStatus["split"]): string | null {
  if (!Array.isArray(split) || split.length < 2) return null;
  return split.map((share) => `${share.pool} ${share.percent}%`).join(" · ");
}

/** The load balancer table from GET /status. */
export function renderLoadBalancers(status: Result, configured: Result): void {
  const target = byId("load-balancers");
  const config = new Map(
    configured.ok ? itemsOf<LoadBalancerConfig>(configured.body).map((lb) => [lb.id, lb]) : [],
  );
  if (!status.ok) {
    target.replaceChildren(notice(status));
    return;
  }
  const items = itemsOf<LoadBalancerStatus>(status.body, "loadBalancers");
  if (items.length === 0) {
    target.replaceChildren(el("div", { class: "empty" }, "No load balancers yet."));
    return;
  }
  const rows = items.map((lb) => {
    const serving = lb.enabled === false ? null : lb.pool;
    const kind =
      lb.enabled === false ? "disabled" : !serving ? "none" : lb.via === "fallback" ? "draining" : "healthy";
    const label =
      lb.enabled === false
        ? "disabled"
        : !serving
          ? "no pool"
          : lb.via === "fallback"
            ? `${serving} (fallback)`
            : (splitLabel(lb.split) ?? serving);
    const state = el("span", { class: `badge ${kind}`, "data-serving": serving ?? "" }, label);
    const host = text(lb.hostname) + (lb.pathPrefix && lb.pathPrefix !== "/" ? lb.pathPrefix : "");
    const order =
      (Array.isArray(lb.pools) ? lb.pools.join(" → ") : "") +
      (lb.fallbackPool ? ` · fallback ${lb.fallbackPool}` : "");
    return el(
      "tr",
      { "data-load-balancer": lb.id },
      el("td", {}, el("strong", {}, text(lb.id))),
      el("td", { class: "mono" }, host),
      el("td", {}, state),
      el("td", {}, text(lb.reason)),
      el("td", { class: "muted" }, order || "-"),
      el(
        "td",
        { class: "muted", "data-traffic": lb.id },
        trafficOf(config.get(lb.id)).map((line) => el("div", {}, line)),
      ),
    );
  });
  const head = el(
    "tr",
    {},
    ["Load balancer", "Host", "Serving pool", "Why", "Pools in order", "Traffic"].map((h) => el("th", {}, h)),
  );
  target.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, rows)));
}

/** One panel per pool, each with its origins' states, latency, in-flight count and share. */
export function renderPools(pools: Result, health: Map<string, Result>, shares: ShareWindow): void {
  const target = byId("pools");
  if (!pools.ok) {
    target.replaceChildren(el("div", { class: "panel" }, notice(pools)));
    return;
  }
  const items = itemsOf<PoolView>(pools.body);
  if (items.length === 0) {
    target.replaceChildren(el("div", { class: "panel empty" }, "No pools yet."));
    return;
  }
  target.replaceChildren(...items.map((pool) => renderPool(pool, health.get(pool.id), shares)));
}

function renderPool(pool: PoolView, result: Result | undefined, shares: ShareWindow): HTMLDivElement {
  const origins = Array.isArray(pool.origins) ? pool.origins : [];
  const report = result?.ok ? (result.body as PoolHealth) : null;
  const byName = new Map((report?.origins ?? []).map((o) => [o.name, o]));
  const overall =
    pool.enabled === false ? "disabled" : !report ? "unknown" : report.healthy ? "healthy" : "unhealthy";
  const count =
    report && report.healthyOrigins !== undefined ? `${report.healthyOrigins}/${origins.length} healthy` : "";
  const head = el(
    "div",
    { class: "pool-head" },
    el("h3", {}, pool.id),
    badge(overall),
    el("span", { class: "meta" }, [text(pool.algorithm), count].filter(Boolean).join(" · ")),
  );
  if (result && !result.ok) head.append(el("span", { class: "muted" }, `health ${result.error}`));
  const rows = origins.map((origin) => {
    const h: Partial<OriginHealth> = byName.get(origin.name) ?? {};
    const state = h.state ?? (report ? (h.healthy ? "healthy" : "unhealthy") : "unknown");
    return el(
      "tr",
      { "data-origin": origin.name, "data-state": state },
      el(
        "td",
        {},
        el("strong", {}, origin.name),
        origin.backup ? el("span", { class: "tag" }, "backup") : null,
      ),
      el("td", { class: "mono muted" }, text(origin.address)),
      el("td", {}, badge(state)),
      el("td", { class: "num" }, typeof h.latencyMs === "number" ? `${Math.round(h.latencyMs)} ms` : "-"),
      el("td", { class: "num" }, text(h.inflight)),
      el("td", { class: "num" }, text(origin.weight)),
      shareCell(shares, pool.id, origin.name),
      el("td", { class: "error", title: h.lastError ?? "" }, h.lastError ?? ""),
    );
  });
  const columns: [string, string?, string?][] = [
    ["Origin"],
    ["Address"],
    ["State"],
    ["Latency", "num"],
    ["In-flight", "num"],
    ["Weight", "num"],
    ["Share", "", "Share of the pool's requests over the last 30 s"],
    ["Last error"],
  ];
  const header = el(
    "tr",
    {},
    columns.map(([h, c, title]) => el("th", { class: c, title }, h)),
  );
  return el(
    "div",
    { class: "panel", "data-pool": pool.id },
    head,
    el("table", {}, el("thead", {}, header), el("tbody", {}, rows)),
    el("div", { class: "charts", "data-charts": pool.id }),
  );
}

/** Bad news red, recoveries green, the rest (configuration changes) neutral. */
export function eventClass(kind: unknown): string {
  const name = String(kind ?? "");
  if (/unhealthy|down|eject|failover|unreachable|timeout/.test(name)) return "unhealthy";
  if (/healthy|up|returned|recover/.test(name)) return "healthy";
  return "";
}

/** The recent events list from GET /events. */
export function renderEvents(events: Result): void {
  const target = byId("events");
  if (!events.ok) {
    target.replaceChildren(notice(events));
    return;
  }
  const items = itemsOf<EventView>(events.body, "events");
  if (items.length === 0) {
    target.replaceChildren(el("div", { class: "empty" }, "No events yet."));
    return;
  }
  const rows = items.map((event) => {
    const at = event.at ?? event.timestamp ?? event.time;
    return el(
      "li",
      { "data-kind": event.kind },
      el("span", { class: "muted mono", title: text(at) }, time(at)),
      el("span", {}, el("span", { class: `badge ${eventClass(event.kind)}` }, text(event.kind))),
      el("span", { class: "mono" }, text(event.subject)),
      el("span", {}, text(event.message)),
    );
  });
  const body = events.body as { unavailablePools?: unknown };
  const missing = Array.isArray(body?.unavailablePools) ? (body.unavailablePools as string[]) : [];
  const note = missing.length
    ? el("div", { class: "unavailable" }, `Events of ${missing.join(", ")} could not be read just now.`)
    : null;
  const list = el("ul", {}, rows);
  if (note) target.replaceChildren(note, list);
  else target.replaceChildren(list);
}
