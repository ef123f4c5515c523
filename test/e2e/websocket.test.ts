import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { poolOf, servePool } from "../helpers/admin-client.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["ws"] });
  await servePool(lb.api, "ws.test", poolOf("sockets", lb.origins));
});

afterAll(async () => {
  await lb?.stop();
});

/** The next message on `socket`, with whether it was binary. */
async function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  const [data, isBinary] = (await once(socket, "message")) as [Buffer, boolean];
  return { data, isBinary };
}

describe("WebSocket", () => {
  it("echoes text and binary messages through the load balancer", async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${lb.port}/chat?room=1`, { headers: { host: "ws.test" } });
    const closed = once(socket, "close");
    try {
      await once(socket, "open");

      socket.send("hello through the edge");
      const text = await nextMessage(socket);
      expect(text.isBinary).toBe(false);
      expect(text.data.toString("utf8")).toBe("hello through the edge");

      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      socket.send(bytes);
      const binary = await nextMessage(socket);
      expect(binary.isBinary).toBe(true);
      expect(Buffer.compare(binary.data, bytes)).toBe(0);
    } finally {
      socket.close(1000, "done");
    }
    await closed;

    const upgrade = lb
      .origin("ws")
      .requests.find((request) => request.headers.upgrade?.toLowerCase() === "websocket");
    expect(upgrade).toMatchObject({ method: "GET", path: "/chat", query: "room=1" });
    expect(upgrade?.headers["x-forwarded-host"]).toBe("ws.test");
  });
});
