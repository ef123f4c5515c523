import { describe, expect, it } from "vitest";
import { installConfig, ORIGIN, problemOf, send } from "../../proxy/support.ts";
import { API, call, json, READ_TOKEN } from "../support.ts";
import { explain, explainPath } from "./support.ts";

function install(): void {
  installConfig(
    [{ id: "ex-web", origins: [{ name: "a", address: ORIGIN }] }],
    [
      { id: "ex-www", hostname: "www.explain.test", pools: ["ex-web"] },
      { id: "ex-api", hostname: "api.explain.test", pathPrefix: "/v1", pools: ["ex-web"] },
      { id: "ex-off", hostname: "off.explain.test", pools: ["ex-web"], enabled: false },
    ],
  );
}

describe("GET /explain: access", () => {
  it("needs a token, and the read token is enough", async () => {
    install();
    const path = explainPath("http://www.explain.test/");
    const anonymous = await call("GET", path, { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect((await call("GET", path, { token: "wrong" })).status).toBe(401);
    const read = await call("GET", path, { token: READ_TOKEN });
    expect(read.status).toBe(200);
    expect(read.headers.get("cache-control")).toBe("no-store");
    expect((await json(read)).loadBalancer).toMatchObject({ id: "ex-www" });
    expect((await call("GET", path)).status).toBe(200);
  });

  it("answers only GET and POST", async () => {
    const response = await call("PUT", explainPath("http://www.explain.test/"), { body: {} });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toContain("GET");
    expect(response.headers.get("allow")).toContain("POST");
  });
});

describe("GET /explain: bad descriptions", () => {
  async function errorsOf(query: string): Promise<Array<{ path: string; message: string }>> {
    const response = await call("GET", `${API}/explain${query}`, { token: READ_TOKEN });
    expect(response.status).toBe(400);
    const problem = (await problemOf(response)) as unknown as {
      errors: Array<{ path: string; message: string }>;
    };
    return problem.errors;
  }

  it("needs an absolute http or https url", async () => {
    expect((await errorsOf("")).map((e) => e.path)).toEqual(["url"]);
    expect((await errorsOf("?url=")).map((e) => e.path)).toEqual(["url"]);
    expect((await errorsOf("?url=/relative/path")).map((e) => e.path)).toEqual(["url"]);
    expect((await errorsOf(`?url=${encodeURIComponent("ftp://www.explain.test/")}`))[0]?.message).toMatch(
      /http/,
    );
    expect((await errorsOf("?url=http://a.test/&url=http://b.test/")).map((e) => e.path)).toEqual(["url"]);
  });

  it("refuses a method the edge never receives, rather than failing", async () => {
    install();
    for (const method of ["FOO", "CONNECT", "TRACK", "get"]) {
      const url = `http://www.explain.test/`;
      expect(
        (await errorsOf(`?url=${url}&method=${method}`)).map((e) => e.path),
        method,
      ).toEqual(["method"]);
      const batch = await call("POST", `${API}/explain`, {
        body: { requests: [{ url, method }] },
        token: READ_TOKEN,
      });
      expect(batch.status, method).toBe(400);
      const problem = await json<{ errors: { path: string }[] }>(batch);
      expect(problem.errors.map((error) => error.path)).toEqual(["requests[0].method"]);
    }
    for (const method of ["PATCH", "OPTIONS", "DELETE"]) {
      expect((await explain("http://www.explain.test/", { method })).outcome, method).toBe("proxied");
    }
  });

  it("names every bad parameter at once", async () => {
    const query = new URLSearchParams({
      url: "http://www.explain.test/",
      ip: "not-an-address",
      "header.bad name": "x",
      "header.host": "other.test",
      country: "Germany",
      colour: "blue",
    });
    const paths = (await errorsOf(`?${query}`)).map((e) => e.path).sort();
    expect(paths).toEqual(["colour", "country", "header.bad name", "header.host", "ip"]);
  });

  it("accepts IPv4 and IPv6 client addresses", async () => {
    install();
    for (const ip of ["203.0.113.7", "2001:db8::1"]) {
      const explained = await explain("http://www.explain.test/", { ip });
      expect(explained.loadBalancer?.id).toBe("ex-www");
    }
  });
});

describe("GET /explain: requests the proxy answers itself", () => {
  it("says no load balancer serves an unknown host, as the proxy's 404 does", async () => {
    install();
    const explained = await explain("http://nobody.explain.test/x");
    expect(explained.outcome).toBe("no_load_balancer");
    expect(explained.loadBalancer).toBeNull();
    expect(explained.reason).toMatch(/nobody\.explain\.test/);
    expect(explained.wouldRespond?.status).toBe(404);
    const real = await send("http://nobody.explain.test/x");
    expect(real.status).toBe(404);
    expect(explained.wouldRespond?.problem.type).toBe((await problemOf(real)).type);
  });

  it("tells a path outside every prefix and a disabled load balancer apart", async () => {
    install();
    const outside = await explain("http://api.explain.test/v2/users");
    expect(outside.loadBalancer).toBeNull();
    expect(outside.reason).toMatch(/"\/v1"/);
    expect((await send("http://api.explain.test/v2/users")).status).toBe(404);
    const inside = await explain("http://api.explain.test/v1/users");
    expect(inside.loadBalancer).toMatchObject({ id: "ex-api", pathPrefix: "/v1" });

    const disabled = await explain("http://off.explain.test/");
    expect(disabled.loadBalancer).toBeNull();
    expect(disabled.reason).toMatch(/"ex-off".*disabled/);
  });

  it("says a request that looped 5 times gets 508", async () => {
    install();
    const explained = await explain("http://www.explain.test/", { headers: { "x-edge-lb-hops": "5" } });
    expect(explained.outcome).toBe("loop");
    expect(explained.wouldRespond?.status).toBe(508);
    expect((await send("http://www.explain.test/", { headers: { "x-edge-lb-hops": "5" } })).status).toBe(508);
  });

  it("says /__lb paths go to the management side", async () => {
    install();
    const explained = await explain("http://www.explain.test/__lb/api/v1/pools");
    expect(explained.outcome).toBe("management");
    expect(explained.loadBalancer).toBeNull();
  });
});

describe("GET /explain in the OpenAPI document", () => {
  it("lists its parameters and the shape of its answer", async () => {
    const response = await call("GET", "/__lb/openapi.json", { token: null });
    const document = await json<{
      paths: Record<
        string,
        { get: { parameters: Array<{ name: string }>; responses: Record<string, unknown> } }
      >;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }>(response);
    const operation = document.paths["/__lb/api/v1/explain"]?.get;
    expect(operation?.parameters.map((p) => p.name)).toEqual(["url", "method", "ip", "country", "continent"]);
    expect(Object.keys(operation?.responses ?? {})).toContain("400");
    const schema = document.components.schemas.Explain;
    expect(Object.keys(schema?.properties ?? {})).toEqual(
      expect.arrayContaining([
        "request",
        "loadBalancer",
        "pools",
        "pool",
        "affinity",
        "origins",
        "origin",
        "wouldRespond",
        "rules",
        "rule",
        "split",
        "mirror",
      ]),
    );
  });
});
