/**
 * Shared pieces of the management API tests: a request helper that calls the admin app inside
 * workerd with the test bindings, and small valid resources to start from.
 */
import { env } from "cloudflare:test";
import { adminApp } from "../../../worker/api/app.ts";
import type { Env } from "../../../worker/env.ts";

export const ADMIN_TOKEN = "test-admin-token";
export const READ_TOKEN = "test-read-token";
export const API = "/__lb/api/v1";

export interface CallOptions {
  body?: unknown;
  /** Raw body text or bytes, sent as is. */
  raw?: BodyInit;
  /** null sends no Authorization header. */
  token?: string | null;
  contentType?: string | null;
  headers?: Record<string, string>;
  env?: Env;
}

/** One request to the admin app, as a client would send it. */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  let body: BodyInit | undefined = options.raw;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && options.contentType !== null) {
    headers.set("content-type", options.contentType ?? "application/json");
  }
  return adminApp.request(path, { method, headers, body }, options.env ?? env);
}

/** The JSON body of a response. */
export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** A minimal valid pool input. */
export function poolInput(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    origins: [
      { name: "a", address: "http://127.0.0.1:9001" },
      { name: "b", address: "http://127.0.0.1:9002" },
    ],
    ...extra,
  };
}

/** A minimal valid load balancer input. */
export function lbInput(
  id: string,
  pools: string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, hostname: `${id}.example.com`, pools, ...extra };
}

/** Creates a pool through the API and returns it as stored. */
export async function createPool(
  id: string,
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const response = await call("POST", `${API}/pools`, { body: poolInput(id, extra) });
  if (response.status !== 201)
    throw new Error(`creating pool ${id}: ${response.status} ${await response.text()}`);
  return json(response);
}

/** Creates a load balancer through the API and returns it as stored. */
export async function createLoadBalancer(
  id: string,
  pools: string[],
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const response = await call("POST", `${API}/load_balancers`, { body: lbInput(id, pools, extra) });
  if (response.status !== 201)
    throw new Error(`creating lb ${id}: ${response.status} ${await response.text()}`);
  return json(response);
}
