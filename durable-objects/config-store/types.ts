/**
 * The shapes the ConfigStore returns over RPC. Expected failures travel as data
 * (`{ ok: false, problem }`), never as exceptions across the RPC boundary.
 */

import type { ConfigChanges } from "../../worker/config/diff.ts";
import type { ResourceKind } from "../../worker/config/resources.ts";
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

export type AuditAction = "create" | "replace" | "update" | "delete";

/** One row of the audit log, as the API shows it. */
export interface AuditEntry {
  /** ISO 8601. */
  at: string;
  action: AuditAction;
  kind: ResourceKind;
  id: string;
  versionFrom: number | null;
  versionTo: number | null;
  /** The configuration version the change produced. */
  configVersion: number;
  /** Which request made the change: a single resource or `PUT /config`. */
  via: "resource" | "config";
  change: string;
}

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
