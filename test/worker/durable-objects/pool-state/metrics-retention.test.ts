/**
 * What a pool's PoolState keeps of its metric series as load balancers and rules come and go, inside
 * workerd with the real ConfigStore: a scrape deletes for good the series of a load balancer deleted
 * through the API and of a removed rule, keeps those of the load balancers still there, and never
 * deletes the series of a load balancer newer than the configuration the scrape read.
 */
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SeriesSet } from "../../../../worker/metrics/series.ts";
import { parseExposition, sampleValue, sumOf } from "../../../helpers/prometheus.ts";
import { API, call, createLoadBalancer, createPool, READ_TOKEN } from "../../api/support.ts";
import { ORIGIN, send } from "../../proxy/support.ts";

let counter = 0;

async function scrape() {
  const response = await call("GET", "/__lb/metrics", { token: READ_TOKEN });
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

/** The rows of the pool's `metric_series` table, counted by their `load_balancer` label ("" for none). */
async function storedRows(pool: string): Promise<Map<string, number>> {
  return runInDurableObject(env.POOL_STATE.getByName(pool), (_instance, state) => {
    const rows = state.storage.sql.exec<{ labels: string }>("SELECT labels FROM metric_series").toArray();
    const byLoadBalancer = new Map<string, number>();
    for (const row of rows) {
      const lb = (JSON.parse(row.labels) as Record<string, string>).load_balancer ?? "";
      byLoadBalancer.set(lb, (byLoadBalancer.get(lb) ?? 0) + 1);
    }
    return byLoadBalancer;
  });
}

const total = (rows: Map<string, number>) => [...rows.values()].reduce((sum, n) => sum + n, 0);

/** A pool with one loopback origin, once its PoolState has the configuration. */
async function setUpPool(name: string): Promise<string> {
  const pool = `${name}-${counter++}-${Date.now().toString(36)}`;
  await createPool(pool, { origins: [{ name: "a", address: ORIGIN }] });
  const stub = env.POOL_STATE.getByName(pool);
  await expect.poll(async () => (await stub.snapshot()) !== null).toBe(true);
  return pool;
}

async function remove(path: string): Promise<void> {
  expect((await call("DELETE", `${API}/${path}`)).status).toBe(204);
}

describe("series of deleted load balancers and removed rules", () => {
  it("are deleted for good, while the load balancer still using the pool keeps its counts", async () => {
    const pool = await setUpPool("retain");
    const [kept, gone] = [`keep-${pool}`, `gone-${pool}`];
    const maintenance = {
      name: "maint",
      when: { path: { regex: "^/maint" } },
      then: { respond: { status: 503, body: "maintenance" } },
    };
    await createLoadBalancer(kept, [pool], { rules: [maintenance] });
    await createLoadBalancer(gone, [pool]);

    for (let i = 0; i < 3; i++) expect((await send(`http://${kept}.example.com/`)).status).toBe(200);
    expect((await send(`http://${kept}.example.com/maint`)).status).toBe(503);
    for (let i = 0; i < 2; i++) expect((await send(`http://${gone}.example.com/`)).status).toBe(200);

    const served = (families: Awaited<ReturnType<typeof scrape>>, lb: string) =>
      sumOf(families, "edge_lb_requests_total", { load_balancer: lb, pool, origin: "a" });
    const ruleAnswers = { load_balancer: kept, rule: "maint", action: "respond", status_class: "5xx" };
    await expect
      .poll(async () => {
        const families = await scrape();
        return [
          served(families, kept),
          served(families, gone),
          sampleValue(families, "edge_lb_rule_responses_total", ruleAnswers),
        ];
      })
      .toEqual([3, 2, 1]);
    const before = await storedRows(pool);
    expect(before.get(gone)).toBeGreaterThan(0);
    const seriesBefore = sampleValue(await scrape(), "edge_lb_metric_series", { pool });
    expect(seriesBefore).toBe(total(before));

    await remove(`load_balancers/${gone}`);
    const patched = await call("PATCH", `${API}/load_balancers/${kept}`, { body: { rules: [] } });
    expect(patched.status).toBe(200);
    // Through the API and the edge, the deleted load balancer and the removed rule are gone.
    expect((await call("GET", `${API}/load_balancers/${gone}`, { token: READ_TOKEN })).status).toBe(404);
    expect((await send(`http://${gone}.example.com/`)).status).toBe(404);
    expect((await send(`http://${kept}.example.com/maint`)).status).toBe(200);

    const families = await scrape();
    expect(sumOf(families, "edge_lb_requests_total", { load_balancer: gone })).toBe(0);
    expect(sampleValue(families, "edge_lb_rule_responses_total", ruleAnswers)).toBeUndefined();
    const after = await storedRows(pool);
    expect(after.get(gone)).toBeUndefined();
    expect(total(after)).toBeLessThan(total(before));
    expect(sampleValue(families, "edge_lb_metric_series", { pool })).toBe(total(after));
    // The rule's one series went with it; the rest of the live load balancer's series stayed.
    expect(after.get(kept)).toBe((before.get(kept) ?? 0) - 1);

    // The live load balancer's counts go on from where they were: 3 before, the /maint request now.
    await expect.poll(async () => served(await scrape(), kept)).toBe(4);

    await remove(`load_balancers/${kept}`);
    await remove(`pools/${pool}`);
  });
});

describe("series of a load balancer newer than the scrape's configuration", () => {
  it("are kept until a configuration that knows it is read, even after the PoolState restarts", async () => {
    const pool = await setUpPool("newer");
    await createLoadBalancer(`old-${pool}`, [pool]);
    const current = (await (await call("GET", `${API}/config`)).json()) as { version: number };
    const newcomer = `new-${pool}`;
    // An edge already on the next version reports the new load balancer before anyone else knows it.
    const delta = new SeriesSet();
    delta.add(
      "edge_lb_requests_total",
      { load_balancer: newcomer, pool, origin: "a", status_class: "2xx" },
      5,
    );
    const stub = env.POOL_STATE.getByName(pool);
    const report = {
      isolateId: "iso-ahead",
      sentAt: Date.now(),
      origins: {},
      configVersion: current.version + 1,
    };
    await stub.report(report, delta.toDelta());

    // The scrape reads the version before it: the series stays stored, also once the PoolState restarts.
    await scrape();
    expect((await storedRows(pool)).get(newcomer)).toBe(1);
    await evictDurableObject(stub);
    await scrape();
    expect((await storedRows(pool)).get(newcomer)).toBe(1);

    await createLoadBalancer(newcomer, [pool]);
    const next = (await (await call("GET", `${API}/config`)).json()) as { version: number };
    expect(next.version).toBe(current.version + 1);
    expect(sumOf(await scrape(), "edge_lb_requests_total", { load_balancer: newcomer, pool })).toBe(5);

    await remove(`load_balancers/${newcomer}`);
    expect(sumOf(await scrape(), "edge_lb_requests_total", { load_balancer: newcomer })).toBe(0);
    expect((await storedRows(pool)).get(newcomer)).toBeUndefined();

    await remove(`load_balancers/old-${pool}`);
    await remove(`pools/${pool}`);
  });
});
