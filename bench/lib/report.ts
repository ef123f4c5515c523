/**
 * What a section produces and how it is shown: a plain-text table on the terminal and the same
 * figures as Markdown in bench/RESULTS.md and the README.
 */

export interface Table {
  caption?: string;
  columns: string[];
  rows: string[][];
}

export type SectionId =
  | "decision"
  | "overhead"
  | "state"
  | "failover"
  | "memory"
  | "profile"
  | "coldstart"
  | "hotpath";

export interface SectionResult {
  id: SectionId;
  title: string;
  /** What was measured and how (Markdown paragraphs). */
  method: string[];
  tables: Table[];
  /** Skips, targets and caveats (Markdown list items). */
  notes: string[];
}

/** Renders a table for the terminal with aligned columns. */
export function tableToText(table: Table): string {
  const widths = table.columns.map((column, i) =>
    Math.max(column.length, ...table.rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  const out = [line(table.columns), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)];
  if (table.caption) out.unshift(table.caption);
  return out.join("\n");
}

/** Renders a table as GitHub Markdown. */
export function tableToMarkdown(table: Table): string {
  const escapeCell = (cell: string) => cell.replaceAll("|", "\\|");
  const header = `| ${table.columns.map(escapeCell).join(" | ")} |`;
  const rule = `|${table.columns.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`;
  const rows = table.rows.map((row) => `| ${row.map(escapeCell).join(" | ")} |`);
  const out = [header, rule, ...rows];
  if (table.caption) out.unshift(`*${table.caption}*`, "");
  return out.join("\n");
}

/** A section for the terminal: title, tables, notes. */
export function sectionToText(section: SectionResult): string {
  const parts = [`== ${section.title} ==`, ...section.tables.map(tableToText)];
  if (section.notes.length > 0) parts.push(section.notes.map((n) => `* ${stripMarkdown(n)}`).join("\n"));
  return parts.join("\n\n");
}

/** A section as Markdown: heading, method, tables, notes. */
export function sectionToMarkdown(section: SectionResult, headingLevel = 2): string {
  const parts = [`${"#".repeat(headingLevel)} ${section.title}`, ...section.method];
  parts.push(...section.tables.map(tableToMarkdown));
  if (section.notes.length > 0) parts.push(section.notes.map((n) => `- ${oneLine(n)}`).join("\n"));
  return parts.join("\n\n");
}

function stripMarkdown(text: string): string {
  return oneLine(text).replaceAll("`", "").replaceAll("**", "");
}

/** Notes may quote multi-line tool output; a list item stays on one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
