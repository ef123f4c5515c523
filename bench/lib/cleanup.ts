/**
 * Everything the benchmark starts (origin processes, workerd, nginx, listeners) registers how to
 * stop it here. `stopAll()` runs at the end of a run, on an error and on Ctrl-C / SIGTERM, so no
 * process outlives the benchmark. Miniflare exits the process from its own signal handler before
 * asynchronous stoppers can finish, so a stopper may also give a synchronous `atExit` fallback
 * (kill a child, remove a directory) that runs on the process's `exit` event if it has not run.
 */

type Stopper = () => Promise<void> | void;

interface Entry {
  label: string;
  stop: Stopper;
  atExit: (() => void) | undefined;
  /** Set once the stopper started, so it never runs twice. */
  started: boolean;
}

const stoppers = new Map<number, Entry>();
let nextId = 1;
let installed = false;
let stopping: Promise<void> | null = null;

/**
 * Registers a stopper; the returned function runs it once and unregisters it.
 * @example const stop = onCleanup("nginx", () => child.kill()); ... await stop();
 */
export function onCleanup(label: string, stop: Stopper, atExit?: () => void): () => Promise<void> {
  installSignalHandlers();
  const id = nextId++;
  stoppers.set(id, { label, stop, atExit, started: false });
  return () => runEntry(id);
}

/** Stops everything still registered, newest first. Safe to call more than once. */
export function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const id of [...stoppers.keys()].reverse()) await runEntry(id);
  })().finally(() => {
    stopping = null;
  });
  return stopping;
}

/** Runs one stopper once; it stays registered (for the exit fallback) until it has finished. */
async function runEntry(id: number): Promise<void> {
  const entry = stoppers.get(id);
  if (!entry || entry.started) return;
  entry.started = true;
  try {
    await withTimeout(Promise.resolve(entry.stop()), 10_000);
  } catch (error) {
    process.stderr.write(`bench: could not stop ${entry.label}: ${String(error)}\n`);
  } finally {
    stoppers.delete(id);
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
  process.on("exit", () => {
    for (const entry of [...stoppers.values()].reverse()) {
      try {
        entry.atExit?.();
      } catch {
        // Exiting anyway: nothing better to do than try the next one.
      }
    }
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping everything it started\n`);
      void stopAll().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
}
