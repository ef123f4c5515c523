/**
 * A bound on how long to wait for another object (a Durable Object call, a hand-over): the shared
 * bottom, so the API and the Durable Objects use the same one.
 */

/**
 * `promise`, or a rejection `no answer within <ms> ms` once `ms` have passed; the timer is cleared
 * either way. The promise itself is not cancelled.
 * @example const metrics = await withTimeout(env.POOL_STATE.getByName(id).metrics(), 5000);
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
