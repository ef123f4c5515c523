/**
 * `edge-lb import --from cloudflare <file>`: converts another load balancer's configuration into an
 * Edge LB document. The document goes to standard output (YAML unless `--format json`), ready for
 * `apply`; the report of what did not convert exactly goes to standard error. Nothing is sent
 * anywhere: review the document, then apply it.
 */
import type { Output } from "./config.ts";
import { DocumentError, syntaxError, toYaml } from "./document.ts";
import { formatTable } from "./format.ts";
import { type CloudflareImport, ImportError, importCloudflare, type NoteKind } from "./import-cloudflare.ts";

/** Converts the file's text and prints the document and the report; 1 when nothing converted. */
export function runImport(name: string, text: string, format: "yaml" | "json", output: Output): number {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new DocumentError(`${name} is not valid JSON: ${syntaxError(error, true)}`);
  }
  let result: CloudflareImport;
  try {
    result = importCloudflare(document);
  } catch (error) {
    if (error instanceof ImportError) throw new DocumentError(`${name}: ${error.message}`);
    throw error;
  }
  output.err(formatImportReport(result, name));
  const { config } = result;
  if (config.pools.length === 0 && config.loadBalancers.length === 0) {
    output.err("Error: nothing in it could be converted.\n");
    return 1;
  }
  const source = name === "-" ? "standard input" : name;
  output.out(
    format === "json"
      ? `${JSON.stringify(config, null, 2)}\n`
      : toYaml(config, [
          `Edge LB configuration imported from Cloudflare Load Balancing (${source}).`,
          "Read the import report, then: edge-lb apply <this file>",
        ]),
  );
  return 0;
}

const SECTIONS: ReadonlyArray<[NoteKind, string]> = [
  ["dropped", "Not converted (no Edge LB equivalent)"],
  ["changed", "Converted to the nearest equivalent, which behaves differently"],
  ["assumed", "Not stated in the file, assumed"],
  ["check", "Check before going live"],
];

/**
 * The report as standard error shows it: what became what, then the notes by kind.
 * @example formatImportReport(importCloudflare(doc), "cf.json") // "Imported 2 pools ... from cf.json\n..."
 */
export function formatImportReport(result: CloudflareImport, name: string): string {
  const { config, report, ids } = result;
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;
  const checks = result.monitors > 0 ? ` (${count(result.monitors, "monitor")} as health checks)` : "";
  const lines = [
    `Imported ${count(config.pools.length, "pool")}${checks} and ${count(config.loadBalancers.length, "load balancer")} ` +
      `from ${name === "-" ? "standard input" : name}.`,
  ];
  if (ids.length > 0) {
    const rows = ids.map((entry) => [
      entry.kind,
      entry.id,
      `${entry.cloudflareId || "-"}`,
      entry.name || "-",
    ]);
    lines.push("", formatTable(["KIND", "EDGE LB ID", "CLOUDFLARE ID", "NAME"], rows, { indent: "  " }));
  }
  for (const [kind, title] of SECTIONS) {
    const notes = report.filter((note) => note.kind === kind);
    if (notes.length === 0) continue;
    lines.push("", `${title}:`, ...notes.map((note) => `  ${note.at}: ${note.message}`));
  }
  if (report.length === 0) lines.push("", "Everything converted as it was.");
  return `${lines.join("\n")}\n`;
}
