import { describe, expect, it } from "vitest";
import { prepareBody } from "../../../worker/proxy/request-body.ts";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const queue = [...chunks];
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = queue.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(encoder.encode(next));
    },
  });
}

function chunkedRequest(chunks: string[]): Request {
  return new Request("http://lb.test/upload", {
    method: "PUT",
    body: streamOf(chunks),
    duplex: "half",
  } as RequestInit);
}

async function text(body: Uint8Array | ReadableStream<Uint8Array> | null): Promise<string> {
  return body === null ? "" : new Response(body as BodyInit).text();
}

describe("preparing the request body", () => {
  it("has nothing to keep for a request without a body", async () => {
    expect(await prepareBody(new Request("http://lb.test/"), 10, true)).toEqual({
      replayable: true,
      body: null,
    });
  });

  it("keeps a body whose Content-Length is within the limit", async () => {
    const prepared = await prepareBody(
      new Request("http://lb.test/", { method: "POST", body: "hello" }),
      5,
      true,
    );
    expect(prepared.replayable).toBe(true);
    expect(await text(prepared.body)).toBe("hello");
  });

  it("streams a body whose Content-Length is over the limit", async () => {
    const prepared = await prepareBody(
      new Request("http://lb.test/", { method: "POST", body: "hello!" }),
      5,
      true,
    );
    expect(prepared.replayable).toBe(false);
    expect(await text(prepared.body)).toBe("hello!");
  });

  it("keeps a chunked body that ends within the limit", async () => {
    const prepared = await prepareBody(chunkedRequest(["ab", "cd", "e"]), 5, true);
    expect(prepared.replayable).toBe(true);
    expect(await text(prepared.body)).toBe("abcde");
  });

  it("streams a chunked body that passes the limit, including the part already read", async () => {
    const prepared = await prepareBody(chunkedRequest(["ab", "cd", "ef", "gh"]), 5, true);
    expect(prepared.replayable).toBe(false);
    expect(await text(prepared.body)).toBe("abcdefgh");
  });

  it("streams the body untouched when no retry is possible", async () => {
    const prepared = await prepareBody(
      new Request("http://lb.test/", { method: "POST", body: "tiny" }),
      100,
      false,
    );
    expect(prepared.replayable).toBe(false);
    expect(await text(prepared.body)).toBe("tiny");
  });
});
