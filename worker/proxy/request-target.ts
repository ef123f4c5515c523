/**
 * The parts of a request's URL the proxy needs, read straight from `request.url`. Pure (strings
 * only).
 *
 * The runtime hands `request.url` over serialized as WHATWG URLs serialize (scheme and host lower
 * case, default port dropped, a path that starts with `/`), so the parts are plain slices of it and
 * equal what a `URL` object's getters return; reading them this way spares every proxied request a
 * `URL` object and its getter calls. A URL of any other shape (never seen from the runtime) is read
 * through `URL` instead.
 */

export interface RequestTarget {
  /** The whole URL, as `request.url`. */
  readonly href: string;
  /** Scheme with its colon, as `URL#protocol`: `http:` or `https:`. */
  readonly protocol: string;
  /** Hostname and port, as `URL#host`: `example.com:8080`, `[::1]`. */
  readonly host: string;
  /** As `URL#hostname`: no port, IPv6 literals in brackets. */
  readonly hostname: string;
  /** As `URL#pathname`. */
  readonly pathname: string;
  /** Path and query exactly as serialized, keeping the `?` of an empty query (see upstream-url.ts). */
  readonly pathAndQuery: string;
}

/**
 * The target of a request URL.
 * @example requestTarget("http://shop.example:8080/cart?x=1").hostname === "shop.example"
 */
export function requestTarget(href: string): RequestTarget {
  return sliceTarget(href) ?? parsedTarget(new URL(href));
}

/** The slices of a serialized `http(s)://[userinfo@]host[:port]/path[?query][#fragment]`, or null. */
function sliceTarget(href: string): RequestTarget | null {
  const schemeEnd = href.indexOf("://");
  if (schemeEnd <= 0) return null;
  const protocol = href.slice(0, schemeEnd + 1);
  if (protocol !== "http:" && protocol !== "https:") return null;
  const authorityStart = schemeEnd + 3;
  const pathStart = href.indexOf("/", authorityStart);
  if (pathStart === -1) return null;
  const authority = href.slice(authorityStart, pathStart);
  // A `?`, `#` or `\` before the first `/` would mean the authority ended earlier: not a shape the
  // runtime serializes.
  if (/[?#\\]/.test(authority)) return null;
  const host = authority.slice(authority.lastIndexOf("@") + 1);
  if (host === "") return null;
  const hashAt = href.indexOf("#", pathStart);
  const pathAndQuery = hashAt === -1 ? href.slice(pathStart) : href.slice(pathStart, hashAt);
  const queryAt = pathAndQuery.indexOf("?");
  return {
    href,
    protocol,
    host,
    hostname: hostnameOf(host),
    pathname: queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt),
    pathAndQuery,
  };
}

function hostnameOf(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

function parsedTarget(url: URL): RequestTarget {
  const href = url.href;
  const fragment = url.hash === "" ? (href.endsWith("#") ? 1 : 0) : url.hash.length;
  const withoutFragment = href.slice(0, href.length - fragment);
  return {
    href,
    protocol: url.protocol,
    host: url.host,
    hostname: url.hostname,
    pathname: url.pathname,
    pathAndQuery:
      url.search !== "" || !withoutFragment.endsWith("?") ? url.pathname + url.search : `${url.pathname}?`,
  };
}
