import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliverNotifications } from "../../../durable-objects/config-store/notify.ts";
import { ConfigTables } from "../../../durable-objects/config-store/sql.ts";
import { API, call, createLoadBalancer, createPool, json, poolInput } from "../api/support.ts";

const store = () => env.CONFIG_STORE.getByName("global");

describe("ConfigStore", () => {
  it("keeps one random affinity key: the same after an eviction, in no snapshot or API answer", async () => {
    const key = await store().affinityKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await store().affinityKey()).toBe(key);
    await evictDurableObject(store());
    expect(await store().affinityKey()).toBe(key);
    expect(JSON.stringify(await store().snapshot())).not.toContain(key);
    expect(await (await call("GET", `${API}/config`)).text()).not.toContain(key);
  });

  it("answers snapshot(knownVersion) with null while nothing changed, else with the whole configuration", async () => {
    const initial = await store().snapshot();
    expect(initial).not.toBeNull();
    expect(await store().snapshot(initial?.version)).toBeNull();
    await createPool("snap");
    const next = await store().snapshot(initial?.version);
    expect(next?.version).toBeGreaterThan(initial?.version ?? 0);
    expect(next?.pools.map((pool) => pool.id)).toContain("snap");
    expect(await store().snapshot(next?.version)).toBeNull();
  });

  it("grows the global version on every change of anything", async () => {
    const versions: number[] = [];
    const record = async () => versions.push((await store().snapshot())?.version ?? -1);
    await record();
    await createPool("grow");
    await record();
    await createLoadBalancer("grow-lb", ["grow"]);
    await record();
    await call("PATCH", `${API}/load_balancers/grow-lb`, { body: { enabled: false } });
    await record();
    await call("DELETE", `${API}/load_balancers/grow-lb`);
    await record();
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  });

  it("returns expected failures as data over RPC instead of throwing", async () => {
    const missing = await store().getResource("pool", "nope");
    expect(missing).toMatchObject({ ok: false, problem: { status: 404 } });
    const invalid = await store().createResource("pool", { id: "Bad" });
    expect(invalid).toMatchObject({
      ok: false,
      problem: { status: 400, errors: [{ path: "id" }, { path: "origins", message: "is required" }] },
    });
  });

  it("keeps everything across an eviction of the object", async () => {
    await createPool("durable", { description: "kept" });
    await createLoadBalancer("durable-lb", ["durable"]);
    const before = await store().snapshot();
    const auditBefore = await store().audit(1000);

    await evictDurableObject(store());

    const after = await store().snapshot();
    expect(after).toEqual(before);
    expect(await store().snapshot(before?.version)).toBeNull();
    expect(await store().audit(1000)).toEqual(auditBefore);
    const response = await call("GET", `${API}/pools/durable`);
    expect((await json(response)).description).toBe("kept");
    const stored = before?.pools.find((pool) => pool.id === "durable")?.version ?? 0;
    const next = await call("PATCH", `${API}/pools/durable`, { body: { description: "changed" } });
    expect((await json<{ version: number }>(next)).version).toBe(stored + 1);
    expect((await store().snapshot())?.version).toBe((before?.version ?? 0) + 1);
  });
});

describe("ConfigStore → PoolState notifications", () => {
  it("configures the pool's PoolState on create and change, and clears it on delete", async () => {
    await createPool("told");
    const health = await env.POOL_STATE.getByName("told").health();
    expect(health?.origins.map((origin) => origin.name)).toEqual(["a", "b"]);
    await call("PUT", `${API}/pools/told`, {
      body: poolInput("told", { origins: [{ name: "c", address: "http://127.0.0.1:9300" }] }),
    });
    expect((await env.POOL_STATE.getByName("told").health())?.origins.map((origin) => origin.name)).toEqual([
      "c",
    ]);
    expect(await store().pendingNotifications()).toEqual([]);
    await call("DELETE", `${API}/pools/told`);
    expect(await env.POOL_STATE.getByName("told").health()).toBeNull();
    expect(await store().pendingNotifications()).toEqual([]);
  });

  it("keeps a failed delivery pending and retries it from the alarm", async () => {
    await createPool("retried");
    // The PoolState forgets the pool, as if the delivery of its creation had been lost.
    await env.POOL_STATE.getByName("retried").configure(null);
    // A PoolState that never received the pool keeps no mark of a deletion either.
    await runInDurableObject(env.POOL_STATE.getByName("retried"), (_instance, state) =>
      state.storage.delete("deletedVersion"),
    );
    expect(await env.POOL_STATE.getByName("retried").health()).toBeNull();

    await runInDurableObject(store(), async (_instance, state) => {
      const tables = new ConfigTables(state.storage.sql);
      tables.enqueueNotification("retried", 1, Date.now());
      const next = await deliverNotifications({
        tables,
        poolState: () => ({
          configure: async () => {
            throw new Error("PoolState unreachable");
          },
        }),
        now: Date.now,
      });
      expect(next).not.toBeNull();
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    const [pending] = await store().pendingNotifications();
    expect(pending).toMatchObject({
      poolId: "retried",
      attempts: 1,
      lastError: expect.stringContaining("unreachable"),
    });

    await runInDurableObject(store(), (_instance, state) => {
      state.storage.sql.exec("UPDATE pool_notifications SET next_attempt_at = 0");
    });
    expect(await runDurableObjectAlarm(store())).toBe(true);
    expect(await store().pendingNotifications()).toEqual([]);
    expect((await env.POOL_STATE.getByName("retried").health())?.pool).toBe("retried");
    expect(await runDurableObjectAlarm(store())).toBe(false);
  });

  it("hands the notifications of a large change to the alarm and delivers them all", async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `bulk-${String(i).padStart(2, "0")}`);
    const response = await call("PUT", `${API}/config`, { body: { pools: ids.map((id) => poolInput(id)) } });
    expect(response.status).toBe(200);
    for (let round = 0; round < 50 && (await store().pendingNotifications()).length > 0; round++) {
      await runDurableObjectAlarm(store());
    }
    expect(await store().pendingNotifications()).toEqual([]);
    for (const id of [ids[0], ids[24]]) {
      expect((await env.POOL_STATE.getByName(id ?? "").health())?.pool).toBe(id);
    }
  });
});
