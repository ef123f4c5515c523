/**
 * Requests through the load balancer to the echo origins of `origins.ts`.
 */
import { type HttpResult, type SendOptions, send } from "./http.ts";
import type { OriginEcho } from "./origins.ts";

export interface Answered {
  res: HttpResult;
  /** What the origin that answered received. */
  echo: OriginEcho;
}

/**
 * Sends a request with Host `host` through the load balancer at `baseUrl` and returns the origin's
 * echo; throws (with the response) unless an echo origin answered 200.
 * @example const { echo } = await throughLb(lb.url, "app.test", { path: "/x" }); echo.origin === "a"
 */
export async function throughLb(baseUrl: string, host: string, options: SendOptions = {}): Promise<Answered> {
  const res = await send(baseUrl, { ...options, host });
  if (res.status !== 200 || !res.header("content-type")?.startsWith("application/json")) {
    throw new Error(`expected an origin's 200 echo, got ${res.status}: ${res.text().slice(0, 500)}`);
  }
  return { res, echo: res.json<OriginEcho>() };
}

/** Which origin answered each of `count` sequential requests, in order. */
export async function originSequence(baseUrl: string, host: string, count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    names.push((await throughLb(baseUrl, host, { path: `/seq/${i}` })).echo.origin);
  }
  return names;
}

/** How many of `names` each name accounts for. */
export function tally(names: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
}
