import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BACKOFF_BASE_MS } from "../../../worker/edge/cadence.ts";
import type { Env } from "../../../worker/env.ts";
import { call, createPool, json } from "./support.ts";

type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, unknown>; security?: unknown[] }>>;
  components: { schemas: Record<string, Record<string, unknown>>; securitySchemes: Record<string, unknown> };
};

let storeCalls = 0;
const unreachableStore = {
  ...env,
  CONFIG_STORE: {
    getByName: () => {
      storeCalls++;
      throw new Error("ConfigStore unreachable");
    },
  },
} as unknown as Env;

describe("GET /__lb/healthz", () => {
  // Runs first in this file, while the isolate has no configuration cached yet.
  it("answers 503 problem while the configuration cannot be read", async () => {
    const response = await call("GET", "/__lb/healthz", { token: null, env: unreachableStore });
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    // After a failed load a cold isolate backs off: the next request answers 503 without a call.
    const again = await call("GET", "/__lb/healthz", { token: null, env: unreachableStore });
    expect(again.status).toBe(503);
    expect(storeCalls).toBe(1);
  });

  it("answers 200 with the configuration version, without auth", async () => {
    // The backoff after the one failed load above: at most twice the base.
    await new Promise((resolve) => setTimeout(resolve, 2 * BACKOFF_BASE_MS + 50));
    const response = await call("GET", "/__lb/healthz", { token: null });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.status).toBe("ok");
    expect(typeof body.configVersion).toBe("number");
  });

  it("reports a configuration version written through the API at once", async () => {
    await createPool("healthz-pool");
    const config = await json(await call("GET", "/__lb/api/v1/config"));
    const body = await json(await call("GET", "/__lb/healthz", { token: null }));
    expect(body.configVersion).toBe(config.version);
  });

  it("is reached through the Worker's entry", async () => {
    const response = await SELF.fetch("http://lb.example.com/__lb/healthz");
    expect(response.status).toBe(200);
    expect((await json(response)).status).toBe("ok");
  });
});

describe("GET /__lb/openapi.json", () => {
  it("is OpenAPI 3.1 with every path of the API and the endpoints around it", async () => {
    const response = await call("GET", "/__lb/openapi.json", { token: null });
    expect(response.status).toBe(200);
    const doc = await json<OpenApi>(response);
    expect(doc.openapi).toBe("3.1.0");
    const expected: [string, string[]][] = [
      ["/__lb/api/v1/pools", ["get", "post"]],
      ["/__lb/api/v1/pools/{id}", ["get", "put", "patch", "delete"]],
      ["/__lb/api/v1/pools/{id}/health", ["get"]],
      ["/__lb/api/v1/pools/{id}/origins/{name}/drain", ["post"]],
      ["/__lb/api/v1/pools/{id}/origins/{name}/undrain", ["post"]],
      ["/__lb/api/v1/load_balancers", ["get", "post"]],
      ["/__lb/api/v1/load_balancers/{id}", ["get", "put", "patch", "delete"]],
      ["/__lb/api/v1/config", ["get", "put"]],
      ["/__lb/api/v1/events", ["get"]],
      ["/__lb/api/v1/audit", ["get"]],
      ["/__lb/api/v1/status", ["get"]],
      ["/__lb/api/v1/explain", ["get"]],
      ["/__lb/metrics", ["get"]],
      ["/__lb/healthz", ["get"]],
      ["/__lb/openapi.json", ["get"]],
      ["/__lb/docs", ["get"]],
    ];
    for (const [path, methods] of expected) {
      for (const method of methods) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    }
    expect(doc.paths["/__lb/healthz"]?.get?.security).toEqual([]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("describes the request bodies from the validating schemas, defaults included", async () => {
    const doc = await json<OpenApi>(await call("GET", "/__lb/openapi.json", { token: null }));
    const pool = doc.components.schemas.Pool as {
      required: string[];
      properties: Record<string, Record<string, unknown>>;
    };
    expect(pool.required.sort()).toEqual(["id", "origins"]);
    expect(pool.properties.algorithm).toMatchObject({ default: "round_robin" });
    expect(pool.properties.algorithm?.enum).toContain("least_request");
    const lb = doc.components.schemas.LoadBalancer as { properties: Record<string, Record<string, unknown>> };
    expect(lb.properties.steering).toMatchObject({ default: "failover" });
    expect(doc.components.schemas.Problem).toBeDefined();
  });

  it("describes every field of a pool and a load balancer", async () => {
    const doc = await json<OpenApi>(await call("GET", "/__lb/openapi.json", { token: null }));
    const undescribed: string[] = [];
    const visit = (schema: Record<string, unknown>, path: string): void => {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      for (const [key, child] of Object.entries(properties)) {
        if (typeof child.description !== "string" || child.description === "")
          undescribed.push(`${path}.${key}`);
        visit(child, `${path}.${key}`);
      }
      if (schema.items && typeof schema.items === "object")
        visit(schema.items as Record<string, unknown>, `${path}[]`);
      for (const member of (schema.anyOf ?? []) as Record<string, unknown>[]) visit(member, path);
    };
    visit(doc.components.schemas.Pool ?? {}, "Pool");
    visit(doc.components.schemas.LoadBalancer ?? {}, "LoadBalancer");
    expect(undescribed).toEqual([]);
    expect(doc.components.schemas.Pool?.properties).toMatchObject({
      minimumOrigins: { description: expect.stringContaining("healthy") },
    });
  });

  it("serves an OpenAPI 3.1 document whose templated paths declare their parameters", async () => {
    const response = await call("GET", "/__lb/openapi.json", { token: null });
    expect(response.status).toBe(200);
    const doc = await json<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<
        string,
        Record<string, { parameters?: { name: string; in: string }[]; responses: object }>
      >;
    }>(response);
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info.title && doc.info.version).toBeTruthy();
    const operationIds = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      for (const [method, operation] of Object.entries(item)) {
        if (method === "parameters") continue;
        expect(Object.keys(operation.responses).length, `${method} ${path}`).toBeGreaterThan(0);
        const declared = [...(operation.parameters ?? []), ...((item.parameters as unknown as []) ?? [])]
          .filter((param: { in: string }) => param.in === "path")
          .map((param: { name: string }) => param.name);
        for (const name of names) expect(declared, `${method} ${path}`).toContain(name);
        const id = (operation as { operationId?: string }).operationId;
        if (id) {
          expect(operationIds.has(id), id).toBe(false);
          operationIds.add(id);
        }
      }
    }
  });

  it("has no dangling references", async () => {
    const text = await (await call("GET", "/__lb/openapi.json", { token: null })).text();
    const doc = JSON.parse(text) as OpenApi & { components: { responses: Record<string, unknown> } };
    const refs = [...text.matchAll(/"\$ref":"#\/components\/(schemas|responses)\/([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(10);
    for (const [, section, name] of refs) {
      const table = section === "schemas" ? doc.components.schemas : doc.components.responses;
      expect(table[name ?? ""], `${section}/${name}`).toBeDefined();
    }
  });
});

describe("GET /__lb and /__lb/", () => {
  it("serve the dashboard page with and without the trailing slash, and nothing else under /__lb does", async () => {
    for (const path of ["/__lb", "/__lb/"]) {
      const response = await call("GET", path, { token: null });
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toMatch(/^text\/html/);
    }
    const unknown = await call("GET", "/__lb/nothing-here", { token: null });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("GET /__lb/docs", () => {
  it("is a self-contained page that shows paths, methods, parameters and schemas", async () => {
    const response = await call("GET", "/__lb/docs", { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/^<!doctype html>/i);
    for (const text of [
      "/__lb/api/v1/pools/{id}",
      "/__lb/api/v1/config",
      "PATCH",
      "If-Match",
      "dryRun",
      "maxConnections",
      "round_robin",
    ]) {
      expect(html, text).toContain(text);
    }
    expect(html).not.toMatch(/<script|<link|src=/i);
  });
});
