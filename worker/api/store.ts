/**
 * The API's side of the ConfigStore: one stub per call, failures turned back into `ProblemError`,
 * and every committed change installed in this isolate's config cache at once.
 */
import type { ConfigStore } from "../../durable-objects/config-store/index.ts";
import type { StoreResult } from "../../durable-objects/config-store/types.ts";
import type { ConfigSnapshot } from "../config/schema.ts";
import { acceptSnapshot, shareWrittenSnapshot } from "../edge/config-cache.ts";
import { countDoCall } from "../edge/do-calls.ts";
import type { Env } from "../env.ts";
import { etag } from "../http/preconditions.ts";
import { ProblemError } from "../http/problem.ts";

/** The ConfigStore stub, counted as an admin DO call. */
export function configStore(env: Env): DurableObjectStub<ConfigStore> {
  countDoCall("admin");
  return env.CONFIG_STORE.getByName("global");
}

/**
 * The success value of a store result; a failure is thrown as the problem it carries.
 * @example const { resource } = unwrap(await store.getResource("pool", id));
 */
export function unwrap<T extends object>(result: StoreResult<T>): T {
  if (result.ok) return result;
  const { status, detail, type, title, errors, ...extensions } = result.problem;
  const headers: Record<string, string> = {};
  if (status === 412 && typeof extensions.currentVersion === "number")
    headers.etag = etag(extensions.currentVersion);
  throw new ProblemError(status, detail, {
    type,
    title,
    ...(errors ? { errors } : {}),
    ...extensions,
    headers,
  });
}

/**
 * Routes this isolate on a configuration it just wrote, without waiting for the next refresh, and
 * hands it to the location's other isolates (their shared copy, location-tier.ts), so that none of
 * them, nor one started later, takes an older copy for current.
 */
export async function installSnapshot(env: Env, snapshot: ConfigSnapshot | null): Promise<void> {
  if (!snapshot) return;
  acceptSnapshot(snapshot);
  await shareWrittenSnapshot(env, snapshot);
}
