/**
 * Pieces shared by the health, failover and retry end-to-end tests: fast health checks, a steady
 * load generator that records what every client saw, and readers for the health and events APIs.
 */
import type { HealthCheck, PoolInput } from "../../worker/config/schema.ts";
import { type AdminClient, expectStatus } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import type { OriginEcho, TestOrigin } from "../helpers/origins.ts";

/** Path of the active checks, so an origin can tell probes from proxied requests. */
export const PROBE_PATH = "/__probe";

/** Checks every second that fall after two failures and rise after two successes. */
export const FAST_CHECK = {
  path: PROBE_PATH,
  intervalSeconds: 1,
  timeoutMs: 500,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
} satisfies Partial<HealthCheck>;

/** A pool of `origins` with fast checks and short passive ejections, unless overridden. */
export function checkedPool(
  id: string,
  origins: readonly TestOrigin[],
  extra: Partial<PoolInput> = {},
): PoolInput {
  return {
    id,
    origins: origins.map((origin) => ({ name: origin.name, address: origin.url })),
    healthCheck: FAST_CHECK,
    passiveHealth: { consecutiveFailures: 3, ejectionSeconds: 2 },
    ...extra,
  };
}

/** Requests an origin received from the load balancer, leaving out health probes. */
export function proxied(origin: TestOrigin): OriginEcho[] {
  return origin.requests.filter((request) => request.path !== PROBE_PATH);
}

export interface Answer {
  index: number;
  status: number;
  /** The origin whose echo answered, or null for an answer from the load balancer itself. */
  origin: string | null;
  /** Client clock when the answer arrived. */
  at: number;
}

export interface LoadOptions {
  total: number;
  concurrency: number;
  path?: string;
  /** Called before request `index` is sent (e.g. to kill an origin part-way through). */
  before?: (index: number) => Promise<void> | void;
}

/**
 * Sends `total` GETs with Host `host`, `concurrency` at a time, and records every answer.
 * @example const answers = await steadyLoad(lb.url, "app.test", { total: 300, concurrency: 4 });
 */
export async function steadyLoad(baseUrl: string, host: string, options: LoadOptions): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.total) {
      const index = next++;
      await options.before?.(index);
      answers.push(await answerOf(baseUrl, host, index, options.path ?? `/load/${index}`));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return answers.sort((a, b) => a.index - b.index);
}

async function answerOf(baseUrl: string, host: string, index: number, path: string): Promise<Answer> {
  try {
    const res = await send(baseUrl, { host, path, timeoutMs: 20_000 });
    const fromOrigin = res.header("content-type")?.startsWith("application/json") && res.header("x-origin");
    return {
      index,
      status: res.status,
      origin: fromOrigin ? (res.header("x-origin") ?? null) : null,
      at: Date.now(),
    };
  } catch {
    return { index, status: 0, origin: null, at: Date.now() };
  }
}

/** Answers that are not an origin's 200. */
export function errors(answers: readonly Answer[]): Answer[] {
  return answers.filter((answer) => answer.status !== 200 || answer.origin === null);
}

export interface OriginHealthBody {
  name: string;
  state: string;
  healthy: boolean;
  consecutiveFailures: number;
  ejectedUntil: string | null;
}

/** `GET /pools/{id}/health` as a map by origin name. */
export async function healthOf(api: AdminClient, pool: string): Promise<Record<string, OriginHealthBody>> {
  const res = expectStatus(await api.get<{ origins: OriginHealthBody[] }>(`/pools/${pool}/health`), 200);
  return Object.fromEntries(res.body.origins.map((origin) => [origin.name, origin]));
}

export interface EventBody {
  at: string;
  kind: string;
  subject: string;
  message: string;
}

/** Events about `subject` since `since` (client clock, ms), oldest first. */
export async function eventsOf(api: AdminClient, subject: string, since: number): Promise<EventBody[]> {
  const res = expectStatus(await api.get<{ items: EventBody[] }>("/events?limit=1000"), 200);
  return res.body.items
    .filter((event) => event.subject === subject && Date.parse(event.at) >= since)
    .reverse();
}

/** Milliseconds since `start`, rounded, for the measurements the tests print. */
export function since(start: number): number {
  return Math.round(Date.now() - start);
}
