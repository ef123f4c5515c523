/**
 * Versions, ETags and If-Match: every resource counts its own changes, every GET sends the version
 * as its ETag, and a write whose If-Match names another version answers 412 and changes nothing.
 * (PUT /config against the global version: config.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { API, call, create, createPool, expectProblem, json, lbInput, poolInput } from "./support.ts";

type Pool = Record<string, unknown> & { version: number };

async function getPool(id: string): Promise<Pool> {
  const response = await call("GET", `${API}/pools/${id}`);
  expect(response.status).toBe(200);
  return json<Pool>(response);
}

describe("versions, ETags and If-Match", () => {
  it("sends ETag on every GET of a resource, the list and the config", async () => {
    const created = await create("pools", poolInput("etag-pool"));
    const lb = await create("load_balancers", lbInput("etag-lb", ["etag-pool"]));
    expect(created.version).toBe(1);
    expect(lb.version).toBe(1);
    expect((await call("GET", `${API}/pools/etag-pool`)).headers.get("etag")).toBe(`"${created.version}"`);
    expect((await call("GET", `${API}/load_balancers/etag-lb`)).headers.get("etag")).toBe(`"${lb.version}"`);
    const config = await call("GET", `${API}/config`);
    const { version } = await json<{ version: number }>(config);
    expect(config.headers.get("etag")).toBe(`"${version}"`);
    for (const path of ["/pools", "/load_balancers"]) {
      expect((await call("GET", `${API}${path}`)).headers.get("etag"), path).toBe(`"${version}"`);
    }
  });

  it("counts each resource's own changes from 1, and never hands out a version twice", async () => {
    const created = await create("pools", poolInput("counted"));
    expect(created.version).toBe(1);
    await create("pools", poolInput("counted-other"));
    const patch = (description: string) => call("PATCH", `${API}/pools/counted`, { body: { description } });
    expect((await json<{ version: number }>(await patch("one"))).version).toBe(2);
    expect((await json<{ version: number }>(await patch("one"))).version).toBe(2);
    const put = await call("PUT", `${API}/pools/counted`, { body: poolInput("counted") });
    expect(put.headers.get("etag")).toBe('"3"');
    expect((await call("DELETE", `${API}/pools/counted`)).status).toBe(204);
    const again = await create("pools", poolInput("counted"));
    expect(again.version).toBe(4);
    const stale = await call("PATCH", `${API}/pools/counted`, {
      body: { enabled: false },
      headers: { "if-match": '"1"' },
    });
    await expectProblem(stale, 412);
  });

  it("answers 412 to a stale If-Match on every write of a load balancer and changes nothing", async () => {
    await create("pools", poolInput("im-pool"));
    const first = await create("load_balancers", lbInput("im-lb", ["im-pool"]));
    const moved = await json<{ version: number }>(
      await call("PATCH", `${API}/load_balancers/im-lb`, { body: { debugHeaders: true } }),
    );
    expect(moved.version).toBeGreaterThan(first.version);
    const stale = { "if-match": `"${first.version}"` };
    for (const [method, payload] of [
      ["PUT", lbInput("im-lb", ["im-pool"])],
      ["PATCH", { enabled: false }],
      ["DELETE", undefined],
    ] as const) {
      const response = await call(method, `${API}/load_balancers/im-lb`, { body: payload, headers: stale });
      await expectProblem(response, 412, method);
    }
    const now = await json(await call("GET", `${API}/load_balancers/im-lb`));
    expect(now).toMatchObject({ version: moved.version, enabled: true, debugHeaders: true });
    const ok = await call("DELETE", `${API}/load_balancers/im-lb`, {
      headers: { "if-match": `"${moved.version}"` },
    });
    expect(ok.status).toBe(204);
  });
});

describe("If-Match on a pool", () => {
  it("applies a write whose If-Match names the current version, strong, weak or *", async () => {
    const created = await createPool("if-match");
    let version = created.version as number;
    for (const header of [`"${version}"`, null, "*"]) {
      const ifMatch = header ?? `W/"${version}"`;
      const response = await call("PATCH", `${API}/pools/if-match`, {
        body: { description: `d${version}` },
        headers: { "if-match": ifMatch },
      });
      expect(response.status, ifMatch).toBe(200);
      version = (await json<Pool>(response)).version;
    }
    const listed = await call("PATCH", `${API}/pools/if-match`, {
      body: { description: "listed" },
      headers: { "if-match": `"1", "${version}"` },
    });
    expect(listed.status).toBe(200);
  });

  it("answers 412 to a stale If-Match on PUT, PATCH and DELETE and changes nothing", async () => {
    const created = await createPool("stale");
    await call("PATCH", `${API}/pools/stale`, { body: { description: "moved on" } });
    const current = await getPool("stale");
    const stale = { "if-match": `"${created.version}"` };
    const attempts = [
      await call("PUT", `${API}/pools/stale`, { body: poolInput("stale"), headers: stale }),
      await call("PATCH", `${API}/pools/stale`, { body: { description: "lost" }, headers: stale }),
      await call("DELETE", `${API}/pools/stale`, { headers: stale }),
      await call("DELETE", `${API}/pools/stale`, { headers: { "if-match": '"garbage"' } }),
    ];
    for (const response of attempts) {
      expect(response.status).toBe(412);
      expect(response.headers.get("etag")).toBe(`"${current.version}"`);
    }
    expect(await getPool("stale")).toEqual(current);
  });
});
