/**
 * The request body, kept in memory when it is small enough to be sent again on a retry, streamed
 * otherwise. A body is never read twice: a large one is passed on as the stream it is, together
 * with the part already read while finding out that it is large.
 *
 * GET and HEAD requests cannot carry a body upstream: the runtime's `fetch()` refuses one before
 * anything is sent. An empty one is dropped; a real one is refused with `400`, rather than failing
 * as if the origin were unreachable (which would count against the origin's passive health, so that
 * any client could eject origins) or silently reaching the origin without the content it was sent.
 */
import type { BufferBudget } from "../edge/body-budget.ts";
import { ProblemError, problemType } from "../http/problem.ts";

export type PreparedBody =
  /**
   * Absent or kept in memory: every attempt can send it. `held` bytes of the isolate's buffer budget
   * are reserved for it until `releaseBody`.
   */
  | { readonly replayable: true; readonly body: Uint8Array | null; readonly held?: number }
  /** Streamed: only one attempt can send it; `broke()` tells whether the client's side failed. */
  | { readonly replayable: false; readonly body: ReadableStream<Uint8Array>; readonly broke: () => boolean };

/**
 * Reads the body of `request` into memory when it has at most `limit` bytes, either by its
 * Content-Length or, for a body of unknown length, by reading until it ends or passes the limit,
 * and while the isolate's `budget` covers it; otherwise (and with `keep` false, no retry possible)
 * the body is streamed as it is, and the request cannot be retried.
 * @example const prepared = await prepareBody(request, lb.retries.bufferBodyBytes, true, bufferBudget);
 */
export async function prepareBody(
  request: Request,
  limit: number,
  keep: boolean,
  budget: BufferBudget = UNBOUNDED,
): Promise<PreparedBody> {
  const stream = request.body;
  if (!stream) return { replayable: true, body: null };
  const bodiless = request.method === "GET" || request.method === "HEAD";
  if (!bodiless && !keep) return watched(stream.getReader(), []);
  let content: boolean;
  try {
    if (!bodiless) return await keepIfSmall(request, stream, limit, budget);
    content = await hasContent(stream);
  } catch {
    // The client's body broke off or was malformed: there is nothing to forward.
    throw new ProblemError(400, "The request body could not be read.", {
      type: problemType("unreadable-body"),
    });
  }
  if (content) {
    throw new ProblemError(
      400,
      `A ${request.method} request cannot carry a body through the load balancer.`,
      {
        type: problemType("body-not-allowed"),
      },
    );
  }
  return { replayable: true, body: null };
}

/** A budget that never refuses (for callers that keep no isolate-wide account). */
const UNBOUNDED: BufferBudget = { reserve: () => true, release: () => undefined };

/**
 * Gives back the buffer budget a prepared body held; call once, when the request's last attempt
 * has been sent.
 */
export function releaseBody(prepared: PreparedBody, budget: BufferBudget): void {
  if (prepared.replayable && prepared.held) budget.release(prepared.held);
}

async function keepIfSmall(
  request: Request,
  stream: ReadableStream<Uint8Array>,
  limit: number,
  budget: BufferBudget,
): Promise<PreparedBody> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim())) {
    const size = Number(declared);
    if (size > limit || !budget.reserve(size)) return watched(stream.getReader(), []);
    try {
      return { replayable: true, body: new Uint8Array(await request.arrayBuffer()), held: size };
    } catch (error) {
      budget.release(size);
      throw error;
    }
  }
  return readUpTo(stream, limit, budget);
}

/** Whether the stream yields at least one byte; reads no further than the first chunk that does. */
async function hasContent(stream: ReadableStream<Uint8Array>): Promise<boolean> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    if (value.byteLength > 0) {
      await reader.cancel();
      return true;
    }
  }
}

async function readUpTo(
  stream: ReadableStream<Uint8Array>,
  limit: number,
  budget: BufferBudget,
): Promise<PreparedBody> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { replayable: true, body: concat(chunks, size), held: size };
      chunks.push(value);
      size += value.byteLength;
      if (size > limit || !budget.reserve(value.byteLength)) {
        budget.release(size - value.byteLength);
        return watched(reader, chunks);
      }
    }
  } catch (error) {
    budget.release(size);
    throw error;
  }
}

/**
 * A stream that yields the chunks already read, then the rest of `reader`, and remembers whether the
 * client's side broke off (so that a failed upload does not count against the origin).
 */
function watched(reader: ReadableStreamDefaultReader<Uint8Array>, chunks: Uint8Array[]): PreparedBody {
  let broke = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = chunks.shift();
      if (next) {
        controller.enqueue(next);
        return;
      }
      let read: ReadableStreamReadResult<Uint8Array>;
      try {
        read = await reader.read();
      } catch (error) {
        broke = true;
        throw error;
      }
      if (read.done) controller.close();
      else controller.enqueue(read.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { replayable: false, body, broke: () => broke };
}

/** The chunks of a body read whole, as one array of `size` bytes. */
export function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
