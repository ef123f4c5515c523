/**
 * The dashboard's one read of live state: `GET /overview` (every load balancer with the pool it
 * serves from, every pool with its origins' health, from the answering edge's snapshots), split
 * into the answers the panels draw from, so that a refresh costs one request however many pools.
 */
import { api, type Result } from "./api.ts";
import { el } from "./dom.ts";
import type { PoolView } from "./render.ts";

/** One pool of the overview: its configuration, its health and how old that is. */
export interface OverviewPool extends PoolView {
  health?: unknown;
  ageMs?: number | null;
  stale?: boolean;
}

/** The panels' inputs: load balancer status and traffic settings, pools, and each pool's health. */
export interface OverviewParts {
  status: Result;
  configured: Result;
  pools: Result;
  health: Map<string, Result>;
  ids: string[];
  /** Pools shown from a snapshot older than the server's bound, with how old it is. */
  stale: Map<string, string>;
}

/**
 * Reads the overview and splits it; a failed read fails every part alike.
 * @example const { status, pools, health } = await readOverview(token);
 */
export async function readOverview(token: string): Promise<OverviewParts> {
  const answer = await api<{ loadBalancers?: unknown[]; pools?: OverviewPool[] }>("/overview", token);
  if (!answer.ok)
    return {
      status: answer,
      configured: answer,
      pools: answer,
      health: new Map(),
      ids: [],
      stale: new Map(),
    };
  const loadBalancers = answer.body.loadBalancers ?? [];
  const pools = answer.body.pools ?? [];
  const health = new Map<string, Result>();
  const stale = new Map<string, string>();
  for (const pool of pools) {
    if (pool.health !== undefined) health.set(pool.id, { ok: true, body: pool.health });
    if (pool.stale) {
      stale.set(
        pool.id,
        typeof pool.ageMs === "number" ? `${Math.round(pool.ageMs / 1000)} s old` : "not read yet",
      );
    }
  }
  return {
    status: { ok: true, body: { items: loadBalancers } },
    configured: { ok: true, body: loadBalancers },
    pools: { ok: true, body: pools },
    health,
    ids: pools.map((pool) => pool.id),
    stale,
  };
}

/** Notes, in each drawn pool's heading, that its health is older than the server's bound. */
export function markStale(stale: ReadonlyMap<string, string>): void {
  for (const [id, age] of stale) {
    const head = document.querySelector<HTMLElement>(`[data-pool="${CSS.escape(id)}"] .pool-head`);
    head?.append(el("span", { class: "muted", "data-stale": age }, `health ${age}`));
  }
}
