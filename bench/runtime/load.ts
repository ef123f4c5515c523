/**
 * Load generators. `closedLoad` is autocannon with a fixed number of connections for a fixed time
 * (throughput and latency); `steadyLoad` sends GETs at a fixed rate and records every answer with
 * its time and origin (failover timelines).
 */
import { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { http } from "../lib/http.ts";

export interface LoadSample {
  /** Completed responses (any status). */
  responses: number;
  /** Wall time of the run in seconds. */
  seconds: number;
  /** Response times in ms, one per completed response. */
  latenciesMs: number[];
  non2xx: number;
  /** Count of each non-2xx status. */
  statuses: Record<number, number>;
  errors: number;
}

export interface ClosedLoadOptions {
  connections: number;
  seconds: number;
  host?: string;
}

/**
 * Runs autocannon against `url` and keeps every response time (autocannon's own summary rounds
 * latencies to whole milliseconds, too coarse at loopback speeds).
 */
export function closedLoad(url: string, options: ClosedLoadOptions): Promise<LoadSample> {
  const latenciesMs: number[] = [];
  let non2xx = 0;
  const statuses: Record<number, number> = {};
  let errors = 0;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: options.connections,
        duration: options.seconds,
        timeout: 10,
        headers: options.host ? { host: options.host } : {},
      },
      (error) => {
        if (error) reject(error);
        else {
          const seconds = (performance.now() - started) / 1000;
          resolve({ responses: latenciesMs.length, seconds, latenciesMs, non2xx, statuses, errors });
        }
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
      latenciesMs.push(responseTimeMs);
      if (statusCode < 200 || statusCode > 299) {
        non2xx++;
        statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
      }
    });
    instance.on("reqError", () => {
      errors++;
    });
  });
}

/** Adds up samples of the same target (ABBA segments) into one. */
export function mergeSamples(samples: readonly LoadSample[]): LoadSample {
  return {
    responses: samples.reduce((n, s) => n + s.responses, 0),
    seconds: samples.reduce((n, s) => n + s.seconds, 0),
    latenciesMs: samples.flatMap((s) => s.latenciesMs),
    non2xx: samples.reduce((n, s) => n + s.non2xx, 0),
    statuses: samples.reduce<Record<number, number>>((all, s) => {
      for (const [status, count] of Object.entries(s.statuses)) {
        all[Number(status)] = (all[Number(status)] ?? 0) + count;
      }
      return all;
    }, {}),
    errors: samples.reduce((n, s) => n + s.errors, 0),
  };
}

export interface SteadyAnswer {
  /** `performance.now()` when the request was sent. */
  sentAt: number;
  doneAt: number;
  /** HTTP status, or 0 for a network error / timeout. */
  status: number;
  /** The `x-origin` header of the answer (which origin served it), or null. */
  origin: string | null;
}

export interface SteadyLoad {
  readonly answers: readonly SteadyAnswer[];
  /** Requests not sent because too many were already waiting. */
  readonly shed: number;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<void>;
}

const MAX_IN_FLIGHT = 256;

/**
 * Sends `ratePerSecond` GETs per second to `url` (open loop, keep-alive) until stopped.
 * @example const load = steadyLoad(url, { ratePerSecond: 200, host: "bench.localhost" });
 */
export function steadyLoad(url: string, options: { ratePerSecond: number; host?: string }): SteadyLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const answers: SteadyAnswer[] = [];
  const pending = new Set<Promise<void>>();
  const tickMs = 10;
  const perTick = options.ratePerSecond / (1000 / tickMs);
  let owed = 0;
  let shed = 0;

  const sendOne = () => {
    const sentAt = performance.now();
    const request = http(url, { host: options.host, agent, timeoutMs: 5000 }).then(
      (res) => {
        const origin = res.headers["x-origin"];
        answers.push({
          sentAt,
          doneAt: performance.now(),
          status: res.status,
          origin: typeof origin === "string" ? origin : null,
        });
      },
      () => {
        answers.push({ sentAt, doneAt: performance.now(), status: 0, origin: null });
      },
    );
    pending.add(request);
    void request.finally(() => pending.delete(request));
  };

  const timer = setInterval(() => {
    owed += perTick;
    while (owed >= 1) {
      owed--;
      if (pending.size >= MAX_IN_FLIGHT) shed++;
      else sendOne();
    }
  }, tickMs);

  return {
    answers,
    get shed() {
      return shed;
    },
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...pending]);
      agent.destroy();
    },
  };
}
