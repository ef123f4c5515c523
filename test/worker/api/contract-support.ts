/**
 * Requests for the API contract tests: sent to the Worker's own entry (`SELF`), exactly as a client
 * on the network would send them, plus checks every error response must pass.
 */
import { createExecutionContext, SELF, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import type { Env } from "../../../worker/env.ts";
import app from "../../../worker/index.ts";

export const BASE = "https://lb.example.com/__lb/api/v1";
export const ADMIN = "test-admin-token";
export const READER = "test-read-token";

export interface SendOptions {
  /** JSON-encoded and sent as `application/json` unless `contentType` says otherwise. */
  json?: unknown;
  raw?: BodyInit;
  /** null: no Authorization header. */
  token?: string | null;
  contentType?: string | null;
  headers?: Record<string, string>;
}

function requestInit(method: string, options: SendOptions): RequestInit {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? ADMIN : options.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  const body = options.json !== undefined ? JSON.stringify(options.json) : options.raw;
  if (body !== undefined && options.contentType !== null) {
    headers.set("content-type", options.contentType ?? "application/json");
  }
  return { method, headers, body };
}

/** One request through the Worker's entry; `path` is below the API base unless it is a full URL. */
export function api(method: string, path: string, options: SendOptions = {}): Promise<Response> {
  const url = /^https?:/.test(path) ? path : `${BASE}${path}`;
  return SELF.fetch(url, requestInit(method, options));
}

/** One request through the Worker's entry with other bindings (e.g. ADMIN_TOKEN unset). */
export async function apiWith(
  bindings: Env,
  method: string,
  url: string,
  options: SendOptions = {},
): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await app.request(url, requestInit(method, options), bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
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

export async function body<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export function pool(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, origins: [{ name: "a", address: "http://127.0.0.1:9001" }], ...extra };
}

export function loadBalancer(
  id: string,
  pools: string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { id, hostname: `${id}.contract.test`, pools, ...extra };
}

/** Creates a resource and returns it as stored; fails the test on anything but 201. */
export async function create(
  kind: "pools" | "load_balancers",
  input: Record<string, unknown>,
): Promise<Record<string, unknown> & { version: number }> {
  const response = await api("POST", `/${kind}`, { json: input });
  const text = await response.text();
  expect(response.status, text).toBe(201);
  return JSON.parse(text) as Record<string, unknown> & { version: number };
}
