/**
 * Polls until a probe yields a value, within a bounded wait. Tests use it where the contract allows
 * a delay (configuration reaching the edge), never to assert how long something takes.
 */

export interface WaitOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** Pause between probes (default 100 ms). */
  intervalMs?: number;
  /** Says what was awaited, in the error thrown on timeout. */
  what?: string;
}

/**
 * Calls `probe` until it returns something other than undefined, null or false, and returns that.
 * @example const res = await waitFor(async () => { const r = await hit(); return r.origin === "b" && r; });
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | null | false>,
  options: WaitOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError ? ` (last error: ${String(lastError)})` : "";
      throw new Error(`${options.what ?? "condition"} not reached within ${timeoutMs} ms${reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
