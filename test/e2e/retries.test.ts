import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoadBalancer, createPool } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { sha256 } from "../helpers/origins.ts";
import { throughLb } from "../helpers/through-lb.ts";
import { waitFor } from "../helpers/wait.ts";
import { errors, eventsOf, healthOf, proxied, steadyLoad } from "./health-support.ts";

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["a", "b", "bad", "d", "e"] });
});

afterAll(async () => {
  await lb?.stop();
});

const addresses = (...names: string[]) => names.map((name) => ({ name, address: lb.origin(name).url }));

describe("an origin answering 503", () => {
  it("does not retry a POST: the origin's 503 reaches the client", async () => {
    const bad = lb.origin("bad");
    bad.reset();
    bad.set({ status: 503 });
    // "first" sends every request to the first usable origin, so the POST surely meets the 503.
    await createPool(lb.api, {
      id: "post-503",
      algorithm: "first",
      origins: addresses("bad", "a"),
      passiveHealth: { enabled: false },
    });
    await createLoadBalancer(lb.api, { id: "post-503", hostname: "post-503.test", pools: ["post-503"] });
    const before = lb.origin("a").requests.filter((r) => r.method === "POST").length;

    const res = await send(lb.url, {
      host: "post-503.test",
      method: "POST",
      path: "/order",
      body: "one order",
    });

    expect(res.status).toBe(503);
    expect(res.header("x-origin")).toBe("bad");
    expect(bad.requests.filter((r) => r.method === "POST")).toHaveLength(1);
    expect(lb.origin("a").requests.filter((r) => r.method === "POST")).toHaveLength(before);
  });

  it("retries GETs on another origin and ejects the origin after consecutiveFailures", async () => {
    const bad = lb.origin("bad");
    bad.reset();
    bad.set({ status: 503 });
    await createPool(lb.api, {
      id: "get-503",
      origins: addresses("a", "b", "bad"),
      passiveHealth: { consecutiveFailures: 3, ejectionSeconds: 60 },
    });
    await createLoadBalancer(lb.api, { id: "get-503", hostname: "get-503.test", pools: ["get-503"] });

    const answers = await steadyLoad(lb.url, "get-503.test", { total: 30, concurrency: 1 });
    expect(errors(answers)).toEqual([]);
    expect(proxied(bad)).toHaveLength(3);
    await waitFor(async () => (await healthOf(lb.api, "get-503")).bad?.state === "ejected", {
      what: "bad ejected",
    });

    const after = await steadyLoad(lb.url, "get-503.test", { total: 20, concurrency: 1 });
    expect(errors(after)).toEqual([]);
    expect(proxied(bad)).toHaveLength(3);
    const ejections = (await eventsOf(lb.api, "get-503/bad", 0)).filter((e) => e.kind === "origin_ejected");
    expect(ejections).toHaveLength(1);
  });
});

describe("request bodies", () => {
  it("sends a small body again on the retry, and streams a large one without retrying", async () => {
    const bad = lb.origin("bad");
    bad.reset();
    bad.set({ status: 503 });
    await createPool(lb.api, {
      id: "bodies",
      algorithm: "first",
      origins: addresses("bad", "b"),
      passiveHealth: { enabled: false },
    });
    await createLoadBalancer(lb.api, {
      id: "bodies",
      hostname: "bodies.test",
      pools: ["bodies"],
      retries: { bufferBodyBytes: 1024 },
    });

    const small = "x".repeat(1000);
    const { echo } = await throughLb(lb.url, "bodies.test", { method: "PUT", path: "/doc", body: small });
    expect(echo).toMatchObject({ origin: "b", method: "PUT", bodyBytes: 1000, bodySha256: sha256(small) });

    const large = "y".repeat(4096);
    const res = await send(lb.url, { host: "bodies.test", method: "PUT", path: "/doc", body: large });
    expect(res.status).toBe(503);
    expect(res.header("x-origin")).toBe("bad");
    expect(bad.requests.at(-1)).toMatchObject({ bodyBytes: 4096, bodySha256: sha256(large) });
  });
});

describe("a refused connection", () => {
  it("is retried on another origin whatever the method, since nothing reached the origin", async () => {
    const d = lb.origin("d");
    const e = lb.origin("e");
    await createPool(lb.api, {
      id: "refused",
      origins: addresses("d", "e"),
      passiveHealth: { enabled: false },
    });
    await createLoadBalancer(lb.api, { id: "refused", hostname: "refused.test", pools: ["refused"] });
    // Both origins answer first, so the load balancer knows it can reach them.
    await waitFor(
      async () => {
        await throughLb(lb.url, "refused.test");
        return d.count() > 0 && e.count() > 0;
      },
      { what: "both origins answering" },
    );
    await d.stop();
    e.reset();

    const posts = [];
    for (let i = 0; i < 6; i++) {
      const body = `order ${i}`;
      const res = await send(lb.url, { host: "refused.test", method: "POST", path: "/order", body });
      posts.push({
        status: res.status,
        origin: res.header("x-origin") ?? null,
        sha: res.status === 200 ? res.json<{ bodySha256: string }>().bodySha256 : null,
        want: sha256(body),
      });
    }
    expect(posts.map((p) => [p.status, p.origin])).toEqual(Array.from({ length: 6 }, () => [200, "e"]));
    expect(posts.every((p) => p.sha === p.want)).toBe(true);
    expect(e.requests.filter((r) => r.method === "POST")).toHaveLength(6);
    await d.restart();
  });
});
