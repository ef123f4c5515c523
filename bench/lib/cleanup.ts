/**
 * Everything the benchmark starts (origin processes, workerd, nginx, listeners) registers how to
 * stop it here. `stopAll()` runs at the end of a run, on an error and on Ctrl-C / SIGTERM, so no
 * process outlives the benchmark.
 */

type Stopper = () => Promise<void> | void;

const stoppers = new Map<number, { label: string; stop: Stopper }>();
let nextId = 1;
let installed = false;
let stopping: Promise<void> | null = null;

/**
 * Registers a stopper; the returned function runs it once and unregisters it.
 * @example const stop = onCleanup("nginx", () => child.kill()); ... await stop();
 */
export function onCleanup(label: string, stop: Stopper): () => Promise<void> {
  installSignalHandlers();
  const id = nextId++;
  stoppers.set(id, { label, stop });
  return async () => {
    const entry = stoppers.get(id);
    if (!entry) return;
    stoppers.delete(id);
    await runStopper(entry.label, entry.stop);
  };
}

/** Stops everything still registered, newest first. Safe to call more than once. */
export function stopAll(): Promise<void> {
  stopping ??= (async () => {
    const entries = [...stoppers.entries()].reverse();
    stoppers.clear();
    for (const [, entry] of entries) await runStopper(entry.label, entry.stop);
  })().finally(() => {
    stopping = null;
  });
  return stopping;
}

async function runStopper(label: string, stop: Stopper): Promise<void> {
  try {
    await withTimeout(Promise.resolve(stop()), 10_000);
  } catch (error) {
    process.stderr.write(`bench: could not stop ${label}: ${String(error)}\n`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Stops everything on Ctrl-C, SIGTERM and SIGHUP (installed by the first `onCleanup` too). */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping everything it started\n`);
      void stopAll().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
}
