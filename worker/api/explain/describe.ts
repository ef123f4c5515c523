/**
 * The words and figures of an explanation (`GET /explain`): pools with their health, origins with
 * the inputs their pool's algorithm sees, the session-affinity step and why nothing matched. Every
 * verdict here comes from the edge's own rules (health/edge-view.ts through edge/pool-view.ts, the
 * routing index); this module only puts them into words.
 */

import {
  affinityKeySpec,
  type KeyOrigin,
  type KeySource,
  type KeySpec,
  requestKey,
} from "../../affinity/request-key.ts";
import type { AffinityOutcome } from "../../affinity/resolve.ts";
import type { Candidate } from "../../balancing/types.ts";
import type { AlgorithmName, ConfigSnapshot, Pool } from "../../config/schema.ts";
import { hashTableFor } from "../../edge/pool-balancers.ts";
import { poolSnapshotAgeMs } from "../../edge/pool-state-cache.ts";
import { edgeViewInput, poolCandidatesHere } from "../../edge/pool-view.ts";
import { originVerdict } from "../../health/edge-view.ts";
import { describeQuorum } from "../../health/regions.ts";
import { normalizeHostname } from "../../http/hostname.ts";
import type { AffinityPick, Session } from "../../proxy/session.ts";
import type { PoolConsidered } from "../../routing/choose-pool.ts";
import { buildRouteIndex, matchLoadBalancer } from "../../routing/match.ts";
import type { AffinityExplanation, OriginExplanation, PoolExplanation } from "./schema.ts";

const OUTCOME_REASONS: Record<AffinityOutcome, string> = {
  pinned: "the pinned origin is usable and serves",
  new: "no pin yet: the pool's algorithm chooses",
  reselected:
    "the pinned origin is not usable or gone: the pool's algorithm chooses again and the client is re-pinned",
  temporary: "the pinned origin is not usable: another origin serves and the pin stays for when it is back",
  unavailable: "no origin is usable",
  draining:
    "the pinned origin is drained but keeps the sessions pinned to it for sessionAffinity.drainSeconds after the drain began (a drain session)",
};

const ALGORITHM_REASONS: Record<AlgorithmName, string> = {
  round_robin:
    "smooth weighted round robin: the next origin of this edge's rotation (explaining does not advance it; another edge keeps its own rotation)",
  random: "weighted random draw",
  least_connections:
    "fewest requests in flight per unit of weight; origins within 10 % of the fewest tie and one is drawn by weight",
  least_request:
    "power of two choices: two origins drawn by weight, the one with fewer requests in flight per unit of weight serves",
  least_time:
    "lowest response time × (in flight + 1) / weight; origins within 10 % of the lowest tie and one is drawn by weight",
  hash: "consistent hash",
  first: "the first usable origin in pool order",
};

/**
 * The pools the decision looked at, in order, with their health at this edge.
 * @example describePools(choice.considered, pools, Date.now())
 */
export function describePools(
  considered: readonly PoolConsidered[],
  pools: ReadonlyMap<string, Pool>,
  now: number,
): PoolExplanation[] {
  return considered.map((step) => {
    const pool = pools.get(step.pool);
    if (!pool) return { id: step.pool, verdict: step.verdict, reason: step.reason };
    const view = poolCandidatesHere(pool, now);
    return {
      id: pool.id,
      verdict: step.verdict,
      reason: step.reason,
      enabled: pool.enabled,
      healthy: view.healthy,
      healthyOrigins: view.healthyOrigins,
      minimumOrigins: pool.minimumOrigins,
      origins: pool.origins.length,
      usableOrigins: view.candidates.length,
      healthAgeMs: poolSnapshotAgeMs(pool.id, now),
    };
  });
}

/**
 * Every origin of `pool`, in pool order, with the edge's verdict and, for the `candidates` of the
 * request, what the algorithm sees.
 * @example describeOrigins(pool, plan.candidates, Date.now())
 */
export function describeOrigins(
  pool: Pool,
  candidates: readonly Candidate[],
  now: number,
): OriginExplanation[] {
  const view = edgeViewInput(pool, now);
  return pool.origins.map((origin) => {
    const candidate = candidates.find((c) => c.name === origin.name);
    const verdict = originVerdict(view, origin);
    const seen = view.snapshot?.origins[origin.name];
    let note: string | undefined;
    if (candidate && verdict !== "usable") note = "the fallback pool serves whatever its health";
    else if (!candidate && verdict === "usable" && origin.backup) {
      note = "a backup serves only when no primary origin is usable";
    }
    return {
      name: origin.name,
      address: origin.address,
      backup: origin.backup,
      weight: origin.weight,
      candidate: candidate !== undefined,
      verdict,
      state: seen?.state ?? null,
      ...(seen?.regions ? { regions: describeQuorum(seen.regions) } : {}),
      effectiveWeight: candidate ? round(candidate.weight, 3) : null,
      inflight: candidate ? candidate.inflight : null,
      latencyMs: candidate?.latencyMs != null ? round(candidate.latencyMs, 1) : null,
      ...(note ? { note } : {}),
    };
  });
}

/**
 * The session-affinity step of a request whose first attempt `pick` decided.
 * @param cookieSent whether the request carries the load balancer's affinity cookie at all
 */
export function describeAffinity(
  session: Session | null,
  cookieSent: boolean,
  pick: AffinityPick,
  pool: Pool,
  source: KeySource,
): AffinityExplanation {
  if (!session) return { type: "none", reason: "the load balancer has no session affinity" };
  const affinity = session.loadBalancer.sessionAffinity;
  if (affinity.type === "cookie") {
    const base = { type: "cookie", cookieName: affinity.cookieName } as const;
    if (!session.key) {
      return {
        ...base,
        cookie: cookieSent ? "invalid" : "absent",
        pinned: null,
        outcome: null,
        setsCookie: false,
        reason:
          "no signing key (AFFINITY_SECRET unset and the stored key unavailable): no cookie is read or set, requests are balanced as without affinity",
      };
    }
    const pin = session.pin;
    return {
      ...base,
      cookie: pin ? "valid" : cookieSent ? "invalid" : "absent",
      pinned: pin
        ? { pool: pin.poolId, origin: pin.origin, expiresAt: new Date(pin.expiresAt).toISOString() }
        : null,
      outcome: pick.outcome,
      setsCookie: pick.issue,
      reason: `${OUTCOME_REASONS[pick.outcome ?? "unavailable"]}${cookieSent && !pin ? " (the cookie sent is malformed, forged, expired or from another load balancer, so it is ignored)" : ""}`,
    };
  }
  const type = affinity.type === "ip" ? "ip" : "header";
  const spec = affinityKeySpec(affinity);
  if (!spec) {
    return {
      type,
      key: null,
      home: null,
      outcome: null,
      reason: "no headerName: requests are balanced as without affinity",
    };
  }
  const key = requestKey(spec, source);
  // A drain session serves the key's home before the drain (the table of the weights before it).
  const home =
    pick.outcome === "draining"
      ? (pick.candidates[0]?.name ?? null)
      : (hashTableFor(pool).home(key.key) ?? null);
  const reason =
    pick.outcome === "pinned"
      ? "the key's home origin is usable and serves"
      : pick.outcome === "draining"
        ? "the key's home before the drain is the drained origin, which keeps its sessions for sessionAffinity.drainSeconds after the drain began (a drain session)"
        : pick.outcome === "temporary"
          ? "the key's home origin is not usable: its next preference in the same table serves, until it is back"
          : OUTCOME_REASONS[pick.outcome ?? "unavailable"];
  return {
    type,
    key: { on: keyName(spec), from: key.from, value: key.key },
    home,
    outcome: pick.outcome,
    reason,
  };
}

/**
 * Why the first attempt goes to the origin it goes to.
 * @param hashKey the request's key for algorithm "hash", else null
 * @param random whether the choice is a draw
 */
export function originReason(
  pool: Pool,
  pick: AffinityPick,
  hashKey: { key: string; from: KeyOrigin } | null,
  random: boolean,
): string {
  if (pick.outcome === "pinned") return "session affinity: the pinned origin serves";
  if (pick.outcome === "draining") {
    return "drain session: the pinned origin is drained, and serves the sessions pinned to it for sessionAffinity.drainSeconds after the drain began";
  }
  let reason = ALGORITHM_REASONS[pool.algorithm];
  if (pool.algorithm === "hash" && hashKey) {
    const fallback =
      hashKey.from === "client_ip"
        ? "; the request has no such value, so its client address is hashed"
        : hashKey.from === "none"
          ? "; the request has no such value and no client address, so the empty key is hashed"
          : "";
    reason = `consistent hash of ${pool.hashOn} "${hashKey.key}"${fallback}`;
  }
  if (pick.outcome === "temporary" || pick.outcome === "reselected") {
    reason = `session affinity: the pinned origin cannot serve, so ${reason}`;
  }
  return random ? `${reason}; this is one draw, shares gives each origin's part of such requests` : reason;
}

/**
 * Why no load balancer serves `hostname` + `path`: a disabled one that would, prefixes that miss the
 * path, or no load balancer for the host at all. Uses the proxy's own matching.
 */
export function noMatchReason(config: ConfigSnapshot, hostname: string, path: string): string {
  const everyone = config.loadBalancers.map((lb) => ({ ...lb, enabled: true }));
  const disabled = matchLoadBalancer(buildRouteIndex(everyone), hostname, path);
  if (disabled) {
    const { id, hostname: host, pathPrefix } = disabled.loadBalancer;
    return `load balancer "${id}" (${host}, pathPrefix "${pathPrefix}") would serve this request but is disabled`;
  }
  const enabled = config.loadBalancers.filter((lb) => lb.enabled);
  const anyPath = matchLoadBalancer(
    buildRouteIndex(enabled.map((lb) => ({ ...lb, pathPrefix: "/" }))),
    hostname,
    "/",
  );
  if (anyPath) {
    const prefixes = enabled
      .filter((lb) => normalizeHostname(lb.hostname) === anyPath.hostname)
      .map((lb) => `"${lb.pathPrefix}"`)
      .sort();
    return `load balancers serve host "${anyPath.hostname}" (pathPrefix ${prefixes.join(", ")}), but no prefix matches the path "${path}"`;
  }
  return `no enabled load balancer has the hostname "${normalizeHostname(hostname)}" or a wildcard covering it`;
}

function keyName(spec: KeySpec): string {
  return spec.kind === "ip" || spec.kind === "path" ? spec.kind : `${spec.kind}:${spec.name}`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
