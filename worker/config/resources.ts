/**
 * Parsing client input into stored resources: defaults applied, `version` ignored (the server owns
 * it), every problem reported as a field error. Pure: no runtime imports.
 */
import type { z } from "zod";
import type { FieldError } from "../http/problem.ts";
import { issuesToFieldErrors } from "./issue-path.ts";
import { isJsonObject } from "./merge-patch.ts";
import { type LoadBalancer, LoadBalancerSchema, type Pool, PoolSchema } from "./schema.ts";

/** A resource as validated, before the store gives it a version. */
export type PoolSpec = Omit<Pool, "version">;
export type LoadBalancerSpec = Omit<LoadBalancer, "version">;

export const RESOURCE_KINDS = ["pool", "load_balancer"] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export interface ResourceTypes {
  pool: { spec: PoolSpec; stored: Pool };
  load_balancer: { spec: LoadBalancerSpec; stored: LoadBalancer };
}

/** How each kind is named to users, in messages and paths. */
export const KIND_LABEL: Record<ResourceKind, string> = { pool: "pool", load_balancer: "load balancer" };
export const KIND_COLLECTION: Record<ResourceKind, string> = {
  pool: "pools",
  load_balancer: "load_balancers",
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const SCHEMAS = { pool: PoolSchema, load_balancer: LoadBalancerSchema } as const;

/**
 * Validates one resource in full. Errors carry paths under `prefix` (e.g. `["pools", 2]`).
 * @example parseResource("pool", { id: "web", origins: [{ name: "a", address: "http://10.0.0.1" }] })
 */
export function parseResource<K extends ResourceKind>(
  kind: K,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): Parsed<ResourceTypes[K]["spec"]> {
  const schema: z.ZodType = SCHEMAS[kind];
  const result = schema.safeParse(withoutVersion(input), { reportInput: true });
  if (!result.success) return { ok: false, errors: issuesToFieldErrors(result.error.issues, prefix) };
  return { ok: true, value: result.data as ResourceTypes[K]["spec"] };
}

/** A copy of an object without its `version` member; other values as they are. */
export function withoutVersion(input: unknown): unknown {
  if (!isJsonObject(input) || !Object.hasOwn(input, "version")) return input;
  const { version: _ignored, ...rest } = input;
  return rest;
}
