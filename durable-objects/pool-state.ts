import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env.ts";

export class PoolState extends DurableObject<Env> {
  async ping(): Promise<string> {
    return "pong";
  }
}
