/**
 * The shapes the ConfigStore returns over RPC. Expected failures travel as data
 * (`{ ok: false, problem }`), never as exceptions across the RPC boundary.
 */
import { z } from "zod";
import type { ConfigChanges } from "../../worker/config/diff.ts";
import { RESOURCE_KINDS } from "../../worker/config/resources.ts";
import type { ConfigSnapshot, LoadBalancer, Pool } from "../../worker/config/schema.ts";
import { type Problem, ProblemError } from "../../worker/http/problem.ts";

export interface Failure {
  ok: false;
  problem: Problem;
}

export type StoreResult<T extends object> = ({ ok: true } & T) | Failure;

export type StoredResource = Pool | LoadBalancer;

/** A committed (or unchanged) write of one resource. */
export interface ResourceWrite {
  resource: StoredResource;
  /** False when the request matched what was stored, so nothing (not even the version) changed. */
  changed: boolean;
  snapshot: ConfigSnapshot;
}

export interface ResourceDelete {
  id: string;
  snapshot: ConfigSnapshot;
}

/** The outcome of replacing the whole configuration (or of checking what that would do). */
export interface ConfigReplace {
  /** The version after the change; the current one for a dry run or when nothing changed. */
  version: number;
  dryRun: boolean;
  changes: ConfigChanges;
  /** The new configuration; null for a dry run. */
  snapshot: ConfigSnapshot | null;
}

export const AUDIT_ACTIONS = ["create", "replace", "update", "delete"] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One row of the audit log, as the API shows it (and its OpenAPI schema). */
export const AuditEntrySchema = z.object({
  at: z.string().meta({ description: "ISO 8601 time of the change." }),
  action: z.enum(AUDIT_ACTIONS),
  kind: z.enum(RESOURCE_KINDS),
  id: z.string(),
  versionFrom: z.number().int().nullable(),
  versionTo: z.number().int().nullable(),
  configVersion: z.number().int().meta({ description: "The configuration version the change produced." }),
  via: z.enum(["resource", "config"]).meta({ description: "A single-resource request, or PUT /config." }),
  change: z.string().meta({ description: "A compact description, e.g. 'changed origins[1].weight'." }),
});
export type AuditEntry = z.output<typeof AuditEntrySchema>;

/** An event as PoolState and the ConfigStore report it (`at` in ms since the epoch). */
export interface StoreEvent {
  at: number;
  kind: string;
  subject: string;
  message: string;
}

/** A pool whose PoolState has not yet confirmed the latest change. */
export interface PendingNotification {
  poolId: string;
  configVersion: number;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
}

/** Builds the failure value of a result, e.g. `fail(404, 'No pool "web"')`. */
export function fail(
  status: number,
  detail: string,
  options?: ConstructorParameters<typeof ProblemError>[2],
): Failure {
  return { ok: false, problem: new ProblemError(status, detail, options).problem };
}
