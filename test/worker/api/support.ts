/**
 * The one helper kit of the management API tests: requests sent through the Worker's entry, as a
 * client on the network sends them (optionally with other bindings), checks every error response
 * must pass, and small valid resources to start from.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import type { Env } from "../../../worker/env.ts";
import worker from "../../../worker/index.ts";

export const ADMIN_TOKEN = "test-admin-token";
export const READ_TOKEN = "test-read-token";
/** The API base path. */
export const API = "/__lb/api/v1";
/** Where a path without a host is sent. */
const ORIGIN = "https://lb.example.com";

export interface CallOptions {
  /** JSON-encoded and sent as `application/json` unless `contentType` says otherwise. */
  body?: unknown;
  /** Raw body text or bytes, sent as is. */
  raw?: BodyInit;
  /** null sends no Authorization header; the admin token by default. */
  token?: string | null;
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Other bindings (e.g. ADMIN_TOKEN unset); the test bindings by default. */
  env?: Env;
}

function requestInit(method: string, options: CallOptions): RequestInit {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const body = options.body !== undefined ? JSON.stringify(options.body) : options.raw;
  if (body !== undefined && options.contentType !== null) {
    headers.set("content-type", options.contentType ?? "application/json");
  }
  return { method, headers, body };
}

/**
 * One request through the Worker's entry. `path` is a full path (`/__lb/...`, sent to
 * https://lb.example.com) or a full URL.
 * @example await call("POST", `${API}/pools`, { body: poolInput("web") })
 */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const url = /^https?:/.test(path) ? path : `${ORIGIN}${path}`;
  if (!options.env) return SELF.fetch(url, requestInit(method, options));
  const ctx = createExecutionContext();
  const response = await worker.request(url, requestInit(method, options), options.env ?? env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** The JSON body of a response. */
export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
};

/** Checks that `response` is an RFC 9457 problem with `status` and returns it. */
export async function expectProblem(response: Response, status: number, what = ""): Promise<Problem> {
  const text = await response.text();
  expect(response.status, `${what} ${text}`).toBe(status);
  expect(response.headers.get("content-type"), what).toBe("application/problem+json");
  const body = JSON.parse(text) as Problem;
  expect(typeof body.type, what).toBe("string");
  expect(typeof body.title, what).toBe("string");
  expect(body.status, what).toBe(status);
  expect(typeof body.detail, what).toBe("string");
  return body;
}

/** The paths of a validation problem's errors. */
export async function errorPaths(response: Response, what = ""): Promise<string[]> {
  const body = await expectProblem(response, 400, what);
  return (body.errors ?? []).map((error) => error.path);
}

/** A minimal valid pool input: two origins, `a` and `b`. */
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

/** A minimal valid load balancer input, on `<id>.example.com`. */
export function lbInput(
  id: string,
  pools: string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, hostname: `${id}.example.com`, pools, ...extra };
}

/** Creates a resource through the API and returns it as stored; fails the test on anything but 201. */
export async function create(
  kind: "pools" | "load_balancers",
  input: Record<string, unknown>,
): Promise<Record<string, unknown> & { version: number }> {
  const response = await call("POST", `${API}/${kind}`, { body: input });
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return JSON.parse(text) as Record<string, unknown> & { version: number };
}

/** Creates `poolInput(id, extra)`. */
export function createPool(id: string, extra: Record<string, unknown> = {}) {
  return create("pools", poolInput(id, extra));
}

/** Creates `lbInput(id, pools, extra)`. */
export function createLoadBalancer(id: string, pools: string[], extra: Record<string, unknown> = {}) {
  return create("load_balancers", lbInput(id, pools, extra));
}
