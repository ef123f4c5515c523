import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { send } from "../helpers/http.ts";
import {
  deterministicBytes,
  type OriginEcho,
  sha256,
  startOrigin,
  type TestOrigin,
} from "../helpers/origins.ts";

let origin: TestOrigin | undefined;

beforeAll(async () => {
  origin = await startOrigin("self-test");
});

afterAll(async () => {
  await origin?.stop();
});

describe("echo origins", () => {
  it("echo what they receive and count it", async () => {
    origin!.reset();
    const res = await send(origin!.url, {
      method: "POST",
      path: "/x/y?a=1&b=2",
      headers: { "x-test": "1" },
      body: "payload",
    });

    expect(res.status).toBe(200);
    expect(res.json<OriginEcho>()).toMatchObject({
      origin: "self-test",
      method: "POST",
      path: "/x/y",
      query: "a=1&b=2",
      bodyBytes: 7,
      bodySha256: sha256("payload"),
    });
    expect(res.json<OriginEcho>().headers["x-test"]).toBe("1");
    expect(origin!.count()).toBe(1);
  });

  it("answer with the configured status, or the one a request asks for", async () => {
    origin!.set({ status: 503 });
    expect((await send(origin!.url)).status).toBe(503);
    expect((await send(origin!.url, { path: "/?status=418" })).status).toBe(418);
    origin!.reset();
    expect((await send(origin!.url)).status).toBe(200);
  });

  it("serve deterministic downloads", async () => {
    const res = await send(origin!.url, { path: "/download?bytes=100000" });

    expect(res.body.length).toBe(100_000);
    expect(sha256(res.body)).toBe(sha256(deterministicBytes(100_000)));
    expect(res.body[300]).toBe(300 % 251);
  });

  it("refuse connections after stop() and answer on the same port after restart()", async () => {
    const port = origin!.port;
    await origin!.stop();

    await expect(send(origin!.url)).rejects.toThrow(/ECONNREFUSED/);

    await origin!.restart();
    expect(origin!.port).toBe(port);
    expect((await send(origin!.url)).status).toBe(200);
  });

  it("hang until the client gives up", async () => {
    origin!.set({ hang: true });
    await expect(send(origin!.url, { timeoutMs: 300 })).rejects.toThrow(/no answer/);
    origin!.reset();
  });
});
