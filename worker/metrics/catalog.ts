/**
 * Every metric Edge LB exposes at `/__lb/metrics`: its name, type, help text and label names, in the
 * order the exposition lists them. The one list that the edge's accumulation, the PoolState's
 * validation of what edges send, the renderer and the table in docs/operator-guide.md agree on. Pure.
 */

export type MetricType = "counter" | "gauge" | "histogram";

/**
 * Where the figures come from: `edge` series are counted per request at the edge and summed by the
 * pool's PoolState; `pool` series are kept by the PoolState itself; `scrape` series describe the
 * configuration and the isolate that answered the scrape.
 */
export type MetricSource = "edge" | "pool" | "scrape";

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Label names, in the order samples show them. */
  readonly labels: readonly string[];
  readonly source: MetricSource;
}

/** Status classes of responses. */
export const STATUS_CLASSES = ["1xx", "2xx", "3xx", "4xx", "5xx"] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** How an attempt ended: the class of the origin's status, or why there was none. */
export type AttemptOutcomeLabel = StatusClass | "timeout" | "connect" | "client";

const LB_POOL_ORIGIN = ["load_balancer", "pool", "origin"] as const;

export const METRICS = [
  {
    name: "edge_lb_requests_total",
    type: "counter",
    help:
      "Requests answered through an origin, by the origin of the last attempt and the class of the status the " +
      "client received (a last attempt that timed out or could not connect counts as 5xx: the client got 504 or 502).",
    labels: [...LB_POOL_ORIGIN, "status_class"],
    source: "edge",
  },
  {
    name: "edge_lb_unserved_requests_total",
    type: "counter",
    help: "Requests a load balancer matched but answered 503 because no origin of any of its pools could serve.",
    labels: ["load_balancer"],
    source: "edge",
  },
  {
    name: "edge_lb_rule_responses_total",
    type: "counter",
    help:
      "Requests a load balancer's rule answered itself, without any origin: by the rule's name, its action " +
      "(respond or redirect) and the class of the status it answers with.",
    labels: ["load_balancer", "rule", "action", "status_class"],
    source: "edge",
  },
  {
    name: "edge_lb_attempts_total",
    type: "counter",
    help:
      "Attempts sent to origins (a request makes more than one when it is retried), by outcome: the class of " +
      "the origin's status, or timeout or connect when there was no response, or client when the client's upload broke off or the runtime refused to send the request.",
    labels: [...LB_POOL_ORIGIN, "outcome"],
    source: "edge",
  },
  {
    name: "edge_lb_errors_total",
    type: "counter",
    help: "Failed attempts: 5xx responses (but 508), timeouts and connection failures (passive health counts those its pool's failOn names).",
    labels: [...LB_POOL_ORIGIN, "kind"],
    source: "edge",
  },
  {
    name: "edge_lb_retries_total",
    type: "counter",
    help: "Attempts that retried a request on this origin after an earlier attempt on another origin failed.",
    labels: [...LB_POOL_ORIGIN],
    source: "edge",
  },
  {
    name: "edge_lb_failover_requests_total",
    type: "counter",
    help:
      "Requests this pool served because a pool earlier in the load balancer's steering order could not " +
      "(including requests served by the fallback pool).",
    labels: ["load_balancer", "pool"],
    source: "edge",
  },
  {
    name: "edge_lb_request_duration_seconds",
    type: "histogram",
    help: "Time from a request's arrival to the response headers it was answered with, all attempts included.",
    labels: ["load_balancer", "pool"],
    source: "edge",
  },
  {
    name: "edge_lb_origin_response_seconds",
    type: "histogram",
    help: "Time of one attempt, from sending it to the origin's response headers or to its failure.",
    labels: [...LB_POOL_ORIGIN],
    source: "edge",
  },
  {
    name: "edge_lb_mirror_requests_total",
    type: "counter",
    help:
      "Copies of requests sent to an origin of a load balancer's mirror pool, by outcome: the class of the " +
      "origin's status, or timeout or connect. Their answers are discarded; they never count against health.",
    labels: [...LB_POOL_ORIGIN, "outcome"],
    source: "edge",
  },
  {
    name: "edge_lb_mirror_response_seconds",
    type: "histogram",
    help: "Time of one mirrored copy, from sending it to the mirror origin's response headers or to its failure.",
    labels: [...LB_POOL_ORIGIN],
    source: "edge",
  },
  {
    name: "edge_lb_origin_ejections_total",
    type: "counter",
    help: "Times passive health ejected the origin.",
    labels: ["pool", "origin"],
    source: "pool",
  },
  {
    name: "edge_lb_origin_health_transitions_total",
    type: "counter",
    help: "Times active health checks turned the origin healthy or unhealthy.",
    labels: ["pool", "origin", "to"],
    source: "pool",
  },
  {
    name: "edge_lb_pool_failovers_total",
    type: "counter",
    help:
      "Times the pool turned unhealthy, so that load balancers preferring it failed over to their next pool " +
      "(or to their fallback pool).",
    labels: ["pool"],
    source: "pool",
  },
  {
    name: "edge_lb_origin_healthy",
    type: "gauge",
    help: "1 while the origin may receive traffic (enabled, not ejected, not failed by active checks), else 0.",
    labels: ["pool", "origin"],
    source: "pool",
  },
  {
    name: "edge_lb_origin_state",
    type: "gauge",
    help: "1 for the origin's current state (healthy, unhealthy, unknown, ejected, draining, disabled), else 0.",
    labels: ["pool", "origin", "state"],
    source: "pool",
  },
  {
    name: "edge_lb_origin_inflight",
    type: "gauge",
    help: "Requests in flight to the origin, summed over the edges that reported in the last few seconds.",
    labels: ["pool", "origin"],
    source: "pool",
  },
  {
    name: "edge_lb_metric_series",
    type: "gauge",
    help:
      "Metric series the pool's PoolState keeps (at most 20,000); series of removed origins, rules and load " +
      "balancers are deleted as scrapes pass.",
    labels: ["pool"],
    source: "pool",
  },
  {
    name: "edge_lb_metric_series_dropped",
    type: "gauge",
    help: "Updates of new metric series the pool's series cap kept out since its PoolState started; above 0, some series are missing from this scrape.",
    labels: ["pool"],
    source: "pool",
  },
  {
    name: "edge_lb_pool_healthy",
    type: "gauge",
    help: "1 while at least minimumOrigins of the pool's origins are healthy, else 0.",
    labels: ["pool"],
    source: "pool",
  },
  {
    name: "edge_lb_pool_healthy_origins",
    type: "gauge",
    help: "Healthy origins of the pool.",
    labels: ["pool"],
    source: "pool",
  },
  {
    name: "edge_lb_config_version",
    type: "gauge",
    help: "Version of the configuration.",
    labels: [],
    source: "scrape",
  },
  {
    name: "edge_lb_load_balancers",
    type: "gauge",
    help: "Configured load balancers.",
    labels: [],
    source: "scrape",
  },
  {
    name: "edge_lb_pools",
    type: "gauge",
    help: "Configured pools.",
    labels: [],
    source: "scrape",
  },
  {
    name: "edge_lb_scrape_errors",
    type: "gauge",
    help: "Pools whose state could not be read for this scrape; their series are missing from it.",
    labels: [],
    source: "scrape",
  },
  {
    name: "edge_lb_do_calls_total",
    type: "counter",
    help: "Durable Object calls made by the isolate that answered this scrape, since it started, by purpose.",
    labels: ["purpose"],
    source: "scrape",
  },
  {
    name: "edge_lb_proxied_requests_total",
    type: "counter",
    help: "Requests the isolate that answered this scrape matched to a load balancer, since it started.",
    labels: [],
    source: "scrape",
  },
] as const satisfies readonly MetricDefinition[];

export type MetricName = (typeof METRICS)[number]["name"];

const BY_NAME: ReadonlyMap<string, MetricDefinition> = new Map(METRICS.map((m) => [m.name, m]));
const ORDER: ReadonlyMap<string, number> = new Map(METRICS.map((m, index) => [m.name, index]));

/** The definition of `name`, or undefined for a name this catalog does not have. */
export function metricDefinition(name: string): MetricDefinition | undefined {
  return BY_NAME.get(name);
}

/** Position of `name` in the catalog, which orders the families of the exposition. */
export function metricOrder(name: string): number {
  return ORDER.get(name) ?? METRICS.length;
}

/**
 * The class of an HTTP status, e.g. `"5xx"`; statuses outside 100..599 fall into the nearest class.
 * @example statusClass(404) // "4xx"
 */
export function statusClass(status: number): StatusClass {
  const index = Math.min(Math.max(Math.floor(status / 100), 1), 5) - 1;
  return STATUS_CLASSES[index] ?? "5xx";
}
