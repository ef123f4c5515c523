/**
 * The whole exposition of one scrape: every pool's series (from its PoolState), the configuration's
 * size and version, how many pools could not be read, and the counters of the isolate that answered.
 *
 * Series counted per load balancer rather than per pool (a rule's answers, unserved requests) are
 * carried by the load balancer's first pool; once that pool changes, the old and the new first pool
 * both hold the series with the same labels. The renderer shows such a series once, counters added
 * up and histograms merged bucket by bucket, so the total stays right and no sample is duplicated.
 * Every other series, gauges included, names its pool and never meets another pool's. Pure.
 */
import { renderExposition } from "./exposition.ts";
import type { CounterPoint, GaugePoint, HistogramPoint, Labels, PoolMetrics } from "./series.ts";

export interface ScrapeInput {
  readonly configVersion: number;
  /** Ids of the configured load balancers; series of load balancers deleted since are left out. */
  readonly loadBalancers: readonly string[];
  /** Names of each load balancer's rules; series of rules removed since are left out. */
  readonly rules: ReadonlyMap<string, ReadonlySet<string>>;
  readonly pools: number;
  /** The series of each pool that answered. */
  readonly poolMetrics: readonly PoolMetrics[];
  /** Pools whose PoolState did not answer. */
  readonly scrapeErrors: number;
  /** This isolate's Durable Object calls by purpose, since it started. */
  readonly doCalls: Readonly<Record<string, number>>;
  /** This isolate's proxied requests, since it started. */
  readonly proxiedRequests: number;
}

/**
 * Renders one scrape.
 * @example new Response(scrapeExposition(input), { headers: { "content-type": EXPOSITION_CONTENT_TYPE } })
 */
export function scrapeExposition(input: ScrapeInput): string {
  const counters: CounterPoint[] = [];
  const histograms: HistogramPoint[] = [];
  const gauges: GaugePoint[] = [
    { name: "edge_lb_config_version", labels: {}, value: input.configVersion },
    { name: "edge_lb_load_balancers", labels: {}, value: input.loadBalancers.length },
    { name: "edge_lb_pools", labels: {}, value: input.pools },
    { name: "edge_lb_scrape_errors", labels: {}, value: input.scrapeErrors },
  ];
  const configured = new Set(input.loadBalancers);
  const rules = input.rules;
  const current = ({ labels }: { labels: Labels }) => {
    const loadBalancer = labels.load_balancer;
    if (loadBalancer === undefined) return true;
    if (!configured.has(loadBalancer)) return false;
    return labels.rule === undefined || rules.get(loadBalancer)?.has(labels.rule) === true;
  };
  for (const pool of input.poolMetrics) {
    counters.push(...pool.counters.filter(current));
    histograms.push(...pool.histograms.filter(current));
    gauges.push(...pool.gauges);
  }
  for (const [purpose, value] of Object.entries(input.doCalls)) {
    counters.push({ name: "edge_lb_do_calls_total", labels: { purpose }, value });
  }
  counters.push({ name: "edge_lb_proxied_requests_total", labels: {}, value: input.proxiedRequests });
  return renderExposition({ counters, histograms, gauges });
}
