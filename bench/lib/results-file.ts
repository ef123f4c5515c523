/**
 * bench/RESULTS.md: the machine of the latest run and one block per section. Running one section
 * replaces only that section's block, so the file always holds the latest figures of each.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { type MachineInfo, machineToMarkdown } from "./machine.ts";
import { type SectionId, type SectionResult, sectionToMarkdown } from "./report.ts";

export const RESULTS_PATH = resolve(import.meta.dirname, "../RESULTS.md");
const ORDER: SectionId[] = [
  "decision",
  "overhead",
  "state",
  "failover",
  "memory",
  "profile",
  "coldstart",
  "hotpath",
];

const HEADER = `# Benchmark results

Written by \`npm run bench\` (\`npm run bench -- <section>\` rewrites one section). The figures come
from a **2-core machine shared with other work**, with the load generator, the runtime and the
origins on the same two cores: read them as orders of magnitude and as ratios measured side by side
in the same run, not as capacity figures for Cloudflare's network.`;

function blockFor(id: SectionId, body: string): string {
  return `<!-- section:${id} -->\n${body}\n<!-- /section:${id} -->`;
}

function existingBlocks(): Map<SectionId, string> {
  const blocks = new Map<SectionId, string>();
  if (!existsSync(RESULTS_PATH)) return blocks;
  const text = readFileSync(RESULTS_PATH, "utf8");
  for (const id of ORDER) {
    const match = new RegExp(`<!-- section:${id} -->\\n([\\s\\S]*?)\\n<!-- /section:${id} -->`).exec(text);
    if (match?.[1]) blocks.set(id, match[1]);
  }
  return blocks;
}

/** Merges the new sections into RESULTS.md. */
export function writeResults(machine: MachineInfo, sections: readonly SectionResult[]): void {
  const blocks = existingBlocks();
  const runLine = `*Run ${machine.date} on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, workerd ${machine.workerd}.*`;
  for (const section of sections) blocks.set(section.id, `${sectionToMarkdown(section)}\n\n${runLine}`);
  const parts = [HEADER, `## Machine of the latest run\n\n${machineToMarkdown(machine)}`];
  for (const id of ORDER) {
    const block = blocks.get(id);
    if (block) parts.push(blockFor(id, block));
  }
  writeFileSync(RESULTS_PATH, `${parts.join("\n\n")}\n`);
}
