/**
 * Counts calls from this isolate to Durable Objects, by purpose, so benchmarks and metrics can check
 * the hot-path rule (well under one DO call per 100 proxied requests). Plain data in module scope.
 */
export type DoCallPurpose = "config" | "pool_state" | "report" | "admin";

const calls: Record<DoCallPurpose, number> = { config: 0, pool_state: 0, report: 0, admin: 0 };
let proxied = 0;

export function countDoCall(purpose: DoCallPurpose): void {
  calls[purpose]++;
}

export function countProxiedRequest(): void {
  proxied++;
}

/** Counters since this isolate started. */
export function doCallStats(): {
  calls: Record<DoCallPurpose, number>;
  total: number;
  proxiedRequests: number;
} {
  const total = calls.config + calls.pool_state + calls.report + calls.admin;
  return { calls: { ...calls }, total, proxiedRequests: proxied };
}
