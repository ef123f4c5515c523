/**
 * The configuration's bounds hold however it grows: by PUT /config or one resource at a time. A
 * write past a bound is refused whole (400 for counts, 413 for bytes), says which limit, and
 * changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_LIMITS } from "../../../worker/config/limits.ts";
import { API, call, json } from "./support.ts";

type LimitProblem = {
  status: number;
  type: string;
  limit: string;
  max: number;
  actual: number;
  detail: string;
};

const origin = (i: number) => ({ name: `o${i}`, address: "http://127.0.0.1:9" });
const smallPool = (id: string, origins = 1) => ({
  id,
  origins: Array.from({ length: origins }, (_, i) => origin(i)),
});

async function configVersion(): Promise<number> {
  return (await json<{ version: number }>(await call("GET", `${API}/config`))).version;
}

async function empty(): Promise<void> {
  expect((await call("PUT", `${API}/config`, { body: { pools: [], loadBalancers: [] } })).status).toBe(200);
}

beforeAll(empty);
afterAll(empty);

describe("configuration limits", () => {
  it("refuses a document with too many pools or origins, naming the limit, and changes nothing", async () => {
    const before = await configVersion();
    const tooManyPools = Array.from({ length: CONFIG_LIMITS.pools + 1 }, (_, i) => smallPool(`p${i}`));
    const pools = await call("PUT", `${API}/config`, { body: { pools: tooManyPools, loadBalancers: [] } });
    expect(pools.status).toBe(400);
    expect(await json<LimitProblem>(pools)).toMatchObject({ limit: "pools", max: 1000, actual: 1001 });

    const perPool = 1000;
    const count = CONFIG_LIMITS.origins / perPool + 1;
    const wide = Array.from({ length: count }, (_, i) => smallPool(`w${i}`, perPool));
    const origins = await call("PUT", `${API}/config`, { body: { pools: wide, loadBalancers: [] } });
    expect(origins.status).toBe(400);
    const problem = await json<LimitProblem>(origins);
    expect(problem).toMatchObject({ limit: "origins", max: 10_000, actual: 11_000 });
    expect(problem.detail).toContain("origins");
    expect(await configVersion()).toBe(before);
  });

  it("refuses the pool past the limit when pools are added one at a time", async () => {
    const full = Array.from({ length: CONFIG_LIMITS.pools }, (_, i) => smallPool(`one${i}`));
    expect((await call("PUT", `${API}/config`, { body: { pools: full, loadBalancers: [] } })).status).toBe(
      200,
    );
    const before = await configVersion();
    const extra = await call("POST", `${API}/pools`, { body: smallPool("one-too-many") });
    expect(extra.status).toBe(400);
    expect(await json<LimitProblem>(extra)).toMatchObject({
      type: expect.stringContaining("config-limit"),
      limit: "pools",
    });
    expect((await call("GET", `${API}/pools/one-too-many`)).status).toBe(404);
    // Replacing an existing pool does not count it twice.
    const replaced = await call("PUT", `${API}/pools/one0`, { body: { origins: [origin(1), origin(2)] } });
    expect(replaced.status).toBe(200);
    expect(await configVersion()).toBe(before + 1);
    await empty();
  });

  it("refuses with 413 the write that takes the serialized configuration past 1 MiB", async () => {
    // 40 headers of 8000 characters: about 320 kB per pool, so the fourth pool crosses 1 MiB.
    const headers = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`x-pad-${i}`, "p".repeat(8000)]),
    );
    const bulky = (id: string) => ({ id, origins: [{ ...origin(0), headers }] });
    let refused: Response | null = null;
    let stored = 0;
    for (let i = 0; i < 6 && refused === null; i++) {
      const response = await call("POST", `${API}/pools`, { body: bulky(`bulky${i}`) });
      if (response.status === 201) stored++;
      else refused = response;
    }
    expect(stored).toBe(3);
    expect(refused?.status).toBe(413);
    const problem = await json<LimitProblem>(refused!);
    expect(problem).toMatchObject({ limit: "documentBytes", max: 1024 * 1024 });
    expect(problem.actual).toBeGreaterThan(1024 * 1024);
    expect((await call("GET", `${API}/pools/bulky${stored}`)).status).toBe(404);
  });
});
