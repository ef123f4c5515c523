/**
 * `history`, `rollback` and the impact preview of `apply --requests`: the configuration's past
 * versions, making one of them current again, and what a change would do to sample requests.
 */
import type { ApiClient } from "./client.ts";
import type { Output } from "./config.ts";
import { changesFrom } from "./config.ts";
import { renderPlan } from "./diff.ts";
import { DocumentError } from "./document.ts";
import { formatTable, paint, terminalJson, terminalSafe } from "./format.ts";

interface VersionEntry {
  version: number;
  at: string;
  role: string;
  summary: string;
}

/** `edge-lb history [--json]`: the kept configuration versions, newest first. */
export async function showHistory(client: ApiClient, json: boolean, output: Output): Promise<number> {
  const { body } = await client.get<{ items: VersionEntry[] }>("/config/versions", {
    query: { limit: "100" },
  });
  if (json) {
    output.out(`${terminalJson(body, 2)}\n`);
    return 0;
  }
  if (body.items.length === 0) {
    output.out("No configuration versions are kept yet.\n");
    return 0;
  }
  const rows = body.items.map((item) => [
    String(item.version),
    item.at.replace(/\.\d{3}Z$/, "Z"),
    item.role,
    terminalSafe(item.summary),
  ]);
  output.out(`${formatTable(["VERSION", "AT", "ROLE", "SUMMARY"], rows, { right: [0] })}\n`);
  return 0;
}

/** `edge-lb rollback <version> [--dry-run]`: shows what changes, then makes that version current. */
export async function rollback(
  client: ApiClient,
  versionText: string,
  dryRun: boolean,
  output: Output,
): Promise<number> {
  if (!/^\d+$/.test(versionText))
    throw new DocumentError(`<version> must be a number, e.g. 12 (got "${versionText}")`);
  const version = Number(versionText);
  const current = await client.get<{ version: number }>("/config");
  const ifMatch = current.etag ?? `"${current.body.version}"`;
  const preview = await client.request<unknown>("POST", "/config/rollback", {
    body: { version },
    query: { dryRun: "true" },
    ifMatch,
  });
  const plan = changesFrom(preview.body);
  if (plan) output.out(`${renderPlan(plan, undefined, output.color)}\n`);
  if (dryRun) {
    output.out("Dry run: nothing was changed.\n");
    return 0;
  }
  const done = await client.request<{ version: number }>("POST", "/config/rollback", {
    body: { version },
    ifMatch,
  });
  output.out(
    `${paint("Rolled back", "green", output.color)} to version ${version} (configuration version ${done.body.version}).\n`,
  );
  return 0;
}

/** The requests of a JSON Lines file: one `{ "url", ... }` object per line; blank lines skipped. */
export function parseRequestLines(text: string, fileName: string): unknown[] {
  const requests: unknown[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      requests.push(JSON.parse(line));
    } catch (error) {
      throw new DocumentError(`${fileName}:${i + 1}: not a JSON object (${(error as Error).message})`);
    }
  });
  if (requests.length === 0) throw new DocumentError(`${fileName}: no requests (one JSON object per line)`);
  return requests;
}

interface Moved {
  count: number;
  share: number;
}

interface ImpactSummary {
  requests: number;
  changed: { loadBalancer: Moved; pool: Moved; origin: Moved };
  /** The part of `changed` that is a draw on both sides (absent from older servers). */
  drawn?: { pool: Moved; origin: Moved };
  affinityPinsBroken: number;
}

/** Asks `POST /explain` what `desired` would do to `requests` and renders its summary. */
export async function impactOf(client: ApiClient, desired: unknown, requests: unknown[]): Promise<string> {
  const { body } = await client.request<{ summary: ImpactSummary }>("POST", "/explain", {
    body: { config: desired, requests },
  });
  return renderImpact(body.summary);
}

/** E.g. "Impact on 200 sample requests: ..." with one line per kind of move. */
export function renderImpact(summary: ImpactSummary): string {
  const line = (label: string, moved: Moved) =>
    `  ${label.padEnd(22)}${String(moved.count).padStart(6)}  (${(moved.share * 100).toFixed(1)}%)`;
  return [
    `Impact on ${summary.requests} sample request${summary.requests === 1 ? "" : "s"}:`,
    line("change load balancer", summary.changed.loadBalancer),
    line("change pool", summary.changed.pool),
    line("change origin", summary.changed.origin),
    ...(summary.drawn
      ? [line("  drawn pool", summary.drawn.pool), line("  drawn origin", summary.drawn.origin)]
      : []),
    `  ${"affinity pins broken".padEnd(22)}${String(summary.affinityPinsBroken).padStart(6)}`,
  ].join("\n");
}
