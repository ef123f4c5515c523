import { describe, expect, it } from "vitest";
import { API, call, create, createPool, expectProblem, poolInput, READ_TOKEN } from "./support.ts";

const MIB = 1024 * 1024;

/** A pool body padded with a long description, `size` bytes in all. */
function paddedBody(size: number): string {
  const base = JSON.stringify(poolInput("padded", { description: "" }));
  return base.replace('"description":""', `"description":"${"x".repeat(size - base.length)}"`);
}

describe("paths and methods", () => {
  it("answers 404 problem for unknown paths under /__lb", async () => {
    await expectProblem(await call("GET", "/__lb/nothing-here", { token: null }), 404);
    await expectProblem(await call("GET", `${API}/pools/a/b/c`), 404);
    await expectProblem(await call("GET", "/__lb/api/v2/pools"), 404);
  });

  it("answers 405 with Allow for a wrong method on a known path", async () => {
    const cases: [string, string, string][] = [
      ["DELETE", `${API}/pools`, "GET, HEAD, POST"],
      ["POST", `${API}/pools/x`, "DELETE, GET, HEAD, PATCH, PUT"],
      ["DELETE", `${API}/config`, "GET, HEAD, PUT"],
      ["POST", `${API}/audit`, "GET, HEAD"],
      ["POST", "/__lb/healthz", "GET, HEAD"],
    ];
    for (const [method, path, allow] of cases) {
      const response = await call(method, path, { body: {} });
      await expectProblem(response, 405);
      expect(response.headers.get("allow"), `${method} ${path}`).toBe(allow);
    }
  });

  it("answers the read token's wrong method with 405, not 403", async () => {
    const response = await call("DELETE", `${API}/audit`, { token: "test-read-token" });
    await expectProblem(response, 405);
  });

  it("answers OPTIONS with the allowed methods", async () => {
    const response = await call("OPTIONS", `${API}/pools`);
    expect(response.status).toBe(204);
    expect(response.headers.get("allow")).toBe("GET, HEAD, POST");
  });

  it("answers HEAD like GET without a body", async () => {
    await createPool("headed");
    const response = await call("HEAD", `${API}/pools/headed`);
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toMatch(/^"\d+"$/);
    expect(await response.text()).toBe("");
  });

  it("treats odd ids in the path as unknown ids, never as errors", async () => {
    for (const id of ["%C3%A9", "a%2Fb", "%2F", "%E0%A4%A", "..", "UPPER", "x".repeat(300), "%00"]) {
      const response = await call("GET", `${API}/pools/${id}`);
      await expectProblem(response, 404);
      const del = await call("DELETE", `${API}/pools/${id}`);
      await expectProblem(del, 404);
    }
  });

  it("answers malformed query strings with 400, never 500", async () => {
    for (const query of ["limit=%ZZ", "limit=%", "limit=2x&limit=1", "limit=%F0%9F%98%80"]) {
      const response = await call("GET", `${API}/audit?${query}`);
      expect(response.status, query).toBe(400);
    }
    const dryRun = await call("PUT", `${API}/config?dryRun=%E0%A4%A`, { body: {} });
    expect(dryRun.status).toBe(400);
  });

  it("sends no-store on API responses", async () => {
    expect((await call("GET", `${API}/pools`)).headers.get("cache-control")).toBe("no-store");
  });
});

describe("request bodies", () => {
  it("answers 415 to POST, PUT and PATCH without a JSON content type, and stores nothing", async () => {
    await create("pools", poolInput("ct-pool"));
    for (const [method, path] of [
      ["POST", "/pools"],
      ["PUT", "/pools/ct-pool"],
      ["PATCH", "/pools/ct-pool"],
      ["POST", "/load_balancers"],
      ["PUT", "/config"],
    ] as const) {
      for (const contentType of [
        null,
        "text/plain",
        "text/yaml",
        "application/xml",
        "application/jsonx",
        "application/x-www-form-urlencoded",
      ]) {
        const response = await call(method, `${API}${path}`, {
          raw: JSON.stringify(poolInput("typed")),
          contentType,
        });
        await expectProblem(response, 415, `${method} ${path} ${contentType}`);
      }
    }
    const patch = await call("PATCH", `${API}/pools/ct-pool`, { raw: "{}", contentType: "text/plain" });
    await expectProblem(patch, 415);
    expect(patch.headers.get("accept-patch")).toContain("application/merge-patch+json");
    expect((await call("GET", `${API}/pools/typed`)).status).toBe(404);
  });

  it("accepts a JSON content type with parameters", async () => {
    const response = await call("POST", `${API}/pools`, {
      raw: JSON.stringify(poolInput("charset")),
      contentType: "Application/JSON; charset=utf-8",
    });
    expect(response.status).toBe(201);
  });

  it("answers 413 to a body over 1 MiB, for a resource and for the configuration, and stores nothing", async () => {
    const big = paddedBody(MIB + 10);
    await expectProblem(await call("POST", `${API}/pools`, { raw: big }), 413, "resource");
    await expectProblem(await call("PUT", `${API}/config`, { raw: big }), 413, "config");
    expect((await call("GET", `${API}/pools/padded`)).status).toBe(404);
  });

  it("answers 413 when Content-Length announces more than 1 MiB", async () => {
    const response = await call("POST", `${API}/pools`, {
      raw: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(paddedBody(MIB + 100)));
          controller.close();
        },
      }),
      headers: { "content-length": String(MIB + 100) },
    });
    await expectProblem(response, 413);
  });

  it("answers 413 to a streamed body over 1 MiB that announces no length", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"id":"streamed","description":"'));
        if (sent > 2 * MIB) controller.close();
        else {
          controller.enqueue(chunk);
          sent += chunk.byteLength;
        }
      },
    });
    const response = await call("POST", `${API}/pools`, { raw: stream });
    await expectProblem(response, 413);
  });

  it("accepts a body just under the limit", async () => {
    const response = await call("POST", `${API}/pools`, { raw: paddedBody(1000) });
    expect(response.status).toBe(201);
  });

  it("answers 400 with a clear detail to a body that is not a JSON object", async () => {
    const cases: [string, RegExp][] = [
      ["", /empty/],
      ["   ", /empty/],
      ["{", /not valid JSON/],
      ["{'id': 'x'}", /not valid JSON/],
      ["[]", /JSON object, not an array/],
      ["null", /JSON object, not null/],
      ['"pool"', /JSON object, not a string/],
      ["42", /JSON object, not a number/],
      [`${"[".repeat(100)}${"]".repeat(100)}`, /deeper than/],
      [`{"a":${'{"a":'.repeat(200)}1${"}".repeat(200)}}`, /deeper than/],
    ];
    for (const [raw, detail] of cases) {
      const body = await expectProblem(await call("POST", `${API}/pools`, { raw }), 400);
      expect(body.detail, raw.slice(0, 20)).toMatch(detail);
    }
  });

  it("never quotes the body back in a JSON syntax error: an unquoted value is often a secret", async () => {
    const secret = "s3cr3t-unquoted-XYZ";
    const bodies = [
      `{"id":"x","origins":[{"name":"a","headers":{"authorization": Bearer ${secret}}}]}`,
      `{"id":"x","origins":[{"name":"a","headers":{"authorization":${secret}}}]}`,
      `{"id":"x","secret":"${secret}",}`,
      `{"id":"x","secret":"${secret}"}${secret}`,
    ];
    for (const [path, token] of [
      ["/pools", undefined],
      ["/notifications", undefined],
      ["/explain", READ_TOKEN],
    ] as const) {
      for (const raw of bodies) {
        const response = await call("POST", `${API}${path}`, { raw, token });
        const text = await response.text();
        expect(response.status, text).toBe(400);
        expect(text).toMatch(/not valid JSON/);
        expect(text).not.toContain(secret);
        expect(text).not.toContain("s3cr3t");
      }
    }
  });

  it("answers 400 to a body that is not UTF-8", async () => {
    const response = await call("POST", `${API}/pools`, { raw: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    const body = await expectProblem(response, 400);
    expect(body.detail).toMatch(/UTF-8/);
  });

  it("answers 400 for array and null bodies on every write", async () => {
    await createPool("bodies");
    for (const [method, path] of [
      ["PUT", `${API}/pools/bodies`],
      ["PATCH", `${API}/pools/bodies`],
      ["PUT", `${API}/config`],
      ["POST", `${API}/load_balancers`],
    ] as const) {
      for (const raw of ["[]", "null"]) {
        await expectProblem(await call(method, path, { raw }), 400);
      }
    }
  });

  it("never answers 500 to junk bodies", async () => {
    const junk = [
      "",
      "{",
      "[]",
      "[1,2]",
      "null",
      "true",
      '"s"',
      "1e999",
      "NaN",
      '{"id": NaN}',
      "\u0000",
      `${"[".repeat(100_000)}`,
      `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`,
      '{"id":"\\ud800"}',
      '{"id":"x","id":"y"}',
      '{"constructor":{"prototype":{"x":1}}}',
    ];
    for (const raw of junk) {
      for (const [method, path] of [
        ["POST", "/pools"],
        ["POST", "/load_balancers"],
        ["PUT", "/config"],
      ] as const) {
        const response = await call(method, `${API}${path}`, { raw });
        await expectProblem(response, 400, `${method} ${path} ${raw.slice(0, 20)}`);
      }
    }
  });
});
