/**
 * Configuration changes as log lines: after each committed write, one JSON line per changed
 * resource, in the order the changes were made, shaped like the PoolState's event lines
 * (`event`, `at`, `subject`), so one log query finds health transitions and configuration changes.
 */
import type { ConfigTables } from "./sql.ts";
import type { AuditEntry } from "./types.ts";

/** Audit entries read at first; a larger change reads on in doubling pages. */
const FIRST_PAGE = 32;

/**
 * Logs the audit entries of the configuration versions after `since`.
 * @example logConfigChanges(tables, versionBeforeTheWrite);
 */
export function logConfigChanges(tables: ConfigTables, since: number): void {
  for (const entry of entriesAfter(tables, since)) console.log(configChangeLine(entry));
}

/** The log line of one audit entry. */
export function configChangeLine(entry: AuditEntry): string {
  return JSON.stringify({
    event: "config_change",
    at: entry.at,
    subject: `${entry.kind}/${entry.id}`,
    action: entry.action,
    change: entry.change,
    versionFrom: entry.versionFrom,
    versionTo: entry.versionTo,
    configVersion: entry.configVersion,
    via: entry.via,
  });
}

/** The entries newer than `since`, oldest first. */
function entriesAfter(tables: ConfigTables, since: number): AuditEntry[] {
  for (let limit = FIRST_PAGE; ; limit *= 2) {
    const newest = tables.audit(limit);
    const oldest = newest.at(-1);
    if (newest.length < limit || (oldest && oldest.configVersion <= since)) {
      return newest.filter((entry) => entry.configVersion > since).reverse();
    }
  }
}
