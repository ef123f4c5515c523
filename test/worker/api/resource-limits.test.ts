/**
 * API.md, "Pools" and "Load balancers": every limit of one resource (origins, weights, addresses,
 * health check bounds, hostnames, pool references), each refused at the field it names.
 */
import { describe, expect, it } from "vitest";
import { origins } from "./resource-defaults.ts";
import { API, call, create, errorPaths, expectProblem, lbInput, poolInput } from "./support.ts";

describe("pool limits", () => {
  it("takes 1 to 1000 origins", async () => {
    expect(
      await errorPaths(await call("POST", `${API}/pools`, { body: poolInput("none", { origins: [] }) })),
    ).toEqual(["origins"]);
    await create("pools", poolInput("thousand", { origins: origins(1000) }));
    const over = await call("POST", `${API}/pools`, {
      body: poolInput("thousand-one", { origins: origins(1001) }),
    });
    expect(await errorPaths(over)).toEqual(["origins"]);
  });

  it("takes weights 0 to 1000", async () => {
    await create("pools", poolInput("w-zero", { origins: origins(1, { weight: 0 }) }));
    await create("pools", poolInput("w-max", { origins: origins(1, { weight: 1000 }) }));
    for (const weight of [-1, 1001, "1", null, true]) {
      const response = await call("POST", `${API}/pools`, {
        body: poolInput("w-bad", { origins: origins(1, { weight }) }),
      });
      expect(await errorPaths(response, String(weight))).toEqual(["origins[0].weight"]);
    }
  });

  it("refuses duplicate origin names and addresses that are not http(s)", async () => {
    const dup = await call("POST", `${API}/pools`, {
      body: poolInput("dup-names", { origins: [...origins(1), ...origins(1)] }),
    });
    expect(await errorPaths(dup)).toEqual(["origins[1].name"]);
    for (const address of ["ftp://x", "x", "//x", "http://u:p@x", "http://x/?q", "http://x/#f", "http://"]) {
      const response = await call("POST", `${API}/pools`, {
        body: poolInput("bad-addr", { origins: [{ name: "a", address }] }),
      });
      expect(await errorPaths(response, address)).toEqual(["origins[0].address"]);
    }
    await create(
      "pools",
      poolInput("good-addr", { origins: [{ name: "a", address: "https://eu1.example.com:8443/base" }] }),
    );
  });

  it("bounds the health check interval 1..3600 and the timeout below it", async () => {
    for (const intervalSeconds of [0, 3601, 1.5]) {
      const response = await call("POST", `${API}/pools`, {
        body: poolInput("iv", { healthCheck: { intervalSeconds } }),
      });
      expect(await errorPaths(response, String(intervalSeconds))).toContain("healthCheck.intervalSeconds");
    }
    const slow = await call("POST", `${API}/pools`, {
      body: poolInput("iv", { healthCheck: { intervalSeconds: 2, timeoutMs: 2000 } }),
    });
    expect(await errorPaths(slow)).toEqual(["healthCheck.timeoutMs"]);
    await create("pools", poolInput("iv-max", { healthCheck: { intervalSeconds: 3600 } }));
  });

  it("takes health check regions among the location hints, each once, and changes nothing otherwise", async () => {
    for (const regions of [["mars"], ["weur", "weur"], "weur", ["WEUR"]]) {
      const response = await call("POST", `${API}/pools`, {
        body: poolInput("rg", { healthCheck: { regions } }),
      });
      const paths = await errorPaths(response, JSON.stringify(regions));
      expect(paths.every((path) => path.startsWith("healthCheck.regions"))).toBe(true);
    }
    expect((await call("GET", `${API}/pools/rg`)).status).toBe(404);
    const created = await create(
      "pools",
      poolInput("rg", { healthCheck: { regions: ["wnam", "weur", "apac"] } }),
    );
    expect((created.healthCheck as { regions: string[] }).regions).toEqual(["wnam", "weur", "apac"]);
  });
});

describe("load balancer limits", () => {
  it("accepts exact, wildcard and localhost hostnames and refuses others at hostname", async () => {
    await create("pools", poolInput("host-pool"));
    for (const [id, hostname] of [
      ["host-exact", "www.host.test"],
      ["host-wild", "*.host.test"],
      ["host-local", "localhost"],
      ["host-ip", "127.0.0.1"],
    ]) {
      await create("load_balancers", lbInput(id as string, ["host-pool"], { hostname }));
    }
    for (const hostname of [
      "",
      "*",
      "*.",
      "a..b",
      "http://x.test",
      "x.test/",
      "x.test:80",
      "a b",
      "*.*.x",
      "é.test",
      42,
    ]) {
      const response = await call("POST", `${API}/load_balancers`, {
        body: lbInput("host-bad", ["host-pool"], { hostname }),
      });
      expect(await errorPaths(response, String(hostname))).toEqual(["hostname"]);
    }
  });

  it("takes 1 to 20 pools that all exist, and a fallback pool that exists", async () => {
    const ids = Array.from({ length: 21 }, (_, i) => `many-${i}`);
    for (const id of ids) await create("pools", poolInput(id));
    await create("load_balancers", lbInput("twenty", ids.slice(0, 20)));
    expect(
      await errorPaths(await call("POST", `${API}/load_balancers`, { body: lbInput("zero", []) })),
    ).toEqual(["pools"]);
    expect(
      await errorPaths(await call("POST", `${API}/load_balancers`, { body: lbInput("too-many", ids) })),
    ).toEqual(["pools"]);
    const missing = await call("POST", `${API}/load_balancers`, {
      body: lbInput("missing", ["many-0", "ghost"]),
    });
    expect(await errorPaths(missing)).toEqual(["pools[1]"]);
    const fallback = await call("POST", `${API}/load_balancers`, {
      body: lbInput("fb", ["many-0"], { fallbackPool: "ghost" }),
    });
    expect(await errorPaths(fallback)).toEqual(["fallbackPool"]);
    await create("load_balancers", lbInput("fb-ok", ["many-0"], { fallbackPool: "many-1" }));
  });

  it("refuses to delete a pool in use (409 naming the load balancers)", async () => {
    await create("pools", poolInput("busy"));
    await create("load_balancers", lbInput("busy-user", ["busy"]));
    const problem = await expectProblem(await call("DELETE", `${API}/pools/busy`), 409);
    expect(problem.detail).toContain("busy-user");
    expect((await call("GET", `${API}/pools/busy`)).status).toBe(200);
  });
});
