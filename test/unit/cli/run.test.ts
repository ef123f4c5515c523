/**
 * The CLI's flows against a small in-memory stand-in for the management API: exit codes, what is
 * printed, and which requests reach the server (a dry run never writes; apply sends If-Match).
 */
import { describe, expect, it } from "vitest";
import { type CliContext, runCli } from "../../../scripts/cli/main.ts";

interface Sent {
  method: string;
  path: string;
  ifMatch: string | null;
  authorization: string | null;
}

const POOL = { id: "web", origins: [{ name: "a", address: "http://a.example.com", weight: 1 }] };

/** A fake API holding one configuration; `onRead` runs after each GET /config (to race a change in). */
function fakeApi(options: { onRead?: (state: { version: number }) => void } = {}) {
  const state = { version: 4, pools: [{ ...POOL, version: 1 }] as Array<Record<string, unknown>> };
  const sent: Sent[] = [];
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), {
      status,
      headers: {
        "content-type": status >= 400 ? "application/problem+json" : "application/json",
        ...headers,
      },
    });
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers = new Headers(init?.headers);
    const method = init?.method ?? "GET";
    const path = url.pathname.replace("/__lb/api/v1", "");
    sent.push({
      method,
      path: path + url.search,
      ifMatch: headers.get("if-match"),
      authorization: headers.get("authorization"),
    });
    if (path === "/config" && method === "GET") {
      const body = { version: state.version, pools: state.pools, loadBalancers: [] };
      options.onRead?.(state);
      return json(200, body, { etag: `"${body.version}"` });
    }
    if (path === "/config" && method === "PUT") {
      if (headers.get("if-match") !== `"${state.version}"`) {
        return json(412, {
          title: "Precondition Failed",
          status: 412,
          detail: `The configuration is at version ${state.version}`,
        });
      }
      const doc = JSON.parse(String(init?.body)) as {
        pools: Array<{ id: string; origins: Array<{ weight?: number }> }>;
      };
      const weight = doc.pools[0]?.origins[0]?.weight ?? 1;
      if (weight > 1000) {
        return json(400, {
          title: "Bad Request",
          status: 400,
          detail: "The configuration is invalid",
          errors: [{ path: "pools[0].origins[0].weight", message: "must be at most 1000" }],
        });
      }
      const stored = state.pools[0]?.origins as Array<{ weight: number }> | undefined;
      const changed = weight !== stored?.[0]?.weight;
      const changes = {
        pools: { created: [], updated: changed ? ["web"] : [], deleted: [] },
        loadBalancers: { created: [], updated: [], deleted: [] },
      };
      const dryRun = url.searchParams.get("dryRun") === "true";
      if (!dryRun && changed) {
        state.version += 1;
        state.pools = doc.pools.map((p) => ({ ...p, version: 2 }));
      }
      return json(200, { version: state.version, dryRun, changes });
    }
    if (path === "/pools/web/origins/a/drain" && method === "POST")
      return json(200, { name: "a", weight: 0 });
    return json(404, { title: "Not Found", status: 404, detail: `No such path: ${url.pathname}` });
  }) as typeof fetch;
  return { state, sent, fetchImpl };
}

function context(fetchImpl: typeof fetch, files: Record<string, string> = {}) {
  let out = "";
  let err = "";
  const ctx: CliContext = {
    env: { EDGE_LB_ENDPOINT: "https://lb.example.com", EDGE_LB_TOKEN: "admin" },
    output: {
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      color: false,
    },
    readText: async (name) => {
      const text = files[name];
      if (text === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
      return text;
    },
    now: () => 0,
    fetch: fetchImpl,
  };
  return { ctx, out: () => out, err: () => err };
}

const withWeight = (weight: number) =>
  JSON.stringify({ pools: [{ ...POOL, origins: [{ ...POOL.origins[0], weight }] }], loadBalancers: [] });

describe("edge-lb apply", () => {
  it("shows the plan, then applies with If-Match on the version it read", async () => {
    const api = fakeApi();
    const run = context(api.fetchImpl, { "lb.json": withWeight(5) });
    expect(await runCli(["apply", "lb.json"], run.ctx)).toBe(0);
    expect(run.out()).toContain("~ pool web\n    origins[a].weight: 1 -> 5");
    expect(run.out()).toContain("Applied (configuration version 5).");
    expect(api.sent.map((s) => `${s.method} ${s.path} ${s.ifMatch}`)).toEqual([
      "GET /config null",
      'PUT /config?dryRun=true "4"',
      'PUT /config "4"',
    ]);
    expect(api.sent.every((s) => s.authorization === "Bearer admin")).toBe(true);
  });

  it("--dry-run and an unchanged file never write", async () => {
    const api = fakeApi();
    const dry = context(api.fetchImpl, { "lb.json": withWeight(5) });
    expect(await runCli(["apply", "lb.json", "--dry-run"], dry.ctx)).toBe(0);
    expect(dry.out()).toContain("Dry run: nothing was changed.");
    const same = context(api.fetchImpl, { "lb.json": withWeight(1) });
    expect(await runCli(["apply", "lb.json"], same.ctx)).toBe(0);
    expect(same.out()).toContain("No changes");
    expect(api.sent.filter((s) => s.method === "PUT" && !s.path.includes("dryRun"))).toEqual([]);
    expect(api.state.version).toBe(4);
  });

  it("refuses to overwrite a change made after the configuration was read", async () => {
    const api = fakeApi({
      onRead: (state) => {
        state.version += 1;
      },
    });
    const run = context(api.fetchImpl, { "lb.json": withWeight(5) });
    expect(await runCli(["apply", "lb.json"], run.ctx)).toBe(1);
    expect(run.err()).toMatch(/^Error: 412 Precondition Failed/);
    expect(run.err()).toMatch(/nothing was changed/);
  });

  it("prints the server's validation errors and exits 1", async () => {
    const api = fakeApi();
    const run = context(api.fetchImpl, { "lb.json": withWeight(5000) });
    expect(await runCli(["apply", "lb.json"], run.ctx)).toBe(1);
    expect(run.err()).toBe(
      "Error: 400 Bad Request: The configuration is invalid\n  pools[0].origins[0].weight: must be at most 1000\n",
    );
    expect(api.state.version).toBe(4);
  });

  it("says when the file is missing", async () => {
    const run = context(fakeApi().fetchImpl);
    expect(await runCli(["apply", "nope.yaml"], run.ctx)).toBe(1);
    expect(run.err()).toBe("Error: Cannot read nope.yaml: no such file\n");
  });
});

describe("edge-lb exit codes", () => {
  it("0 for a done drain, 1 for an API refusal, 2 for wrong usage", async () => {
    const api = fakeApi();
    const ok = context(api.fetchImpl);
    expect(await runCli(["drain", "web", "a"], ok.ctx)).toBe(0);
    const refused = context(api.fetchImpl);
    expect(await runCli(["drain", "web", "zzz"], refused.ctx)).toBe(1);
    expect(refused.err()).toMatch(/^Error: 404 Not Found: No such path/);
    const wrong = context(api.fetchImpl);
    expect(await runCli(["drain"], wrong.ctx)).toBe(2);
    expect(wrong.err()).toMatch(/Usage: edge-lb drain <pool> <origin>/);
  });

  it("1 with the address when the API cannot be reached", async () => {
    const unreachable = (async () => {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      });
    }) as typeof fetch;
    const run = context(unreachable);
    expect(await runCli(["status"], run.ctx)).toBe(1);
    expect(run.err()).toBe(
      "Error: Cannot reach https://lb.example.com/__lb/api/v1/status: ECONNREFUSED (connect ECONNREFUSED)\n",
    );
  });
});

describe("edge-lb status with text an origin controls", () => {
  /** An API whose health answer quotes what an origin sent, terminal escapes included. */
  const hostile = (async (input: string | URL | Request) => {
    const path = new URL(String(input)).pathname.replace("/__lb/api/v1", "");
    const body =
      path === "/status"
        ? {
            items: [
              { id: "www", hostname: "www.example.com", pool: "web", reason: "ok\u001b]0;owned\u0007" },
            ],
          }
        : path === "/pools"
          ? { items: [POOL] }
          : {
              pool: "web",
              healthy: false,
              origins: [
                {
                  name: "a",
                  state: "unhealthy",
                  lastError: "unexpected status 302; redirect to /x\u001b[2J\u009b31m\u202eevil not followed",
                },
              ],
            };
    return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
  }) as typeof fetch;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence is the point
  const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

  it("prints no control character of theirs, as text or as JSON", async () => {
    const text = context(hostile);
    expect(await runCli(["status"], text.ctx)).toBe(0);
    expect(text.out()).not.toMatch(CONTROL);
    expect(text.out()).toContain("redirect to /x\\u{1b}[2J\\u{9b}31m\\u{202e}evil not followed");

    const json = context(hostile);
    expect(await runCli(["status", "--json"], json.ctx)).toBe(0);
    expect(json.out()).not.toMatch(CONTROL);
    const parsed = JSON.parse(json.out()) as {
      pools: Array<{ health: { origins: Array<{ lastError: string }> } }>;
    };
    expect(parsed.pools[0]?.health.origins[0]?.lastError).toContain("\u001b[2J\u009b31m\u202eevil");
  });
});
