/**
 * `If-Match` on writes: ETags are the quoted version (`"7"`); weak tags (`W/"7"`) compare the same
 * way, and `*` matches any existing resource. Pure: no runtime imports.
 */

/** A parsed `If-Match`: `*`, or the versions it names (an unparseable tag names none). */
export type IfMatch = "*" | number[];

const ENTITY_TAG = /(?:W\/)?"([^"]*)"/g;

/**
 * Parses an `If-Match` header; undefined when the header is absent.
 * @example parseIfMatch('W/"3", "4"') // [3, 4]
 */
export function parseIfMatch(header: string | null | undefined): IfMatch | undefined {
  if (header === null || header === undefined) return undefined;
  if (header.trim() === "*") return "*";
  const versions: number[] = [];
  for (const match of header.matchAll(ENTITY_TAG)) {
    const tag = match[1] ?? "";
    if (/^\d{1,15}$/.test(tag)) versions.push(Number(tag));
  }
  return versions;
}

/** True when a write guarded by `condition` may change a resource currently at `version`. */
export function ifMatchHolds(condition: IfMatch | undefined, version: number): boolean {
  if (condition === undefined || condition === "*") return true;
  return condition.includes(version);
}

/** The ETag of a version, e.g. `"7"`. */
export function etag(version: number): string {
  return `"${version}"`;
}
