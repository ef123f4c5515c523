/**
 * Section 3, state cost: Durable Object calls of the load balancer's isolate per 100 proxied
 * requests, from the counters `GET /__lb/healthz` reports before and after the measured load of the
 * proxy-overhead run.
 */
import type { SectionResult } from "../lib/report.ts";
import { fmt } from "../lib/stats.ts";
import type { IsolateCounters } from "../runtime/lb-admin.ts";

/** Builds section 3 from the counters read around the measured load (null when unreadable). */
export function stateSection(
  before: IsolateCounters | null,
  after: IsolateCounters | null,
  clientResponses: number | null,
  lbRan: boolean,
): SectionResult {
  const result: SectionResult = {
    id: "state",
    title: "3. State cost",
    method: [
      "Durable Object calls made by the load balancer's isolate per 100 proxied requests, during the " +
        "measured part of the proxy-overhead run (warm-up excluded). The Worker counts its calls " +
        "(`worker/edge/do-calls.ts`) and `GET /__lb/healthz` reports them as " +
        "`isolate: { doCalls, proxiedRequests }`; they are read before and after the measured load. " +
        "Target: fewer than 1 call per 100 requests.",
    ],
    tables: [],
    notes: [],
  };
  if (clientResponses === null) {
    result.notes.push(
      lbRan ? "Not measured: the load balancer did not proxy." : "Not measured: no load balancer.",
    );
    return result;
  }
  if (!before || !after) {
    result.notes.push(
      "Not measured: `GET /__lb/healthz` does not report `isolate: { doCalls, proxiedRequests }`.",
    );
    return result;
  }
  const calls = after.doCalls - before.doCalls;
  const proxied = after.proxiedRequests - before.proxiedRequests;
  const denominator = proxied > 0 ? proxied : clientResponses;
  const per100 = (calls / denominator) * 100;
  result.tables.push({
    columns: [
      "DO calls",
      "proxied requests (isolate)",
      "responses (client)",
      "DO calls per 100 requests",
      "target < 1",
    ],
    rows: [
      [String(calls), String(proxied), String(clientResponses), fmt(per100), per100 < 1 ? "met" : "missed"],
    ],
  });
  result.notes.push(
    "The calls come from refreshes of the cached configuration and pool state and from the batched " +
      "reports, which run on a clock (a few per second at most), not once per request: per 100 " +
      "requests the figure falls as traffic grows. The isolate also counts requests still in flight " +
      "when a load segment ended, hence slightly more proxied requests than client responses.",
  );
  if (proxied === 0) {
    result.notes.push(
      "The isolate counted no proxied requests; the client's response count is the denominator.",
    );
  }
  return result;
}
