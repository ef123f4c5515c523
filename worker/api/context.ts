/**
 * The Hono environment of the management API: Worker bindings plus what the auth middleware
 * learned about the caller.
 */
import type { Env } from "../env.ts";

/** What the caller's token allows. */
export type Access = "read" | "write";

export interface ApiEnv {
  Bindings: Env;
  Variables: { access: Access };
}
