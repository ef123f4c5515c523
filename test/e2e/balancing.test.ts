import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolOf, servePool } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import type { TestOrigin } from "../helpers/origins.ts";
import { originSequence, tally } from "../helpers/through-lb.ts";

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "c"] });
});

afterAll(async () => {
  await lb?.stop();
});

/** Counts of each name in every run of `size` consecutive entries. */
function windows(names: readonly string[], size: number): Record<string, number>[] {
  return Array.from({ length: names.length - size + 1 }, (_, i) => tally(names.slice(i, i + size)));
}

describe("traffic spread", () => {
  it("round_robin sends weights 3:2:1 in every run of six requests", async () => {
    const [a, b, c] = lb.origins as [TestOrigin, TestOrigin, TestOrigin];
    await servePool(lb.api, "rr.test", poolOf("rr-weighted", [a, b, c], { weights: [3, 2, 1] }));

    const sequence = await originSequence(lb.url, "rr.test", 120);

    expect(tally(sequence)).toEqual({ a: 60, b: 40, c: 20 });
    // Smooth weighted round robin repeats with a period of the weight sum, so any six
    // consecutive requests hold exactly one period.
    for (const counts of windows(sequence, 6)) expect(counts).toEqual({ a: 3, b: 2, c: 1 });
    // Smooth, not in bursts: plain weighted rotation (a a a b b c) also fits every window, but smooth
    // round robin interleaves (a b a c b a), so the heaviest origin never answers three in a row.
    expect(sequence.join("")).not.toMatch(/aaa|bb|cc/);
  });

  it("round_robin with equal weights rotates through every origin in turn", async () => {
    const [a, b, c] = lb.origins as [TestOrigin, TestOrigin, TestOrigin];
    await servePool(lb.api, "rr-even.test", poolOf("rr-even", [a, b, c]));

    const sequence = await originSequence(lb.url, "rr-even.test", 30);

    for (const counts of windows(sequence, 3)) expect(counts).toEqual({ a: 1, b: 1, c: 1 });
  });

  it("random sends weights 3:1 in proportion over 400 requests", async () => {
    const [a, b] = lb.origins as [TestOrigin, TestOrigin];
    await servePool(
      lb.api,
      "random.test",
      poolOf("random-weighted", [a, b], { weights: [3, 1], algorithm: "random" }),
    );

    const counts = tally(await originSequence(lb.url, "random.test", 400));

    expect(Object.keys(counts).sort()).toEqual(["a", "b"]);
    // Expected share 0.75; the standard deviation over 400 draws is 0.022, so ±0.10 is over 4.5 of
    // them: a false failure is about one in 100,000 runs.
    const share = (counts.a ?? 0) / 400;
    expect(share).toBeGreaterThanOrEqual(0.65);
    expect(share).toBeLessThanOrEqual(0.85);
  });

  it.each(["round_robin", "random"] as const)(
    "%s never sends new traffic to a weight 0 origin",
    async (algorithm) => {
      const [a, b] = lb.origins as [TestOrigin, TestOrigin];
      const id = `drain-${algorithm.replace("_", "-")}`;
      await servePool(lb.api, `${id}.test`, poolOf(id, [a, b], { weights: [1, 0], algorithm }));

      const sequence = await originSequence(lb.url, `${id}.test`, 40);

      expect(tally(sequence)).toEqual({ a: 40 });
    },
  );
});
