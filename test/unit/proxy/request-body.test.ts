import { describe, expect, it } from "vitest";
import { ProblemError } from "../../../worker/http/problem.ts";
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

/** A request as the runtime hands it over; Node's Request refuses a GET with a body outright. */
function bodiedRequest(method: string, chunks: string[]): Request {
  return { method, body: streamOf(chunks), headers: new Headers() } as unknown as Request;
}

describe("a GET or HEAD request with a body", () => {
  it("is refused with 400 when the body has content", async () => {
    for (const method of ["GET", "HEAD"]) {
      const error = await prepareBody(bodiedRequest(method, ["", "hello"]), 1024, true).catch((e) => e);
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as ProblemError).problem.status).toBe(400);
    }
  });

  it("goes on without a body when the body is empty", async () => {
    expect(await prepareBody(bodiedRequest("GET", ["", ""]), 1024, true)).toEqual({
      replayable: true,
      body: null,
    });
  });
});

describe("a request body that breaks off", () => {
  it("is refused with 400 instead of failing the request as a bug", async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("part"));
        controller.error(new Error("client went away"));
      },
    });
    const request = { method: "PUT", body, headers: new Headers() } as unknown as Request;
    const error = await prepareBody(request, 1024, true).catch((e) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).problem.status).toBe(400);
  });
});
