/**
 * Which methods an app answers on a path, from its registered routes: the `Allow` header of 405
 * responses, so a wrong method on a known path is told apart from an unknown path. Pure.
 */

export interface RouteInfo {
  method: string;
  path: string;
}

/**
 * The methods registered for `path` (plus HEAD wherever GET is), sorted; empty for an unknown path.
 * Middleware (method ALL) and wildcard routes are not endpoints and are skipped.
 * @example allowedMethods(app.routes, "/__lb/api/v1/pools/web") // ["DELETE", "GET", "HEAD", "PATCH", "PUT"]
 */
export function allowedMethods(routes: readonly RouteInfo[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    if (pathMatches(route.path, path)) methods.add(route.method.toUpperCase());
  }
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

/** Matches a Hono-style pattern (`/pools/:id`) against a concrete path, segment by segment. */
export function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split("/");
  const have = path.split("/");
  if (want.length !== have.length) return false;
  return want.every((segment, i) => {
    const actual = have[i] ?? "";
    if (segment.startsWith(":")) return actual.length > 0 && matchesParamPattern(segment, actual);
    return segment === actual;
  });
}

/** A parameter may carry its own pattern (`:id{[a-z]+}`). */
function matchesParamPattern(segment: string, actual: string): boolean {
  const open = segment.indexOf("{");
  if (open < 0 || !segment.endsWith("}")) return true;
  try {
    return new RegExp(`^(?:${segment.slice(open + 1, -1)})$`).test(actual);
  } catch {
    return true;
  }
}
