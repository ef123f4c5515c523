/**
 * The isolate's budget of request bytes held in memory for retries. A 128 MB isolate serving many
 * uploads at once cannot keep each one's body (up to `retries.bufferBodyBytes`, at most 10 MiB):
 * beyond this budget a body is streamed instead, and that request cannot be retried. Per-isolate
 * state, so it lives in worker/edge.
 */

/** Request bytes this isolate holds for retries at most, summed over the requests in flight. */
export const BUFFER_BUDGET_BYTES = 32 * 1024 * 1024;

let held = 0;
let refused = 0;

/** Reserves and releases buffered bytes; `reserve` answers false when the budget cannot cover them. */
export interface BufferBudget {
  reserve(bytes: number): boolean;
  release(bytes: number): void;
}

/** The isolate's budget. */
export const bufferBudget: BufferBudget = {
  reserve(bytes) {
    if (held + bytes > BUFFER_BUDGET_BYTES) {
      refused++;
      return false;
    }
    held += bytes;
    return true;
  },
  release(bytes) {
    held = Math.max(0, held - bytes);
  },
};

/** Bytes held now and how many bodies were streamed for want of budget since the isolate started. */
export function bufferBudgetStats(): { heldBytes: number; refusedBodies: number } {
  return { heldBytes: held, refusedBodies: refused };
}
