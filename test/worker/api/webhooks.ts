/**
 * The webhook receiver of the Worker tests: the test origin (global-setup.ts) keeps what each
 * `/hook/<name>` received, and these read it back.
 */
import { inject } from "vitest";

/** The test origin, which also receives webhooks on `/hook/<name>`. */
export const HOOK_ORIGIN = `http://127.0.0.1:${inject("probeOriginPort")}`;

export interface Received {
  headers: Record<string, string>;
  body: string;
}

/** What the test origin's `/hook/<name>` received so far. */
export async function received(name: string): Promise<Received[]> {
  return (await fetch(`${HOOK_ORIGIN}/hook/${name}`)).json();
}

/** Reads until `done` holds (20 s at most, every 100 ms); the last value read. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
