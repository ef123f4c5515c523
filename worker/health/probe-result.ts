/**
 * Judging one probe: expected status codes, expected body text, timeouts, connection errors and
 * redirects. Pure: the DO performs the request and hands the outcome here.
 */

/** What one probe request produced. */
export type ProbeOutcome =
  | { kind: "response"; status: number; location: string | null; body: string | null }
  | { kind: "timeout" }
  | { kind: "error"; message: string };

export interface ProbeVerdict {
  ok: boolean;
  /** Why the probe failed, for `lastError`; null on success. */
  error: string | null;
}

export interface ProbeExpectations {
  method: "GET" | "HEAD";
  expectedCodes: string;
  expectedBody: string | null;
  timeoutMs: number;
  followRedirects: boolean;
}

/**
 * A matcher for an expected-codes list: exact codes, classes and ranges, comma separated.
 * Items that do not parse match nothing (the schema rejects them before they get here).
 * @example parseExpectedCodes("200-299,301")(301) === true
 */
export function parseExpectedCodes(spec: string): (status: number) => boolean {
  const ranges: [number, number][] = [];
  for (const raw of spec.split(",")) {
    const item = raw.trim().toLowerCase();
    const cls = /^([1-5])xx$/.exec(item);
    if (cls) {
      const base = Number(cls[1]) * 100;
      ranges.push([base, base + 99]);
      continue;
    }
    const range = /^(\d{3})(?:-(\d{3}))?$/.exec(item);
    if (range) ranges.push([Number(range[1]), Number(range[2] ?? range[1])]);
  }
  return (status) => ranges.some(([low, high]) => status >= low && status <= high);
}

/**
 * Success or the reason for failure of one probe.
 * @example evaluateProbe({ kind: "timeout" }, expectations).error === "timeout after 5000 ms"
 */
export function evaluateProbe(
  outcome: ProbeOutcome,
  expect: ProbeExpectations,
  matches: (status: number) => boolean = parseExpectedCodes(expect.expectedCodes),
): ProbeVerdict {
  if (outcome.kind === "timeout") return fail(`timeout after ${expect.timeoutMs} ms`);
  if (outcome.kind === "error") return fail(`connection failed: ${outcome.message}`);
  const { status } = outcome;
  if (!matches(status)) {
    const redirect = status >= 300 && status < 400 && !expect.followRedirects;
    const hint = redirect
      ? `; redirect to ${outcome.location ?? "(no location)"} not followed (followRedirects is off)`
      : "";
    return fail(`unexpected status ${status} (expected ${expect.expectedCodes})${hint}`);
  }
  if (expect.expectedBody !== null) {
    if (expect.method === "HEAD") return fail("expectedBody needs method GET: a HEAD response has no body");
    if (outcome.body === null || !outcome.body.includes(expect.expectedBody)) {
      return fail("response body does not contain the expected text");
    }
  }
  return { ok: true, error: null };
}

function fail(error: string): ProbeVerdict {
  return { ok: false, error };
}
