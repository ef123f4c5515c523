/**
 * Text output of the CLI: aligned tables, colors, durations and readable API errors. Pure.
 */
import type { ProblemBody } from "./client.ts";

const COLORS = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;
export type Color = keyof typeof COLORS;

/** Wraps text in an ANSI color when `enabled`. */
export function paint(text: string, color: Color, enabled: boolean): string {
  return enabled ? `\u001b[${COLORS[color]}m${text}\u001b[0m` : text;
}

/** Length as a terminal shows it: ANSI color codes take no room. */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the ANSI escape is the point
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}

export interface TableOptions {
  /** Columns aligned right (numbers), by index. */
  right?: number[];
  /** Prefix of every line. */
  indent?: string;
}

/**
 * Aligns rows under a header, two spaces between columns, no trailing spaces.
 * @example formatTable(["ID", "STATE"], [["eu-1", "healthy"]]) // "ID    STATE\neu-1  healthy"
 */
export function formatTable(header: string[], rows: string[][], options: TableOptions = {}): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => visibleLength(row[column] ?? ""))));
  const right = new Set(options.right ?? []);
  return all
    .map((row) => {
      const cells = widths.map((width, column) => {
        const cell = row[column] ?? "";
        const pad = " ".repeat(width - visibleLength(cell));
        return right.has(column) ? pad + cell : cell + pad;
      });
      return `${options.indent ?? ""}${cells.join("  ")}`.trimEnd();
    })
    .join("\n");
}

/**
 * How long ago a timestamp (ms since the epoch or an ISO string) was, e.g. "4s ago", "3m ago";
 * "-" when there is none.
 */
export function ago(timestamp: unknown, now: number): string {
  const at =
    typeof timestamp === "number" ? timestamp : typeof timestamp === "string" ? Date.parse(timestamp) : NaN;
  if (!Number.isFinite(at)) return "-";
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** A duration in whole milliseconds, or "-" when unknown. */
export function millis(value: unknown): string {
  return typeof value === "number" && Number.isFinite(value) ? `${Math.round(value)} ms` : "-";
}

/** Any value as a table cell: "-" for missing, plain text otherwise. */
export function cell(value: unknown): string {
  if (value === undefined || value === null || value === "") return "-";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

const HINTS: Record<number, string> = {
  401: "Check --token or EDGE_LB_TOKEN.",
  403: "This token may only read; changes need the ADMIN_TOKEN.",
  412: "The configuration changed on the server since it was read; nothing was changed. Run the command again.",
};

/**
 * An API error as the user should read it: status, detail, then one line per invalid field.
 * @example formatProblem(400, { title: "Bad Request", detail: "Invalid pool", errors: [{ path: "origins[0].weight", message: "must be at most 1000" }] })
 * // "Error: 400 Bad Request: Invalid pool\n  origins[0].weight: must be at most 1000"
 */
export function formatProblem(status: number, problem: ProblemBody): string {
  const title = problem.title && problem.title !== "about:blank" ? ` ${problem.title}` : "";
  const detail = problem.detail ? `: ${problem.detail}` : "";
  const lines = [`Error: ${status}${title}${detail}`];
  for (const error of problem.errors ?? []) {
    lines.push(`  ${error.path || "(document)"}: ${error.message}`);
  }
  const hint = HINTS[status];
  if (hint) lines.push(hint);
  return lines.map(terminalSafe).join("\n");
}

/**
 * Control characters (C0 but tab, DEL, C1) and the Unicode bidirectional overrides: in text from a
 * server they could move the cursor, recolour or rewrite the terminal, or reorder what it shows.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from the server as a terminal may show it: every control character (see `UNSAFE`) becomes
 * a visible `\u{..}` escape, so an origin's error message cannot drive the terminal.
 * @example terminalSafe("refused\u001b[2J") === "refused\\u{1b}[2J"
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
}

/**
 * A copy of a JSON value with every string (keys included) made `terminalSafe`.
 * @example terminalSafeDeep({ lastError: "x\u001b[31m" }) // { lastError: "x\\u{1b}[31m" }
 */
export function terminalSafeDeep<T>(value: T): T {
  if (typeof value === "string") return terminalSafe(value) as T;
  if (Array.isArray(value)) return value.map(terminalSafeDeep) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [terminalSafe(key), terminalSafeDeep(item)]),
    ) as T;
  }
  return value;
}

/**
 * JSON for a terminal: `JSON.stringify` escapes C0 controls itself; this also escapes DEL, C1 and
 * the bidirectional overrides (they can only occur inside strings, where `\uXXXX` means the same).
 * @example terminalJson({ a: "\u009b" }) === '{"a":"\\u009b"}'
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
