import type { ConfigStore } from "../durable-objects/config-store/index.ts";
import type { HealthProber } from "../durable-objects/health-prober/index.ts";
import type { Notifier } from "../durable-objects/notifier/index.ts";
import type { PoolState } from "../durable-objects/pool-state/index.ts";
import type { ReportAggregator } from "../durable-objects/report-aggregator/index.ts";

/** Bindings and variables of the Worker (wrangler.toml, secrets, .dev.vars). */
export interface Env {
  CONFIG_STORE: DurableObjectNamespace<ConfigStore>;
  POOL_STATE: DurableObjectNamespace<PoolState>;
  /** One object ("global"): notification resources and the outbox of webhook deliveries. */
  NOTIFIER: DurableObjectNamespace<Notifier>;
  /** One per pool and region; receives the isolates' reports while their pool is aggregated. */
  REPORT_AGGREGATOR: DurableObjectNamespace<ReportAggregator>;
  /** Sends a pool's health probes for its PoolState: one per pool and `healthCheck.regions` entry. */
  HEALTH_PROBER: DurableObjectNamespace<HealthProber>;
  /** Secret: may read and write the management API. Unset: the API answers 503. */
  ADMIN_TOKEN?: string;
  /** Secret, optional: may only read. */
  READ_TOKEN?: string;
  /**
   * Secret, optional: the key that signs session-affinity cookies. Unset: a random key that the
   * ConfigStore generates once and keeps signs them (never a key derived from a token).
   */
  AFFINITY_SECRET?: string;
  /** When set, the management API answers only on this hostname. */
  ADMIN_HOSTNAME?: string;
  /** Optional Analytics Engine dataset: one data point per proxied request (docs/operator-guide.md). */
  ANALYTICS?: AnalyticsEngineDataset;
  /** Share of proxied requests logged as one JSON line each, from 0 (default) to 1. */
  REQUEST_LOG_SAMPLE_RATE?: string;
  /**
   * Where isolates send their pool reports: `"auto"` (default, also when unset), as each pool's
   * PoolState says (worker/health/aggregation-mode.ts); `"off"`, straight to each pool's PoolState;
   * `"region"`, to the ReportAggregator of the pool and the region of the request
   * (`request.cf.continent`), which forwards one combined report (docs/scale.md).
   */
  REPORT_AGGREGATION?: string;
  /**
   * The Cache API cache through which the isolates of one location share what they read from the
   * Durable Objects (docs/scale.md, "The per-location tier"): a cache name (default `edge-lb-state`),
   * `default` for `caches.default`, or `off` for every isolate to read the Durable Objects itself.
   */
  LOCATION_CACHE?: string;
}
