/**
 * Reading what Cloudflare's API returned, without trusting its shape: every accessor takes any
 * value and answers `undefined` (or an empty list) when the value is not what the field should be.
 * Also the notes an import collects. Pure.
 */

export type JsonRecord = Record<string, unknown>;

/**
 * How a note reads in the report:
 * - `dropped`: Edge LB has no equivalent, the setting is left out;
 * - `changed`: converted to the nearest equivalent, which behaves differently;
 * - `assumed`: Cloudflare did not say, the importer chose a value;
 * - `check`: converted as is, but it needs a look before going live.
 */
export type NoteKind = "dropped" | "changed" | "assumed" | "check";

export interface ImportNote {
  /** Where in the Cloudflare document, e.g. `pools[primary-dc-1].load_shedding`. */
  at: string;
  kind: NoteKind;
  message: string;
}

export type Note = (at: string, kind: NoteKind, message: string) => void;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A record, or an empty one. */
export function record(value: unknown): JsonRecord {
  return isRecord(value) ? value : {};
}

/** A string with something in it besides white space, trimmed. */
export function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

export function flag(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/** The records of an array; anything else is no records. */
export function records(value: unknown): JsonRecord[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** The non-empty strings of an array, or a single string as a list of one. */
export function strings(value: unknown): string[] {
  if (typeof value === "string") return text(value) === undefined ? [] : [value.trim()];
  if (!Array.isArray(value)) return [];
  return value.map(text).filter((item): item is string => item !== undefined);
}

/** Whether a field carries a setting: not absent, null, "", [], {} or a record of only those. */
export function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.values(value).some(isSet);
  return true;
}

/** How a Cloudflare object is named in notes: its name, else its id, else its position. */
export function label(item: JsonRecord, index: number): string {
  return text(item.name) ?? text(item.description) ?? text(item.id) ?? `#${index}`;
}

/** Quotes a value for a message: strings in double quotes, the rest as JSON. */
export function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * Whole numbers with the same proportions as `weights` (Cloudflare weighs 0 to 1 in steps of 0.01;
 * Edge LB reads any proportion, and small whole numbers read best): scaled to hundredths, then
 * divided by their greatest common divisor.
 * @example proportions([0.6, 0.4]) // [3, 2]; proportions([1, 1]) // [1, 1]; proportions([0.5, 0]) // [1, 0]
 */
export function proportions(weights: readonly number[]): number[] {
  const hundredths = weights.map((weight) => Math.round(Math.min(Math.max(weight, 0), 1) * 100));
  const divisor = hundredths.reduce((acc, value) => (value === 0 ? acc : gcd(acc, value)), 0);
  return divisor === 0 ? hundredths : hundredths.map((value) => value / divisor);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Notes each field that carries a setting but is not in `known`, so nothing is left out unsaid. */
export function noteUnread(item: JsonRecord, known: ReadonlySet<string>, at: string, note: Note): void {
  for (const [key, value] of Object.entries(item)) {
    if (!known.has(key) && isSet(value)) note(`${at}.${key}`, "dropped", "a field this import does not read");
  }
}

/** A copy with the keys of `order` first, in that order (how the written document reads). */
export function inOrder<T extends object>(value: T, order: readonly (keyof T)[]): T {
  const copy: Partial<T> = {};
  for (const key of order) if (value[key] !== undefined) copy[key] = value[key];
  return Object.assign(copy, value) as T;
}

/** Notes a pool or load balancer restricted to networks other than Cloudflare's (`networks`). */
export function noteNetworks(item: JsonRecord, at: string, note: Note): void {
  const networks = strings(item.networks);
  if (networks.some((network) => network !== "cloudflare")) {
    note(
      `${at}.networks`,
      "dropped",
      `Edge LB serves where the Worker runs, not per network (${networks.join(", ")})`,
    );
  }
}
