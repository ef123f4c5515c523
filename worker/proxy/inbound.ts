/**
 * Phase `requestFilter` of the proxy: the client's request as the proxy first sees it, refused at
 * once when it has looped through the load balancer too often.
 */
import type { Env } from "../env.ts";
import { MAX_HOPS } from "../http/headers.ts";
import { ProblemError, problemType } from "../http/problem.ts";
import { readHops } from "./headers.ts";

/** A client's request on its way through the proxy, before a load balancer is known. */
export interface Inbound {
  readonly request: Request;
  /** The parsed `request.url`. */
  readonly url: URL;
  readonly env: Env;
  readonly ctx: Pick<ExecutionContext, "waitUntil">;
  readonly requestId: string;
  /** When the request arrived (ms since epoch). */
  readonly started: number;
  /** Hops counted on arrival (see `readHops`). */
  readonly hops: number;
}

/**
 * The request as `Inbound`; a request that has passed through the load balancer `MAX_HOPS` times
 * (an origin points back at it) is answered 508 (`ProblemError`).
 * @example const inbound = requestFilter(request, url, env, ctx, requestId);
 */
export function requestFilter(
  request: Request,
  url: URL,
  env: Env,
  ctx: Pick<ExecutionContext, "waitUntil">,
  requestId: string,
): Inbound {
  const started = Date.now();
  const hops = readHops(request.headers);
  if (hops >= MAX_HOPS) {
    throw new ProblemError(
      508,
      `This request has passed through the load balancer ${hops} times; a load balancer's origin points back at it.`,
      { type: problemType("loop-detected"), headers: { "x-request-id": requestId } },
    );
  }
  return { request, url, env, ctx, requestId, started, hops };
}
