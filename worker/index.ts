/**
 * The Worker's entry: `/__lb` and everything below it go to the management side, every other
 * request is load balanced. With `ADMIN_HOSTNAME` set, the management side answers only on that
 * hostname; `/__lb/...` on any other hostname answers 404 and is never proxied, so a token sent to
 * the wrong host never reaches an origin.
 *
 * Proxied requests go straight to the proxy, without a router: they are the hot path, and every
 * path not under `/__lb` is theirs. The management side is a Hono app (worker/api/app.ts).
 * The proxy's phases, in the order a request takes them, are listed in worker/proxy/handler.ts.
 */
import { noteRequestRegion } from "./edge/report-region.ts";
import type { Env } from "./env.ts";
import { adminDisposition } from "./http/admin-host.ts";
import { ProblemError, problem, problemResponse } from "./http/problem.ts";
import { proxyRequest } from "./proxy/handler.ts";

export { ConfigStore } from "../durable-objects/config-store/index.ts";
export { HealthProber } from "../durable-objects/health-prober/index.ts";
export { Notifier } from "../durable-objects/notifier/index.ts";
export { PoolState } from "../durable-objects/pool-state/index.ts";
export { ReportAggregator } from "../durable-objects/report-aggregator/index.ts";

/**
 * Handles one request. Every error ends as problem JSON: a `ProblemError` as it says, anything else
 * as a logged 500. A proxied request is answered by the proxy's own promise, with nothing wrapped
 * around it (the proxy renders its failures itself).
 */
function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  try {
    const url = new URL(request.url);
    const side = adminDisposition(url, env.ADMIN_HOSTNAME);
    if (side === "serve") {
      return adminFetch(request, env, ctx).catch((error: unknown) => errorResponse(error, request));
    }
    if (side === "closed") {
      const closed = problem(404, `There is nothing at ${url.pathname}.`);
      return Promise.resolve(request.method === "HEAD" ? withoutBody(closed) : closed);
    }
    noteRequestRegion(request);
    const response = proxyRequest(request, env, ctx, url);
    return request.method === "HEAD" ? response.then(withoutBody) : response;
  } catch (error) {
    const response = errorResponse(error, request);
    return Promise.resolve(request.method === "HEAD" ? withoutBody(response) : response);
  }
}

/**
 * The management side, loaded on its first request: the Hono app, the zod schemas of the API and
 * the OpenAPI document are none of the proxy's business, so an isolate that only proxies never
 * evaluates them, and a fresh isolate answers its first proxied request sooner (bench/RESULTS.md).
 * The module system keeps the module once loaded.
 */
async function adminFetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const { adminApp } = await import("./api/app.ts");
  return adminApp.fetch(request, env, ctx);
}

function errorResponse(error: unknown, request: Request): Response {
  if (error instanceof ProblemError) return problemResponse(error.problem, error.headers);
  console.log(
    JSON.stringify({
      event: "unhandled_error",
      method: request.method,
      path: pathOf(request.url),
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    }),
  );
  return problem(500, "An unexpected error occurred; it has been logged.");
}

/** A response to HEAD carries the status and headers of the GET answer, never a body. */
function withoutBody(response: Response): Response {
  return response.body === null ? response : new Response(null, response);
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/**
 * The Worker. `request` sends a request through the same entry without the runtime, for tests:
 * `input` is a URL (a path alone means `http://localhost/...`) or a `Request`.
 */
const worker: ExportedHandler<Env> & { request: typeof request } = { fetch: handle, request };

function request(
  input: string | URL | Request,
  init?: RequestInit,
  env?: Env,
  ctx?: ExecutionContext,
): Promise<Response> {
  const sent =
    input instanceof Request
      ? init
        ? new Request(input, init)
        : input
      : new Request(absoluteUrl(String(input)), init);
  return handle(sent, env as Env, ctx as ExecutionContext);
}

function absoluteUrl(input: string): string {
  if (/^https?:\/\//.test(input)) return input;
  return `http://localhost${input.startsWith("/") ? input : `/${input}`}`;
}

export default worker;
