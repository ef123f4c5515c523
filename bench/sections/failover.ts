/**
 * Section 4, failover: steady GET load through the load balancer (and through nginx as a reference
 * when it is on PATH); one of three origins is killed, later restarted on the same port. Reports
 * what clients saw, how long the dead origin kept being sent requests, when the health API showed
 * it down, and when it received traffic again after the restart.
 */
import { performance } from "node:perf_hooks";
import { onCleanup } from "../lib/cleanup.ts";
import type { SectionResult, Table } from "../lib/report.ts";
import { fmt, quantile, seconds, sleep } from "../lib/stats.ts";
import {
  ADMIN_TOKEN,
  LB_HOST,
  type OriginHealth,
  POOL_ID,
  PROBE_PATH,
  poolHealth,
  seedAndVerify,
} from "../runtime/lb-admin.ts";
import { type SteadyAnswer, steadyLoad } from "../runtime/load.ts";
import { hasNginx, startNginx } from "../runtime/nginx.ts";
import { type BenchOrigin, startOrigins, stopOrigins } from "../runtime/origins.ts";
import { openSinkhole } from "../runtime/sinkhole.ts";
import { startRuntime } from "../runtime/workerd.ts";

export interface FailoverOptions {
  quick: boolean;
}

interface Timing {
  rate: number;
  baselineMs: number;
  deadMs: number;
  returnTimeoutMs: number;
}

const VICTIM = 1; // origin-2

interface Outcome {
  sent: number;
  shed: number;
  errorsWhileDead: number;
  answeredWhileDead: number;
  firstErrorMs: number | null;
  lastErrorMs: number | null;
  errorsAfterRestart: number;
  deadHits: number;
  probeHits: number;
  lastDeadHitMs: number | null;
  healthDownMs: number | null;
  healthUpMs: number | null;
  trafficBackMs: number | null;
  p99BeforeMs: number;
  p99WhileDeadMs: number;
  healthApi: boolean;
}

function isFailure(answer: SteadyAnswer): boolean {
  return answer.status === 0 || answer.status >= 500;
}

/** Polls the pool health endpoint, recording when the victim is first seen down and up again. */
function watchHealth(lbUrl: string, victim: string) {
  const seen = { downAt: null as number | null, upAt: null as number | null, answered: false };
  let watchDownAfter = Number.POSITIVE_INFINITY;
  let watchUpAfter = Number.POSITIVE_INFINITY;
  let running = true;
  const loop = (async () => {
    while (running) {
      const origins: OriginHealth[] | null = await poolHealth(lbUrl);
      const now = performance.now();
      const origin = origins?.find((o) => o.name === victim);
      if (origin) {
        seen.answered = true;
        const down = origin.healthy === false || origin.state === "unhealthy" || origin.state === "ejected";
        if (down && seen.downAt === null && now >= watchDownAfter) seen.downAt = now;
        if (!down && seen.downAt !== null && now >= watchUpAfter && seen.upAt === null) seen.upAt = now;
      }
      await sleep(100);
    }
  })();
  return {
    seen,
    watchDownFrom(at: number) {
      watchDownAfter = at;
    },
    watchUpFrom(at: number) {
      watchUpAfter = at;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}

/**
 * Waits until the health API shows every origin healthy: "healthy", "timeout", or "no-api" when the
 * endpoint has not answered at all within its first two seconds.
 */
async function waitAllHealthy(lbUrl: string, timeoutMs: number): Promise<"healthy" | "timeout" | "no-api"> {
  let answered = false;
  for (let waited = 0; waited < timeoutMs; waited += 200) {
    const origins = await poolHealth(lbUrl);
    if (origins) answered = true;
    if (origins && origins.length > 0 && origins.every((o) => o.healthy)) return "healthy";
    if (!answered && waited >= 2000) return "no-api";
    await sleep(200);
  }
  return "timeout";
}

/** One scenario through `url`: kill the victim, wait, restart it, wait for traffic to return. */
async function scenario(
  url: string,
  host: string | undefined,
  origins: readonly BenchOrigin[],
  timing: Timing,
  lbUrl: string | null,
): Promise<Outcome> {
  const victim = origins[VICTIM]!;
  const load = steadyLoad(url, { ratePerSecond: timing.rate, host });
  const health = lbUrl ? watchHealth(lbUrl, victim.name) : null;
  const stopWatch = onCleanup("health watcher", () => health?.stop());
  try {
    await sleep(timing.baselineMs);
    const killedAt = performance.now();
    health?.watchDownFrom(killedAt);
    await victim.kill();
    const sinkhole = await openSinkhole(victim.port);
    await sleep(timing.deadMs);

    await sinkhole.close();
    await victim.restart();
    // From the moment the new process listens.
    const restartedAt = performance.now();
    health?.watchUpFrom(restartedAt);
    let trafficBackAt: number | null = null;
    for (let waited = 0; waited < timing.returnTimeoutMs && trafficBackAt === null; waited += 100) {
      await sleep(100);
      trafficBackAt =
        load.answers.find((a) => a.sentAt >= restartedAt && a.origin === victim.name)?.doneAt ?? null;
    }
    await sleep(1000);
    await load.stop();
    await stopWatch();

    const whileDead = load.answers.filter((a) => a.sentAt >= killedAt && a.sentAt < restartedAt);
    const errors = whileDead.filter(isFailure);
    const deadHits = sinkhole.hits.filter((h) => h.path !== PROBE_PATH);
    const lastDeadHit = deadHits.at(-1)?.at ?? null;
    // The second half of the baseline only: the first requests also open the connections.
    const baselineFrom = killedAt - timing.baselineMs / 2;
    const before = load.answers.filter(
      (a) => a.sentAt >= baselineFrom && a.sentAt < killedAt && !isFailure(a),
    );
    return {
      sent: load.answers.length,
      shed: load.shed,
      errorsWhileDead: errors.length,
      answeredWhileDead: whileDead.length,
      firstErrorMs: errors[0] ? errors[0].sentAt - killedAt : null,
      lastErrorMs: errors.at(-1) ? errors.at(-1)!.sentAt - killedAt : null,
      errorsAfterRestart: load.answers.filter((a) => a.sentAt >= restartedAt && isFailure(a)).length,
      deadHits: deadHits.length,
      probeHits: sinkhole.hits.length - deadHits.length,
      lastDeadHitMs: lastDeadHit === null ? null : lastDeadHit - killedAt,
      healthDownMs: health?.seen.downAt ? health.seen.downAt - killedAt : null,
      healthUpMs: health?.seen.upAt ? health.seen.upAt - restartedAt : null,
      trafficBackMs: trafficBackAt === null ? null : trafficBackAt - restartedAt,
      p99BeforeMs: quantile(
        before.map((a) => a.doneAt - a.sentAt),
        0.99,
      ),
      p99WhileDeadMs: quantile(
        whileDead.filter((a) => !isFailure(a)).map((a) => a.doneAt - a.sentAt),
        0.99,
      ),
      healthApi: health?.seen.answered ?? false,
    };
  } finally {
    await load.stop();
    await stopWatch();
  }
}

function column(outcome: Outcome, timing: Timing, isLb: boolean): string[] {
  const deadWindow = timing.deadMs;
  const stillReceiving = outcome.lastDeadHitMs !== null && outcome.lastDeadHitMs > deadWindow - 1500;
  const pct = outcome.answeredWhileDead > 0 ? (100 * outcome.errorsWhileDead) / outcome.answeredWhileDead : 0;
  return [
    `${outcome.sent}${outcome.shed > 0 ? ` (+${outcome.shed} not sent)` : ""}`,
    `${outcome.errorsWhileDead} of ${outcome.answeredWhileDead} (${fmt(pct, 2)} %)`,
    outcome.firstErrorMs === null
      ? "none"
      : `${seconds(outcome.firstErrorMs)} … ${seconds(outcome.lastErrorMs)}`,
    String(outcome.deadHits),
    outcome.deadHits === 0
      ? "none reached it"
      : stillReceiving
        ? `still at ${seconds(outcome.lastDeadHitMs)} (window ${seconds(deadWindow)})`
        : seconds(outcome.lastDeadHitMs),
    isLb
      ? outcome.healthApi
        ? seconds(outcome.healthDownMs, "not within window")
        : "API not answering"
      : "n/a",
    seconds(outcome.trafficBackMs, `not within ${seconds(timing.returnTimeoutMs)}`),
    isLb ? (outcome.healthApi ? seconds(outcome.healthUpMs, "not seen") : "API not answering") : "n/a",
    String(outcome.errorsAfterRestart),
    `${fmt(outcome.p99BeforeMs)} / ${fmt(outcome.p99WhileDeadMs)}`,
  ];
}

const ROW_LABELS = [
  "requests sent (whole run, until traffic returned + 1 s)",
  "client-visible errors while the origin was dead",
  "first … last error (after the kill)",
  "requests that reached the dead origin",
  "dead origin last sent a request at",
  "health API shows it down after",
  "after restart: receives traffic again after",
  "after restart: health API shows it healthy after",
  "client-visible errors after restart",
  "p99 ms before kill / while dead (successful requests)",
];

/** Runs section 4. */
export async function runFailover(options: FailoverOptions): Promise<SectionResult> {
  const timing: Timing = options.quick
    ? { rate: 100, baselineMs: 1500, deadMs: 5000, returnTimeoutMs: 8000 }
    : { rate: 200, baselineMs: 3000, deadMs: 12_000, returnTimeoutMs: 20_000 };
  const notes: string[] = [];
  const columns: { label: string; values: string[] }[] = [];

  // The load balancer, on fresh origins and fresh state.
  {
    const origins = await startOrigins(3);
    const stopAllOrigins = onCleanup("origins", () => stopOrigins(origins));
    const urls = origins.map((o) => o.url);
    const runtime = await startRuntime({ origins: urls, adminToken: ADMIN_TOKEN });
    let problem = runtime.lbError;
    if (runtime.lbUrl && !problem) problem = await seedAndVerify(runtime.lbUrl, urls);
    if (runtime.lbUrl && !problem) {
      const ready = await waitAllHealthy(runtime.lbUrl, 10_000);
      if (ready === "timeout") {
        notes.push(
          "Edge LB: the health API did not show all three origins healthy within 10 s before the kill.",
        );
      } else if (ready === "no-api") {
        notes.push(`Edge LB: \`GET /__lb/api/v1/pools/${POOL_ID}/health\` did not answer 200.`);
      }
      const outcome = await scenario(runtime.lbUrl, LB_HOST, origins, timing, runtime.lbUrl);
      columns.push({ label: "Edge LB", values: column(outcome, timing, true) });
      if (outcome.probeHits > 0) {
        notes.push(
          `Edge LB: ${outcome.probeHits} health probes reached the dead origin (not counted as requests).`,
        );
      }
    } else {
      notes.push(`Edge LB column skipped: ${problem}`);
    }
    await runtime.stop();
    await stopAllOrigins();
  }

  if (hasNginx()) {
    const origins = await startOrigins(3);
    const stopAllOrigins = onCleanup("origins", () => stopOrigins(origins));
    try {
      const nginx = await startNginx(origins.map((o) => o.port));
      const outcome = await scenario(nginx.url, undefined, origins, timing, null);
      columns.push({ label: "nginx (reference)", values: column(outcome, timing, false) });
      await nginx.stop();
    } catch (error) {
      notes.push(`nginx column skipped: ${(error as Error).message}`);
    }
    await stopAllOrigins();
  } else {
    notes.push("nginx column skipped: no `nginx` on PATH.");
  }

  const tables: Table[] =
    columns.length === 0
      ? []
      : [
          {
            caption: `${timing.rate} GET/s; origin-2 killed after ${seconds(timing.baselineMs)}, restarted ${seconds(timing.deadMs)} later`,
            columns: ["", ...columns.map((c) => c.label)],
            rows: ROW_LABELS.map((label, i) => [label, ...columns.map((c) => c.values[i]!)]),
          },
        ];

  return {
    id: "failover",
    title: "4. Failover",
    method: [
      `Steady open-loop load of ${timing.rate} GET/s (keep-alive, 5 s client timeout) through the load ` +
        "balancer to a round-robin pool of three origin processes (same setup as section 2: active " +
        "health checks every 1 s, healthy/unhealthy after 2 results; passive ejection after 5 " +
        "consecutive failures for 10 s; retries: the default 2 extra attempts on other origins). " +
        `After ${seconds(timing.baselineMs)} origin-2 is killed with SIGKILL. Its port is then taken by a ` +
        "listener that reads each request line and resets the connection (a crashed origin behind a live " +
        "socket), so the benchmark can count the requests the load balancer still sends it; health " +
        "probes are told apart by their path. The pool health endpoint is polled every 100 ms. " +
        `${seconds(timing.deadMs)} after the kill, the origin is started again on the same port; the time ` +
        "from the moment it listens until a response is served by it again is measured from the " +
        "client's side (the `x-origin` response header), waiting at most " +
        `${seconds(timing.returnTimeoutMs)}.`,
      "A client-visible error is a 5xx answer or a network error/timeout. nginx, when present, runs the " +
        "same scenario with `least_conn`, `max_fails=1 fail_timeout=10s` and " +
        "`proxy_next_upstream error timeout`; it has no health API.",
    ],
    tables,
    notes,
  };
}
