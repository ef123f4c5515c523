import { DurableObject } from "cloudflare:workers";
import type { ConfigSnapshot } from "../worker/config/schema.ts";
import type { Env } from "../worker/env.ts";

export class ConfigStore extends DurableObject<Env> {
  /** The whole configuration, or null when `knownVersion` is already the current version. */
  async snapshot(knownVersion?: number): Promise<ConfigSnapshot | null> {
    if (knownVersion === 0) return null;
    return { version: 0, pools: [], loadBalancers: [] };
  }
}
