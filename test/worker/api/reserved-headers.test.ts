/**
 * Headers the proxy owns cannot be configured: every `headers` map refuses them with 400 naming the
 * field, through every write path, and nothing is stored.
 */
import { describe, expect, it } from "vitest";
import { API, call, json, poolInput } from "./support.ts";

const RESERVED = [
  "x-edge-lb-hops",
  "X-Forwarded-For",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-anything",
  "x-request-id",
  "Host",
  "content-length",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "proxy-authorization",
  "Proxy-Authenticate",
];

/** A field path as the API writes it: `.name` for identifiers, `["x-name"]` otherwise. */
const field = (prefix: string, name: string) =>
  /^[A-Za-z_$][\w$]*$/.test(name) ? `${prefix}.${name}` : `${prefix}["${name}"]`;

type Problem = { status: number; errors?: { path: string; message: string }[] };

describe("reserved headers", () => {
  it("refuses each in origins[].headers and healthCheck.headers, naming the field", async () => {
    for (const name of RESERVED) {
      const id = `rh-${name.toLowerCase().replace(/[^a-z0-9]/g, "")}`;
      const inOrigin = poolInput(id);
      (inOrigin.origins as Record<string, unknown>[])[1]!.headers = { [name]: "0" };
      const response = await call("POST", `${API}/pools`, { body: inOrigin });
      expect(response.status, name).toBe(400);
      const problem = await json<Problem>(response);
      expect(
        problem.errors?.map((e) => e.path),
        name,
      ).toEqual([field("origins[1].headers", name)]);
      expect(problem.errors?.[0]?.message, name).toContain("reserved");

      const inCheck = await call("POST", `${API}/pools`, {
        body: poolInput(id, { healthCheck: { headers: { [name]: "x" } } }),
      });
      expect(inCheck.status, name).toBe(400);
      expect(
        (await json<Problem>(inCheck)).errors?.map((e) => e.path),
        name,
      ).toEqual([field("healthCheck.headers", name)]);
      expect((await call("GET", `${API}/pools/${id}`)).status, name).toBe(404);
    }
  });

  it("refuses them in a PATCH and in PUT /config, leaving the stored configuration as it was", async () => {
    const created = await call("POST", `${API}/pools`, { body: poolInput("rh-kept") });
    expect(created.status).toBe(201);
    const patch = await call("PATCH", `${API}/pools/rh-kept`, {
      body: { healthCheck: { headers: { "X-Edge-LB-Hops": "0" } } },
      contentType: "application/merge-patch+json",
    });
    expect(patch.status).toBe(400);
    expect((await json<Problem>(patch)).errors?.[0]?.path).toBe(
      field("healthCheck.headers", "X-Edge-LB-Hops"),
    );

    const before = await json<{ version: number }>(await call("GET", `${API}/config`));
    const document = {
      pools: [
        {
          ...poolInput("rh-doc"),
          origins: [{ name: "a", address: "http://127.0.0.1:9", headers: { "x-request-id": "fixed" } }],
        },
      ],
      loadBalancers: [],
    };
    const put = await call("PUT", `${API}/config`, { body: document });
    expect(put.status).toBe(400);
    expect((await json<Problem>(put)).errors?.[0]?.path).toBe(
      field("pools[0].origins[0].headers", "x-request-id"),
    );
    const after = await json<{ version: number }>(await call("GET", `${API}/config`));
    expect(after.version).toBe(before.version);
  });

  it("still accepts ordinary headers", async () => {
    const response = await call("POST", `${API}/pools`, {
      body: poolInput("rh-ok", { healthCheck: { headers: { authorization: "Bearer probe" } } }),
    });
    expect(response.status).toBe(201);
  });
});
