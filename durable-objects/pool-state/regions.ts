/**
 * The PoolState's regional views (`healthCheck.regions`): each region's verdict of each origin, in
 * memory and in the SQLite table `origin_regions(name, region, ...)` (docs/storage.md). The rules are
 * in worker/health/regions.ts; this module keeps the views, drops those of regions or origins the
 * pool no longer has, and shows them in the snapshot (counts) and the health API (each region).
 */
import type { HealthCheck, Pool } from "../../worker/config/schema.ts";
import {
  applyRegionalProbe,
  type Quorum,
  quorumOf,
  type RegionalResult,
  type RegionRecord,
} from "../../worker/health/regions.ts";
import type {
  CheckStatus,
  HealthEvent,
  OriginHealth,
  OriginRecord,
  PoolSnapshot,
} from "../../worker/health/types.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS origin_regions (
  name TEXT NOT NULL,
  region TEXT NOT NULL,
  check_status TEXT NOT NULL,
  successes INTEGER NOT NULL,
  failures INTEGER NOT NULL,
  last_check_at INTEGER,
  last_error TEXT,
  latency_ms REAL,
  passing_since INTEGER,
  PRIMARY KEY (name, region)
)`;

interface RegionRow extends Record<string, SqlStorageValue> {
  name: string;
  region: string;
  check_status: string;
  successes: number;
  failures: number;
  last_check_at: number | null;
  last_error: string | null;
  latency_ms: number | null;
  passing_since: number | null;
}

/** The regions a pool's checks name; empty with one prober or with checks off. */
export function checkRegions(pool: Pool | null): readonly string[] {
  const check = pool?.healthCheck;
  return check?.enabled ? check.regions : [];
}

export class RegionalViews {
  readonly #sql: SqlStorage;
  /** Origin name → region → view. */
  #views = new Map<string, Map<string, RegionRecord>>();

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    if (this.#tableExists()) {
      for (const row of this.#sql.exec<RegionRow>("SELECT * FROM origin_regions").toArray()) {
        this.of(row.name).set(row.region, fromRow(row));
      }
    }
  }

  /** The views of one origin (created empty). */
  of(name: string): Map<string, RegionRecord> {
    let views = this.#views.get(name);
    if (!views) {
      views = new Map();
      this.#views.set(name, views);
    }
    return views;
  }

  /**
   * Applies one region's probe of `record`'s origin; returns the event when the combined verdict
   * flips. The caller saves the record.
   */
  apply(pool: Pool, record: OriginRecord, result: RegionalResult, check: HealthCheck): HealthEvent | null {
    const views = this.of(record.name);
    const event = applyRegionalProbe(pool.id, record, views, checkRegions(pool), result, check);
    const view = views.get(result.region);
    if (view) this.save(record.name, view);
    return event;
  }

  /** Saves one origin's view of one region. */
  save(name: string, view: RegionRecord): void {
    this.#sql.exec(SCHEMA);
    this.#sql.exec(
      `INSERT OR REPLACE INTO origin_regions (name, region, check_status, successes, failures,
         last_check_at, last_error, latency_ms, passing_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      name,
      view.region,
      view.check,
      view.successes,
      view.failures,
      view.lastCheckAt,
      view.lastError,
      view.latencyMs,
      view.passingSince,
    );
  }

  /** Forgets an origin's views (it was removed, or names another server now). */
  forget(name: string): void {
    this.#views.delete(name);
    if (this.#tableExists()) this.#sql.exec("DELETE FROM origin_regions WHERE name = ?", name);
  }

  /** Keeps only the views of the pool's origins and of the regions its checks name now. */
  keep(pool: Pool): void {
    const names = new Set(pool.origins.map((origin) => origin.name));
    const regions = new Set(checkRegions(pool));
    for (const [name, views] of this.#views) {
      if (!names.has(name)) {
        this.forget(name);
        continue;
      }
      for (const region of views.keys()) {
        if (regions.has(region)) continue;
        views.delete(region);
        this.#sql.exec("DELETE FROM origin_regions WHERE name = ? AND region = ?", name, region);
      }
    }
  }

  /** Forgets everything (the pool was deleted; its storage goes with it). */
  clear(): void {
    this.#views.clear();
  }

  /** Each origin's quorum in the snapshot, so that the edge and explain can say why. */
  stamp(pool: Pool, snapshot: PoolSnapshot): void {
    const regions = checkRegions(pool);
    if (regions.length === 0) return;
    for (const origin of pool.origins) {
      const entry = snapshot.origins[origin.name];
      if (!entry) continue;
      const { healthy, unhealthy } = quorumOf(regions, this.of(origin.name));
      entry.regions = { healthy, unhealthy, of: regions.length };
    }
  }

  /** The `regions` field of each origin in `GET /pools/{id}/health`. */
  describe(pool: Pool, origins: OriginHealth[]): void {
    const regions = checkRegions(pool);
    if (regions.length === 0) return;
    for (const origin of origins) {
      const views = this.of(origin.name);
      origin.regions = Object.fromEntries(
        regions.map((region) => {
          const view = views.get(region);
          return [
            region,
            {
              healthy: view?.check !== "unhealthy",
              lastCheckAt: view?.lastCheckAt != null ? new Date(view.lastCheckAt).toISOString() : null,
              latencyMs: view?.latencyMs ?? null,
              lastError: view?.lastError ?? null,
            },
          ];
        }),
      );
    }
  }

  /** The quorum of one origin over the pool's regions. */
  quorum(pool: Pool, name: string): Quorum {
    return quorumOf(checkRegions(pool), this.of(name));
  }

  #tableExists(): boolean {
    return (
      this.#sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'origin_regions'")
        .toArray().length > 0
    );
  }
}

function fromRow(row: RegionRow): RegionRecord {
  return {
    region: row.region,
    check: row.check_status as CheckStatus,
    successes: row.successes,
    failures: row.failures,
    lastCheckAt: row.last_check_at,
    lastError: row.last_error,
    latencyMs: row.latency_ms,
    passingSince: row.passing_since,
  };
}
