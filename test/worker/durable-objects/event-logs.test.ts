/**
 * Events as log lines: every configuration change and every pool health event is one JSON object
 * on one line, with `event`, `at` (ISO 8601) and `subject`, so log search finds them all alike.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { API, call, createPool } from "../api/support.ts";
import { makePool, ORIGIN } from "./pool-state/fixtures.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

/** The JSON objects logged while `action` ran. */
async function loggedDuring(action: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  });
  await action();
  vi.restoreAllMocks();
  return lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function expectEventLine(line: Record<string, unknown> | undefined): void {
  expect(line).toBeDefined();
  expect(typeof line?.subject).toBe("string");
  expect(new Date(String(line?.at)).toISOString()).toBe(line?.at);
}

describe("event log lines", () => {
  it("logs each configuration change once, with the resource as subject", async () => {
    const id = `logged-${Date.now().toString(36)}`;
    const created = await loggedDuring(() => createPool(id));
    const changes = created.filter((line) => line.event === "config_change");
    expect(changes).toHaveLength(1);
    expectEventLine(changes[0]);
    expect(changes[0]).toMatchObject({ subject: `pool/${id}`, action: "create" });

    const deleted = await loggedDuring(() => call("DELETE", `${API}/pools/${id}`));
    expect(deleted.filter((line) => line.event === "config_change")).toEqual([
      expect.objectContaining({ subject: `pool/${id}`, action: "delete" }),
    ]);
  });

  it("logs nothing for a write that changes nothing", async () => {
    const id = `unchanged-${Date.now().toString(36)}`;
    await createPool(id);
    const refused = await loggedDuring(() => call("POST", `${API}/pools`, { body: { id, origins: [] } }));
    expect(refused.filter((line) => line.event === "config_change")).toEqual([]);
  });

  it("logs an ejection as one line naming the pool and origin", async () => {
    const id = `ejecting-${Date.now().toString(36)}`;
    const stub = env.POOL_STATE.getByName(id);
    await stub.configure(
      makePool(id, {
        origins: [
          { name: "a", address: ORIGIN },
          { name: "b", address: `${ORIGIN}/b` },
        ],
      }),
    );
    const failing = { inflight: 0, requests: 5, failures: 5, consecutiveFailures: 5 };
    const lines = await loggedDuring(() =>
      stub.report({ isolateId: "iso-1", sentAt: Date.now(), origins: { a: failing } }),
    );
    await stub.configure(null);
    const ejected = lines.filter((line) => line.event === "origin_ejected");
    expect(ejected).toHaveLength(1);
    expectEventLine(ejected[0]);
    expect(ejected[0]).toMatchObject({ subject: `${id}/a`, pool: id, origin: "a" });
  });
});
