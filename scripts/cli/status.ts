/**
 * `status`: each load balancer with the pool serving it now and why (`GET /status`), then each
 * pool with its origins' health (`GET /pools/{id}/health`). An endpoint the server does not offer
 * is shown as "not available" instead of failing the whole command.
 */
import type {
  OriginHealth as ServedOriginHealth,
  PoolHealth as ServedPoolHealth,
} from "../../worker/health/types.ts";
import { type ApiClient, ApiError } from "./client.ts";
import type { Output } from "./config.ts";
import {
  ago,
  type Color,
  cell,
  formatTable,
  millis,
  paint,
  terminalJson,
  terminalSafeDeep,
} from "./format.ts";

export interface LoadBalancerStatus {
  id: string;
  hostname?: string;
  pathPrefix?: string;
  enabled?: boolean;
  pool?: string | null;
  /** How the serving pool was reached: steering, fallback, none or disabled. */
  via?: string;
  reason?: string;
  /** For split steering (random, hash): each pool's share of the traffic now, in percent. */
  split?: { pool: string; percent: number }[] | null;
  [field: string]: unknown;
}

/**
 * What `GET /pools/{id}/health` answers (its zod schema, worker/health/types.ts), every field but the
 * name optional so that an older server's answer still renders.
 */
export type OriginHealth = Partial<ServedOriginHealth> & { name: string };

export type PoolHealth = Partial<Omit<ServedPoolHealth, "origins">> & {
  pool: string;
  origins?: OriginHealth[];
};

export interface PoolSummary {
  id: string;
  enabled?: boolean;
  algorithm?: string;
  origins?: Array<{ name: string; address?: string; weight?: number }>;
}

/** What `status` shows; each part is `undefined`-free: an unavailable part carries its reason. */
export interface StatusReport {
  loadBalancers: LoadBalancerStatus[] | { unavailable: string };
  pools: Array<{ pool: PoolSummary; health: PoolHealth | { unavailable: string } }> | { unavailable: string };
}

const STATE_COLOR: Record<string, Color> = {
  healthy: "green",
  unhealthy: "red",
  ejected: "red",
  draining: "yellow",
  disabled: "gray",
  unknown: "gray",
};

/** Gathers everything `status` shows, one request per pool for health (bounded, in parallel). */
export async function collectStatus(client: ApiClient): Promise<StatusReport> {
  const [status, pools] = await Promise.all([
    optional(client.get<unknown>("/status")),
    optional(client.get<{ items?: PoolSummary[] }>("/pools")),
  ]);
  const loadBalancers = "unavailable" in status ? status : statusItems(status.value);
  if ("unavailable" in pools) return { loadBalancers, pools };
  const items = pools.value.items ?? [];
  const health: StatusReport["pools"] = [];
  for (let i = 0; i < items.length; i += 6) {
    const batch = items.slice(i, i + 6);
    const answers = await Promise.all(
      batch.map((pool) => optional(client.get<PoolHealth>(`/pools/${encodeURIComponent(pool.id)}/health`))),
    );
    batch.forEach((pool, j) => {
      const answer = answers[j]!;
      health.push({ pool, health: "unavailable" in answer ? answer : answer.value });
    });
  }
  return { loadBalancers, pools: health };
}

/** The list in a `/status` answer: `{ items }`, `{ loadBalancers }` or a bare array. */
export function statusItems(body: unknown): LoadBalancerStatus[] {
  if (Array.isArray(body)) return body as LoadBalancerStatus[];
  const record = (body ?? {}) as Record<string, unknown>;
  const list = record.items ?? record.loadBalancers;
  return Array.isArray(list) ? (list as LoadBalancerStatus[]) : [];
}

async function optional<T>(request: Promise<{ body: T }>): Promise<{ value: T } | { unavailable: string }> {
  try {
    return { value: (await request).body };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405 || error.status === 501)) {
      return {
        unavailable: `not available (${error.status}${error.problem.detail ? `: ${error.problem.detail}` : ""})`,
      };
    }
    throw error;
  }
}

/** The report as text: a load balancer table, then one origin table per pool. */
export function renderStatus(report: StatusReport, now: number, color: boolean): string {
  const lines: string[] = [paint("LOAD BALANCERS", "bold", color)];
  if ("unavailable" in report.loadBalancers) lines.push(`  ${report.loadBalancers.unavailable}`);
  else if (report.loadBalancers.length === 0) lines.push("  none");
  else {
    const rows = report.loadBalancers.map((lb) => [
      lb.id,
      `${lb.hostname ?? ""}${lb.pathPrefix && lb.pathPrefix !== "/" ? lb.pathPrefix : ""}` || "-",
      lb.enabled === false ? paint("disabled", "gray", color) : servingPool(lb, color),
      cell(lb.reason),
    ]);
    lines.push(formatTable(["ID", "HOST", "SERVING", "WHY"], rows, { indent: "  " }));
  }
  lines.push("", paint("POOLS", "bold", color));
  if ("unavailable" in report.pools) lines.push(`  ${report.pools.unavailable}`);
  else if (report.pools.length === 0) lines.push("  none");
  for (const entry of "unavailable" in report.pools ? [] : report.pools) {
    lines.push(...renderPool(entry.pool, entry.health, now, color), "");
  }
  return lines.join("\n").trimEnd();
}

function servingPool(lb: LoadBalancerStatus, color: boolean): string {
  if (lb.pool === null || lb.pool === undefined) return paint("none", "red", color);
  if (lb.via === "fallback") return paint(`${lb.pool} (fallback)`, "yellow", color);
  // A split serves from several pools at once: each with its share.
  if (Array.isArray(lb.split) && lb.split.length > 1) {
    return paint(lb.split.map((share) => `${share.pool} ${share.percent}%`).join(", "), "green", color);
  }
  return paint(lb.pool, "green", color);
}

function renderPool(
  pool: PoolSummary,
  health: PoolHealth | { unavailable: string },
  now: number,
  color: boolean,
): string[] {
  const total = pool.origins?.length;
  if ("unavailable" in health) return [`  ${pool.id}: health ${health.unavailable}`];
  const verdict =
    pool.enabled === false
      ? paint("disabled", "gray", color)
      : health.healthy
        ? paint("healthy", "green", color)
        : paint("unhealthy", "red", color);
  const count =
    health.healthyOrigins === undefined ? "" : ` (${health.healthyOrigins}/${total ?? "?"} origins healthy)`;
  const algorithm = pool.algorithm ? `, ${pool.algorithm}` : "";
  const weights = new Map((pool.origins ?? []).map((o) => [o.name, o.weight]));
  // Checks from several regions: a column with how many see each origin healthy, and which do not.
  const regional = (health.origins ?? []).some((origin) => origin.regions !== undefined);
  const rows = (health.origins ?? []).map((origin) => {
    const state = origin.state ?? (origin.healthy ? "healthy" : "unhealthy");
    return [
      origin.name,
      paint(state, STATE_COLOR[state] ?? "gray", color),
      cell(weights.get(origin.name)),
      millis(origin.latencyMs),
      cell(origin.inflight ?? 0),
      ago(origin.lastCheckAt, now),
      ...(regional ? [regionsCell(origin.regions)] : []),
      cell(origin.lastError),
    ];
  });
  const headers = ["ORIGIN", "STATE", "WEIGHT", "LATENCY", "IN-FLIGHT", "CHECKED"];
  return [
    `  ${paint(pool.id, "bold", color)}: ${verdict}${count}${algorithm}`,
    formatTable([...headers, ...(regional ? ["REGIONS"] : []), "LAST ERROR"], rows, {
      indent: "    ",
      right: [2, 3, 4],
    }),
  ];
}

/** "2/3 ok (weur down)": the regions that see the origin healthy, of all, and those that do not. */
function regionsCell(regions: OriginHealth["regions"]): string {
  if (!regions) return "-";
  const entries = Object.entries(regions);
  const down = entries.filter(([, view]) => !view.healthy).map(([region]) => region);
  const ok = `${entries.length - down.length}/${entries.length} ok`;
  return down.length > 0 ? `${ok} (${down.join(", ")} down)` : ok;
}

/** `edge-lb status [--json]`. */
export async function showStatus(
  client: ApiClient,
  json: boolean,
  output: Output,
  now: number,
): Promise<number> {
  const report = await collectStatus(client);
  // Error messages and reasons come from origins (a probe's lastError quotes what an origin sent):
  // nothing of theirs reaches the terminal as a control character.
  output.out(
    json ? `${terminalJson(report, 2)}\n` : `${renderStatus(terminalSafeDeep(report), now, output.color)}\n`,
  );
  return 0;
}
