/**
 * Path normalisation for routing (RFC 3986 section 6.2.2). Pure.
 *
 * The URL parser has already removed dot segments (also their `%2e` spellings). What is left is
 * percent-encoding: `%61` and `a` name the same resource, so `/%61dmin` must reach the load balancer
 * of `/admin`. Octets of unreserved characters (ALPHA, DIGIT, `-`, `.`, `_`, `~`) are decoded, and
 * every other percent-encoding is upper-cased (`%2f` and `%2F` are one). Reserved characters stay
 * encoded: `%2F` is not `/` (RFC 3986 2.2), so `/admin%2Fx` is not below `/admin`.
 */

const HEX = "0123456789ABCDEF";

function isUnreserved(code: number): boolean {
  return (
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    (code >= 0x30 && code <= 0x39) || // 0-9
    code === 0x2d || // -
    code === 0x2e || // .
    code === 0x5f || // _
    code === 0x7e // ~
  );
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * The path as routing compares it; a path without `%` is returned as is (the common case).
 * @example normalizePath("/%61dmin/%7euser/%2f") === "/admin/~user/%2F"
 */
export function normalizePath(path: string): string {
  if (!path.includes("%")) return path;
  let out = "";
  let copied = 0;
  for (let i = path.indexOf("%"); i !== -1 && i + 2 < path.length; i = path.indexOf("%", i + 1)) {
    const high = hexValue(path.charCodeAt(i + 1));
    const low = hexValue(path.charCodeAt(i + 2));
    if (high < 0 || low < 0) continue;
    const code = high * 16 + low;
    out += path.slice(copied, i);
    out += isUnreserved(code) ? String.fromCharCode(code) : `%${HEX[high]}${HEX[low]}`;
    copied = i + 3;
    i += 2;
  }
  return copied === 0 ? path : out + path.slice(copied);
}
