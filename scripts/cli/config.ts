/**
 * `apply` and `export`: the whole configuration as one file. `apply` reads the current version,
 * asks the server for a dry run (validation and the change set), then replaces the configuration
 * with `If-Match` on the version it read, so a concurrent change is refused rather than overwritten.
 */
import { parseConfigDocument } from "../../worker/config/document.ts";
import type { ApiClient } from "./client.ts";
import { type ConfigChanges, diffIds, isEmpty, type PlanDocuments, renderPlan } from "./diff.ts";
import { type ConfigDocument, parseDocument, serializeDocument, withoutServerFields } from "./document.ts";
import { paint } from "./format.ts";
import { impactOf } from "./history.ts";

export interface Output {
  out(text: string): void;
  err(text: string): void;
  color: boolean;
}

interface StoredConfig extends ConfigDocument {
  version?: number;
}

/** Fetches the configuration and the version (as the `If-Match` value) it was read at. */
async function readConfig(client: ApiClient): Promise<{ config: StoredConfig; etag: string | undefined }> {
  const { body, etag } = await client.get<StoredConfig>("/config");
  const fromBody = typeof body.version === "number" ? `"${body.version}"` : undefined;
  return {
    config: { ...body, pools: body.pools ?? [], loadBalancers: body.loadBalancers ?? [] },
    etag: etag ?? fromBody,
  };
}

/** `edge-lb export`: prints the configuration without server-owned fields. */
export async function exportConfig(
  client: ApiClient,
  format: "yaml" | "json",
  endpoint: string,
  output: Output,
): Promise<number> {
  const { config } = await readConfig(client);
  const document = withoutServerFields(config);
  output.out(serializeDocument(document, format, { endpoint, version: config.version }));
  return 0;
}

/** `edge-lb apply <file> [--dry-run]`: shows the plan, then applies it atomically. */
export async function applyConfig(
  client: ApiClient,
  fileName: string,
  text: string,
  dryRun: boolean,
  output: Output,
  sampleRequests?: unknown[],
): Promise<number> {
  const desired = withoutServerFields(parseDocument(text, fileName));
  const { config: current, etag } = await readConfig(client);

  const preview = await client.request<unknown>("PUT", "/config", {
    body: desired,
    query: { dryRun: "true" },
    ...(etag ? { ifMatch: etag } : {}),
  });
  const documents = planDocuments(current, desired, preview.body);
  const plan: ConfigChanges = changesFrom(preview.body) ?? {
    pools: diffIds(documents.before.pools, documents.after.pools),
    loadBalancers: diffIds(documents.before.loadBalancers, documents.after.loadBalancers),
  };
  output.out(`${renderPlan(plan, documents, output.color)}\n`);
  if (sampleRequests) output.out(`\n${await impactOf(client, desired, sampleRequests)}\n`);

  if (isEmpty(plan)) return 0;
  if (dryRun) {
    output.out("Dry run: nothing was changed.\n");
    return 0;
  }
  const applied = await client.request<{ version?: number }>("PUT", "/config", {
    body: desired,
    ...(etag ? { ifMatch: etag } : {}),
  });
  const version = applied.body?.version ?? versionOf(applied.etag);
  const at = version === undefined ? "" : ` (configuration version ${version})`;
  output.out(`${paint("Applied", "green", output.color)}${at}.\n`);
  return 0;
}

/** The change set of a dry-run answer, wherever the server put it; undefined when it has none. */
export function changesFrom(body: unknown): ConfigChanges | undefined {
  const candidates = [body, field(body, "changes")];
  for (const candidate of candidates) {
    const pools = kindChanges(field(candidate, "pools"));
    const loadBalancers = kindChanges(field(candidate, "loadBalancers"));
    if (pools && loadBalancers) return { pools, loadBalancers };
  }
  return undefined;
}

function kindChanges(value: unknown): ConfigChanges["pools"] | undefined {
  const lists = ["created", "updated", "deleted"].map((key) => field(value, key));
  if (!lists.every((list) => Array.isArray(list) && list.every((id) => typeof id === "string")))
    return undefined;
  const [created, updated, deleted] = lists as string[][];
  return { created: created!, updated: updated!, deleted: deleted! };
}

/**
 * Both sides of the plan, so changed resources can list their changed fields: the server's
 * resulting configuration when the dry run returns one, else the file with defaults applied by the
 * same schema the server validates with.
 */
function planDocuments(
  current: StoredConfig,
  desired: Record<string, unknown>,
  preview: unknown,
): PlanDocuments {
  const before = { pools: current.pools, loadBalancers: current.loadBalancers };
  const returned = field(preview, "config");
  if (isDocument(returned)) return { before, after: returned };
  const parsed = parseConfigDocument(desired);
  if (parsed.ok) return { before, after: parsed.value };
  return { before, after: { pools: [], loadBalancers: [] } };
}

function isDocument(value: unknown): value is PlanDocuments["after"] {
  return Array.isArray(field(value, "pools")) && Array.isArray(field(value, "loadBalancers"));
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function versionOf(etag: string | undefined): number | undefined {
  const match = etag?.match(/^(?:W\/)?"?(\d+)"?$/);
  return match ? Number(match[1]) : undefined;
}
