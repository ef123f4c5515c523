/**
 * JSON Merge Patch (RFC 7396). Pure: no runtime imports.
 */

/** A plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Applies `patch` to `target` as RFC 7396 says: object members merge recursively, `null` removes a
 * member, anything else (arrays included) replaces. Neither argument is modified.
 * @example applyMergePatch({ a: 1, b: { c: 2 } }, { b: { c: null }, d: [1] }) // { a: 1, b: {}, d: [1] }
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result: Record<string, unknown> = {};
  if (isJsonObject(target)) {
    for (const [key, value] of Object.entries(target)) setMember(result, key, value);
  }
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else setMember(result, key, applyMergePatch(Object.hasOwn(result, key) ? result[key] : undefined, value));
  }
  return result;
}

/** Defines an own data member, so a key such as "__proto__" stays data and never touches the prototype. */
function setMember(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
