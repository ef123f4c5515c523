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

/** The role recorded with a change in the configuration history: the admin token's. */
export function writerRole(access: Access): string {
  return access === "write" ? "admin" : "read";
}
