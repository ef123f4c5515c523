/**
 * A client for the management API (`/__lb/api/v1`) of a running load balancer, plus small builders
 * for the resources end-to-end tests create.
 */
import type { ConfigDocumentInput, LoadBalancerInput, PoolInput } from "../../worker/config/schema.ts";
import { type HttpResult, send } from "./http.ts";
import type { TestOrigin } from "./origins.ts";

export const API_BASE = "/__lb/api/v1";

export interface ApiResult<T = unknown> {
  status: number;
  /** Parsed JSON body, or null when the body is empty. */
  body: T;
  contentType: string | undefined;
  etag: string | undefined;
  raw: HttpResult;
}

export interface RequestOptions {
  ifMatch?: string | number;
  /** Override the token; `null` sends no Authorization header at all. */
  token?: string | null;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface AdminClient {
  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<ApiResult<T>>;
  get<T = unknown>(path: string, options?: RequestOptions): Promise<ApiResult<T>>;
  post<T = unknown>(path: string, body: unknown, options?: RequestOptions): Promise<ApiResult<T>>;
  put<T = unknown>(path: string, body: unknown, options?: RequestOptions): Promise<ApiResult<T>>;
  patch<T = unknown>(path: string, body: unknown, options?: RequestOptions): Promise<ApiResult<T>>;
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<ApiResult<T>>;
}

function parse(res: HttpResult): unknown {
  if (res.body.length === 0) return null;
  return res.json();
}

/**
 * An API client for the runtime at `baseUrl`, authenticating with `token`.
 * @example const api = adminClient(lb.url, lb.adminToken); await api.get("/pools");
 */
export function adminClient(baseUrl: string, token: string): AdminClient {
  async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    const bearer = options.token === undefined ? token : options.token;
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (options.ifMatch !== undefined)
      headers["if-match"] = `"${String(options.ifMatch).replaceAll('"', "")}"`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === "string" ? body : JSON.stringify(body);
      headers["content-type"] = options.contentType ?? "application/json";
    }
    const raw = await send(baseUrl, { method, path: `${API_BASE}${path}`, headers, body: payload });
    return {
      status: raw.status,
      body: parse(raw) as T,
      contentType: raw.header("content-type"),
      etag: raw.header("etag"),
      raw,
    };
  }
  return {
    request,
    get: (path, options) => request("GET", path, undefined, options),
    post: (path, body, options) => request("POST", path, body, options),
    put: (path, body, options) => request("PUT", path, body, options),
    patch: (path, body, options) => request("PATCH", path, body, options),
    delete: (path, options) => request("DELETE", path, undefined, options),
  };
}

/** Throws with the problem the API returned unless the status is one of `expected`. */
export function expectStatus<T>(res: ApiResult<T>, ...expected: number[]): ApiResult<T> {
  if (!expected.includes(res.status)) {
    throw new Error(`expected ${expected.join(" or ")}, got ${res.status}: ${res.raw.text().slice(0, 1000)}`);
  }
  return res;
}

/** Creates a pool and fails loudly when the API refuses it. */
export async function createPool(api: AdminClient, pool: PoolInput): Promise<void> {
  expectStatus(await api.post("/pools", pool), 201);
}

/** Creates a load balancer and fails loudly when the API refuses it. */
export async function createLoadBalancer(api: AdminClient, lb: LoadBalancerInput): Promise<void> {
  expectStatus(await api.post("/load_balancers", lb), 201);
}

/**
 * Creates `pool` and a load balancer of the same id for `hostname` that sends everything to it.
 * @example await servePool(api, "app.test", poolOf("web", [a, b]), { timeouts: { requestMs: 1000 } });
 */
export async function servePool(
  api: AdminClient,
  hostname: string,
  pool: PoolInput,
  options: Omit<LoadBalancerInput, "id" | "hostname" | "pools"> = {},
): Promise<void> {
  await createPool(api, pool);
  await createLoadBalancer(api, { id: pool.id, hostname, pools: [pool.id], ...options });
}

/** Replaces the whole configuration and fails loudly when the API refuses it. */
export async function putConfig(api: AdminClient, doc: ConfigDocumentInput): Promise<void> {
  expectStatus(await api.put("/config", doc), 200);
}

/**
 * A pool of the given origins with no active health checks, so the origins count as healthy.
 * @example poolOf("web", [a, b], { weights: [3, 1] })
 */
export function poolOf(
  id: string,
  origins: readonly TestOrigin[],
  options: { weights?: readonly number[]; algorithm?: PoolInput["algorithm"]; basePath?: string } = {},
): PoolInput {
  return {
    id,
    algorithm: options.algorithm ?? "round_robin",
    origins: origins.map((origin, i) => ({
      name: origin.name,
      address: `${origin.url}${options.basePath ?? ""}`,
      weight: options.weights?.[i] ?? 1,
    })),
    healthCheck: null,
  };
}
