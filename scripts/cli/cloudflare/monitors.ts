/**
 * Cloudflare monitors as Edge LB health checks. A monitor is its own object in Cloudflare, shared
 * by pools; in Edge LB the check is part of each pool, so every pool gets a copy of its monitor's
 * check. Notes about the monitor itself are made once, here, not once per pool. Pure.
 */
import type { z } from "zod";
import { ExpectedCodes } from "../../../worker/config/fields.ts";
import { defaultTimeoutMs, HealthCheckSchema } from "../../../worker/config/schema.ts";
import { flag, type JsonRecord, type Note, noteUnread, num, record, show, strings, text } from "./read.ts";

export type HealthCheckInput = z.input<typeof HealthCheckSchema>;

/** What a monitor says about the pools that use it. */
export interface MonitorPlan {
  /** The protocol the monitor speaks to origins, when it is HTTP or HTTPS (a TCP check does not say). */
  readonly scheme: "http" | "https" | null;
  /** The port the monitor probes, when it names one (Cloudflare's 0 means the default). */
  readonly port: number | null;
  /** The Edge LB check; null when Edge LB cannot run this kind of monitor. */
  readonly healthCheck: HealthCheckInput | null;
}

/** The fields read below, and the read-only ones that mean nothing to Edge LB. */
const KNOWN = new Set([
  ...["id", "type", "description", "method", "path", "header", "port", "timeout", "retries", "interval"],
  ...["expected_body", "expected_codes", "follow_redirects", "allow_insecure", "consecutive_up"],
  ...["consecutive_down", "probe_zone", "created_on", "modified_on"],
]);

/** Cloudflare's documented defaults for what a monitor leaves out. */
const CLOUDFLARE_DEFAULTS = { type: "http", interval: 60, timeout: 5, retries: 2, path: "/" } as const;

/**
 * The plan for one monitor; `at` is where notes point, e.g. `monitors[Login page monitor]`.
 * @example convertMonitor({ type: "https", path: "/health", expected_codes: "2xx" }, "monitors[m]", note)
 */
export function convertMonitor(monitor: JsonRecord, at: string, note: Note): MonitorPlan {
  noteUnread(monitor, KNOWN, at, note);
  const type = text(monitor.type)?.toLowerCase() ?? CLOUDFLARE_DEFAULTS.type;
  const port = positive(monitor.port);
  if (type !== "http" && type !== "https" && type !== "tcp") {
    note(
      `${at}.type`,
      "dropped",
      `${show(type)} monitors have no Edge LB equivalent (active checks are HTTP(S) requests or TCP ` +
        "connections): pools using it get no active check; passive checks still eject origins that fail requests",
    );
    return { scheme: null, port, healthCheck: null };
  }
  const check: HealthCheckInput = type === "tcp" ? { type: "tcp" } : httpCheck(monitor, at, note);
  timings(monitor, check, at, note);
  if (text(monitor.probe_zone) !== undefined) {
    note(
      `${at}.probe_zone`,
      "dropped",
      `Edge LB probes each origin as configured, not as zone ${show(text(monitor.probe_zone))}`,
    );
  }
  return { scheme: type === "tcp" ? null : type, port, healthCheck: check };
}

/** What an HTTP or HTTPS monitor asks of the response. */
function httpCheck(monitor: JsonRecord, at: string, note: Note): HealthCheckInput {
  const check: HealthCheckInput = {};
  const path = text(monitor.path) ?? CLOUDFLARE_DEFAULTS.path;
  check.path = accepts({ path }) ? path : "/";
  if (check.path !== path)
    note(`${at}.path`, "dropped", `${show(path)} is not a path Edge LB accepts; the check requests "/"`);

  const method = text(monitor.method)?.toUpperCase() ?? "GET";
  if (method === "HEAD") check.method = "HEAD";
  else if (method !== "GET")
    note(`${at}.method`, "changed", `Edge LB checks with GET or HEAD; ${show(method)} became GET`);

  const headers = checkHeaders(record(monitor.header), `${at}.header`, note);
  if (Object.keys(headers).length > 0) check.headers = headers;

  const codes = text(monitor.expected_codes);
  if (codes === undefined) {
    note(`${at}.expected_codes`, "assumed", 'no expected codes: the check accepts "2xx"');
    check.expectedCodes = "2xx";
  } else if (ExpectedCodes.safeParse(codes).success) {
    check.expectedCodes = codes;
  } else {
    note(
      `${at}.expected_codes`,
      "changed",
      `${show(codes)} is not a list of codes Edge LB reads; the check accepts "2xx"`,
    );
    check.expectedCodes = "2xx";
  }

  const body = text(monitor.expected_body);
  if (body !== undefined && body.length <= 4096) {
    check.expectedBody = body;
    if (body.toLowerCase() !== body.toUpperCase()) {
      note(
        `${at}.expected_body`,
        "changed",
        `Edge LB looks for ${show(body)} case-sensitively; Cloudflare ignores case`,
      );
    }
  } else if (body !== undefined) {
    note(`${at}.expected_body`, "dropped", "longer than the 4096 characters Edge LB accepts");
  }
  if (flag(monitor.follow_redirects) === true) check.followRedirects = true;
  if (flag(monitor.allow_insecure) === true) {
    note(
      `${at}.allow_insecure`,
      "dropped",
      "Workers always verify TLS certificates: an origin with an invalid certificate fails its checks and its requests",
    );
  }
  return check;
}

/** Interval, timeout, thresholds; and retries, which Edge LB does not have. */
function timings(monitor: JsonRecord, check: HealthCheckInput, at: string, note: Note): void {
  const interval = timing(monitor.interval, CLOUDFLARE_DEFAULTS.interval, 3600, `${at}.interval`, note);
  check.intervalSeconds = interval;
  const timeout = timing(monitor.timeout, CLOUDFLARE_DEFAULTS.timeout, 600, `${at}.timeout`, note);
  if (timeout < interval) {
    check.timeoutMs = timeout * 1000;
  } else {
    check.timeoutMs = defaultTimeoutMs(interval);
    note(
      `${at}.timeout`,
      "changed",
      `Edge LB needs a timeout shorter than the interval: ${check.timeoutMs} ms instead of ${timeout} s`,
    );
  }
  check.healthyThreshold = threshold(monitor.consecutive_up);
  check.unhealthyThreshold = threshold(monitor.consecutive_down);
  const retries = num(monitor.retries) ?? CLOUDFLARE_DEFAULTS.retries;
  if (retries > 0) {
    const checks = `${check.unhealthyThreshold} failed check${check.unhealthyThreshold === 1 ? "" : "s"}`;
    note(
      `${at}.retries`,
      "changed",
      `Edge LB does not repeat a failed probe within one check (Cloudflare: ${retries} times); an origin ` +
        `is unhealthy after ${checks} in a row (unhealthyThreshold)`,
    );
  }
}

/** Headers a check may send, one value each; the others noted. */
function checkHeaders(header: JsonRecord, at: string, note: Note): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    const values = strings(raw);
    if (values.length === 0) continue;
    if (name.toLowerCase() === "host") {
      note(
        `${at}.Host`,
        "dropped",
        `Edge LB probes send the Host each origin gets (its Host header override, else its address): ${show(values[0])} is not sent`,
      );
      continue;
    }
    const value = values.join(", ");
    if (accepts({ headers: { [name]: value } })) headers[name] = value;
    else note(`${at}.${name}`, "dropped", "Edge LB does not allow this header in a check");
  }
  return headers;
}

/** Seconds from a monitor field: Cloudflare's default when absent or not positive, at most `max`. */
function timing(value: unknown, fallback: number, max: number, at: string, note: Note): number {
  const given = num(value);
  if (given === undefined) return fallback;
  if (given < 1) {
    note(at, "assumed", `${show(value)} is not a duration; used Cloudflare's default, ${fallback} s`);
    return fallback;
  }
  const seconds = Math.round(given);
  if (seconds <= max) return seconds;
  note(at, "changed", `Edge LB allows at most ${max} s; used ${max}`);
  return max;
}

/** Cloudflare's consecutive_up/down: 0 (the default) or absent means one result decides. */
function threshold(value: unknown): number {
  const given = num(value);
  return given === undefined || given < 1 ? 1 : Math.min(Math.round(given), 100);
}

function positive(value: unknown): number | null {
  const given = num(value);
  return given !== undefined && Number.isInteger(given) && given > 0 && given < 65536 ? given : null;
}

/** Whether Edge LB's own schema accepts these check fields (so its rules are never restated here). */
function accepts(fields: HealthCheckInput): boolean {
  return HealthCheckSchema.safeParse(fields).success;
}
