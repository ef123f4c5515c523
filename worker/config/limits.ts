/**
 * Bounds of the whole configuration, enforced inside the ConfigStore's write transaction whichever
 * way the configuration grows (one resource at a time or `PUT /config`), so the snapshot every
 * isolate holds stays within what an isolate's memory allows (docs/api.md, "Limits"). Pure.
 */

export const CONFIG_LIMITS = {
  /** Pools in the configuration. */
  pools: 1000,
  /** Load balancers in the configuration. */
  loadBalancers: 1000,
  /** Origins summed over all pools. */
  origins: 10_000,
  /** The configuration serialized as JSON (pools and load balancers), in bytes: 1 MiB. */
  documentBytes: 1024 * 1024,
} as const;

/** What a configuration holds, as the limits count it. */
export interface ConfigTotals {
  pools: number;
  loadBalancers: number;
  origins: number;
  documentBytes: number;
}

/** A limit a configuration would exceed: which, its bound and what the configuration would hold. */
export interface LimitExceeded {
  readonly limit: keyof typeof CONFIG_LIMITS;
  readonly max: number;
  readonly actual: number;
}

/**
 * The first limit `totals` exceeds, or null.
 * @example exceededLimit({ pools: 1001, loadBalancers: 0, origins: 1001, documentBytes: 90_000 })?.limit === "pools"
 */
export function exceededLimit(totals: ConfigTotals): LimitExceeded | null {
  for (const limit of ["pools", "loadBalancers", "origins", "documentBytes"] as const) {
    if (totals[limit] > CONFIG_LIMITS[limit])
      return { limit, max: CONFIG_LIMITS[limit], actual: totals[limit] };
  }
  return null;
}

const encoder = new TextEncoder();

/** Bytes of a resource as the configuration document serializes it. */
export function serializedBytes(resource: unknown): number {
  return encoder.encode(JSON.stringify(resource)).byteLength;
}
