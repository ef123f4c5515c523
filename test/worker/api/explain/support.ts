/**
 * Shared pieces of the explain tests: ask `GET /explain` about a request described by its URL,
 * client address and headers, as an operator would.
 */
import { expect } from "vitest";
import { API, call, json, READ_TOKEN } from "../support.ts";

export interface Explained {
  outcome: string;
  configVersion: number;
  reason?: string;
  loadBalancer: { id: string; hostname: string; pathPrefix: string; reason: string } | null;
  pools: Array<{ id: string; verdict: string; reason: string; healthy?: boolean; healthyOrigins?: number }>;
  pool: {
    id: string;
    via: string;
    algorithm: string;
    reason: string;
    decided: string;
    shares?: Array<{ id: string | null; share: number }>;
  } | null;
  affinity: Record<string, unknown> | null;
  origins: Array<{
    name: string;
    candidate: boolean;
    verdict: string;
    weight: number;
    effectiveWeight: number | null;
  }>;
  origin: {
    name: string;
    address: string;
    decided: string;
    reason: string;
    shares?: Array<{ id: string | null; share: number }>;
  } | null;
  wouldRespond?: {
    status: number;
    headers?: Record<string, string>;
    problem: { type: string; status: number; detail: string };
  };
}

export interface Described {
  ip?: string;
  headers?: Record<string, string>;
  country?: string;
  continent?: string;
  method?: string;
}

/** The query string of `GET /explain` for `url` and `described`. */
export function explainPath(url: string, described: Described = {}): string {
  const query = new URLSearchParams({ url });
  if (described.ip !== undefined) query.set("ip", described.ip);
  for (const [name, value] of Object.entries(described.headers ?? {})) query.append(`header.${name}`, value);
  if (described.country !== undefined) query.set("country", described.country);
  if (described.continent !== undefined) query.set("continent", described.continent);
  if (described.method !== undefined) query.set("method", described.method);
  return `${API}/explain?${query}`;
}

/** Asks `GET /explain` with the read token and expects a 200 explanation. */
export async function explain(url: string, described: Described = {}): Promise<Explained> {
  const response = await call("GET", explainPath(url, described), { token: READ_TOKEN });
  if (response.status !== 200)
    throw new Error(`explain answered ${response.status}: ${await response.text()}`);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return json<Explained>(response);
}
