/**
 * Hostname normalisation shared by routing and the admin dispatch (so it sits at the bottom). Pure.
 */

/**
 * Lower-cases a hostname and drops any port and trailing dot, so that `WWW.Example.com.:8080`
 * and `www.example.com` compare equal. Accepts a bare hostname or a Host header value; IPv6
 * literals keep their brackets.
 * @example normalizeHostname("API.Example.com.:443") === "api.example.com"
 */
export function normalizeHostname(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith("[")) {
    const end = name.indexOf("]");
    return end === -1 ? name : name.slice(0, end + 1);
  }
  const colon = name.indexOf(":");
  if (colon !== -1) name = name.slice(0, colon);
  while (name.endsWith(".")) name = name.slice(0, -1);
  return name;
}
