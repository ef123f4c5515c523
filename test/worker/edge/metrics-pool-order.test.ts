/**
 * A series counted per load balancer rather than per pool (a rule's answers) is carried by the load
 * balancer's first pool. When the operator reorders the load balancer's pools through the API, the
 * new first pool carries it from then on while the old one keeps what it had: both PoolStates then
 * hold a series with the same labels, and the scrape must show it once, with the total of both.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseExposition, samplesOf } from "../../helpers/prometheus.ts";
import { API, call, createLoadBalancer, createPool, READ_TOKEN } from "../api/support.ts";
import { ORIGIN, send } from "../proxy/support.ts";

async function scrapeText(): Promise<string> {
  const response = await call("GET", "/__lb/metrics", { token: READ_TOKEN });
  expect(response.status).toBe(200);
  return response.text();
}

/**
 * The value the pool's PoolState stores for the rule's series; undefined when it holds none. A
 * scrape first, which sends the counts this isolate still holds.
 */
async function storedRuleCount(pool: string, rule: string): Promise<number | undefined> {
  await scrapeText();
  return runInDurableObject(env.POOL_STATE.getByName(pool), (_instance, state) => {
    const rows = state.storage.sql
      .exec<{ labels: string; value: number }>(
        "SELECT labels, value FROM metric_series WHERE name = 'edge_lb_rule_responses_total'",
      )
      .toArray();
    const row = rows.find((r) => (JSON.parse(r.labels) as Record<string, string>).rule === rule);
    return row?.value;
  });
}

async function setUpPool(pool: string): Promise<void> {
  await createPool(pool, { origins: [{ name: "a", address: ORIGIN }] });
  const stub = env.POOL_STATE.getByName(pool);
  await expect.poll(async () => (await stub.snapshot()) !== null).toBe(true);
}

describe("a per-load-balancer series whose carrying pool changes", () => {
  it("is scraped as one series holding the answers of before and after the pools were reordered", async () => {
    const suffix = Date.now().toString(36);
    const [first, second, lb] = [`order-a-${suffix}`, `order-b-${suffix}`, `order-${suffix}`];
    await setUpPool(first);
    await setUpPool(second);
    const maintenance = {
      name: "maint",
      when: { path: { regex: "^/maint" } },
      then: { respond: { status: 503, body: "maintenance" } },
    };
    await createLoadBalancer(lb, [first, second], { rules: [maintenance] });
    const labels = { load_balancer: lb, rule: "maint", action: "respond", status_class: "5xx" };

    for (let i = 0; i < 3; i++) expect((await send(`http://${lb}.example.com/maint`)).status).toBe(503);
    await expect.poll(() => storedRuleCount(first, "maint")).toBe(3);

    const reordered = await call("PATCH", `${API}/load_balancers/${lb}`, {
      body: { pools: [second, first] },
    });
    expect(reordered.status).toBe(200);
    const read = await call("GET", `${API}/load_balancers/${lb}`, { token: READ_TOKEN });
    expect(((await read.json()) as { pools: string[] }).pools).toEqual([second, first]);

    for (let i = 0; i < 2; i++) expect((await send(`http://${lb}.example.com/maint`)).status).toBe(503);
    // The prerequisite of the case: each pool now stores its own share under the same labels.
    await expect.poll(() => storedRuleCount(second, "maint")).toBe(2);
    expect(await storedRuleCount(first, "maint")).toBe(3);

    const text = await scrapeText();
    // A strict parse rejects a series shown twice; and the text holds exactly one line of it.
    const samples = samplesOf(parseExposition(text), "edge_lb_rule_responses_total", { load_balancer: lb });
    expect(samples).toEqual([{ name: "edge_lb_rule_responses_total", labels, value: 5 }]);
    const lines = text
      .split("\n")
      .filter((line) => line.startsWith(`edge_lb_rule_responses_total{load_balancer="${lb}"`));
    expect(lines).toEqual([
      `edge_lb_rule_responses_total{load_balancer="${lb}",rule="maint",action="respond",status_class="5xx"} 5`,
    ]);
    // Through the edge, the rule still answers, and the next answer adds to the same series.
    expect((await send(`http://${lb}.example.com/maint`)).status).toBe(503);
    await expect
      .poll(async () =>
        samplesOf(parseExposition(await scrapeText()), "edge_lb_rule_responses_total", labels),
      )
      .toEqual([{ name: "edge_lb_rule_responses_total", labels, value: 6 }]);

    expect((await call("DELETE", `${API}/load_balancers/${lb}`)).status).toBe(204);
    for (const pool of [first, second])
      expect((await call("DELETE", `${API}/pools/${pool}`)).status).toBe(204);
  });
});
