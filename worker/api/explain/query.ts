/**
 * The query of `GET /explain`: the request to explain, described by its URL, client address,
 * headers and location. Every problem with it is reported at once, by parameter, as a 400.
 */

import { type FieldError, ProblemError, problemType } from "../../http/problem.ts";
import { continentOf } from "../../routing/continents.ts";
import type { GeoLocation } from "../../routing/geo.ts";

/** A request described for explaining. */
export interface DescribedRequest {
  readonly url: URL;
  /** The client address, as `CF-Connecting-IP` would carry it; null when not given. */
  readonly ip: string | null;
  /** The request headers, `CF-Connecting-IP` included when `ip` is given. */
  readonly headers: Headers;
  readonly location: GeoLocation;
  /** The request method, for rules that look at it; GET when not given. */
  readonly method: string;
}

const HEADER_PREFIX = "header.";
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CODE = /^[A-Za-z]{2}$/;
const MAX_HEADERS = 100;
const SINGLE = ["url", "ip", "country", "continent", "method"] as const;
const METHOD = /^[A-Z]{1,16}$/;

/**
 * Reads and checks the query; throws a 400 problem naming every bad parameter.
 * @example parseExplainQuery(new URL("https://lb/x?url=https://www.example.com/&ip=203.0.113.7").searchParams)
 */
export function parseExplainQuery(query: URLSearchParams): DescribedRequest {
  const errors: FieldError[] = [];
  const values = new Map<string, string>();
  const headers = new Headers();
  let headerCount = 0;
  for (const [name, value] of query) {
    if ((SINGLE as readonly string[]).includes(name)) {
      if (values.has(name)) errors.push({ path: name, message: "may be given only once" });
      else values.set(name, value);
    } else if (name.startsWith(HEADER_PREFIX)) {
      headerCount++;
      const error = addHeader(headers, name.slice(HEADER_PREFIX.length), value);
      if (error) errors.push({ path: name, message: error });
    } else {
      errors.push({
        path: name,
        message: "unknown parameter; use url, method, ip, header.<name>, country or continent",
      });
    }
  }
  if (headerCount > MAX_HEADERS) {
    errors.push({ path: HEADER_PREFIX, message: `at most ${MAX_HEADERS} headers may be described` });
  }
  const url = parseUrl(values.get("url"), errors);
  const ip = parseIp(values.get("ip"), errors);
  const country = parseCode(values.get("country"), "country", "an ISO 3166-1 alpha-2 code, e.g. DE", errors);
  const continent = parseCode(values.get("continent"), "continent", "a continent code, e.g. EU", errors);
  const method = values.get("method") ?? "GET";
  checkMethod(method, errors);
  if (errors.length > 0 || !url) {
    throw new ProblemError(400, "The request to explain is not described correctly; see errors.", {
      type: problemType("validation"),
      title: "Validation failed",
      errors,
    });
  }
  return described(url, ip, headers, { country, continent }, method);
}

/**
 * The request to explain, as the edge sees it: a given client address is also sent as
 * `cf-connecting-ip`, and a country without a continent comes with its continent, as
 * `request.cf` always carries both.
 */
function described(
  url: URL,
  ip: string | null,
  headers: Headers,
  { country, continent }: DescribedRequest["location"],
  method: string,
): DescribedRequest {
  if (ip !== null) headers.set("cf-connecting-ip", ip);
  const location = { country, continent: continent ?? (country === null ? null : continentOf(country)) };
  return { url, ip: ip ?? headers.get("cf-connecting-ip"), headers, location, method };
}

/**
 * An upper-case method the runtime can receive. The runtime's own `Request` is the judge: it refuses
 * the methods it never hands a Worker (CONNECT, TRACK, unknown ones such as FOO), which the edge
 * therefore never sees, and explaining them would otherwise fail.
 */
function checkMethod(method: string, errors: FieldError[]): void {
  let known = METHOD.test(method);
  if (known) {
    try {
      known = new Request("https://method.invalid/", { method }).method === method;
    } catch {
      known = false;
    }
  }
  if (!known) {
    errors.push({
      path: "method",
      message: "must be an upper-case HTTP method the edge can receive, e.g. GET, POST or PATCH",
    });
  }
}

function parseUrl(value: string | undefined, errors: FieldError[]): URL | null {
  if (value === undefined || value === "") {
    errors.push({
      path: "url",
      message: "is required: the absolute URL of the request, e.g. https://www.example.com/cart",
    });
    return null;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    errors.push({ path: "url", message: "must be an absolute http or https URL" });
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    errors.push({ path: "url", message: `must use http or https, not ${url.protocol.slice(0, -1)}` });
    return null;
  }
  if (url.hostname === "") {
    errors.push({ path: "url", message: "must name a host" });
    return null;
  }
  return url;
}

function parseIp(value: string | undefined, errors: FieldError[]): string | null {
  if (value === undefined) return null;
  if (IPV4.test(value) || isIpv6(value)) return value;
  errors.push({ path: "ip", message: "must be an IPv4 or IPv6 address, e.g. 203.0.113.7" });
  return null;
}

function isIpv6(value: string): boolean {
  if (!value.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(value)) return false;
  try {
    return new URL(`http://[${value}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

function parseCode(
  value: string | undefined,
  path: string,
  what: string,
  errors: FieldError[],
): string | null {
  if (value === undefined || value === "") return null;
  if (CODE.test(value)) return value.toUpperCase();
  errors.push({ path, message: `must be ${what}` });
  return null;
}

/** Adds one described header; returns what is wrong with it, or null. */
function addHeader(headers: Headers, name: string, value: string): string | null {
  if (!TOKEN.test(name)) return "the header name must be a token, e.g. header.x-user";
  const lower = name.toLowerCase();
  if (lower === "host") return "the host comes from url";
  try {
    // Several cookies travel in one Cookie header, separated by "; ", as browsers send them.
    const prior = lower === "cookie" ? headers.get("cookie") : null;
    if (prior !== null) headers.set("cookie", `${prior}; ${value}`);
    else headers.append(name, value);
  } catch {
    return "the value is not a valid header value";
  }
  return null;
}

/**
 * One request of `POST /explain`: `{ url, method?, headers?, ip?, country?, continent? }`. Problems
 * are added to `errors` under `path` (e.g. `requests[3]`); null when there were any.
 */
export function describeRequestItem(
  item: unknown,
  path: string,
  errors: FieldError[],
): DescribedRequest | null {
  const own: FieldError[] = [];
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    errors.push({ path, message: "must be an object with at least url" });
    return null;
  }
  const input = item as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!ITEM_FIELDS.has(key)) {
      own.push({ path: key, message: "unknown field; use url, method, headers, ip, country or continent" });
    }
  }
  const text = (name: string): string | undefined => {
    const value = input[name];
    if (value === undefined) return undefined;
    if (typeof value === "string") return value;
    own.push({ path: name, message: "must be a string" });
    return undefined;
  };
  const url = parseUrl(text("url"), own);
  const ip = parseIp(text("ip"), own);
  const country = parseCode(text("country"), "country", "an ISO 3166-1 alpha-2 code, e.g. DE", own);
  const continent = parseCode(text("continent"), "continent", "a continent code, e.g. EU", own);
  const method = text("method") ?? "GET";
  checkMethod(method, own);
  const headers = new Headers();
  const given = input.headers;
  if (given !== undefined) {
    if (typeof given !== "object" || given === null || Array.isArray(given)) {
      own.push({ path: "headers", message: "must be an object of header names to string values" });
    } else if (Object.keys(given).length > MAX_HEADERS) {
      own.push({ path: "headers", message: `at most ${MAX_HEADERS} headers may be described` });
    } else {
      for (const [name, value] of Object.entries(given)) {
        const error =
          typeof value === "string" ? addHeader(headers, name, value) : "the value must be a string";
        if (error) own.push({ path: `headers.${name}`, message: error });
      }
    }
  }
  for (const error of own) errors.push({ path: `${path}.${error.path}`, message: error.message });
  if (own.length > 0 || !url) return null;
  return described(url, ip, headers, { country, continent }, method);
}

const ITEM_FIELDS = new Set(["url", "method", "headers", "ip", "country", "continent"]);
