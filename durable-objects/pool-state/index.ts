/**
 * The PoolState DO as the runtime sees it: a thin class whose implementation (./core.ts) is loaded
 * when an object is created, before its first call, so an isolate that only proxies never evaluates
 * it (as the ConfigStore, ../config-store/index.ts). Each method hands its call on as it is.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../worker/env.ts";
import type { PoolStateCore as Core } from "./core.ts";

export class PoolState extends DurableObject<Env> {
  #loaded: Core | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // No event reaches the object before this ends, so every method below finds the implementation.
    void ctx.blockConcurrencyWhile(async () => {
      const { PoolStateCore } = await import("./core.ts");
      this.#loaded = new PoolStateCore(ctx, env, () => this.now());
    });
  }

  /** The clock of every health decision; tests replace it to move time without sleeping. */
  protected now(): number {
    return Date.now();
  }

  get #core(): Core {
    if (!this.#loaded) throw new Error("PoolState used before its implementation was loaded");
    return this.#loaded;
  }

  configure(...args: Parameters<Core["configure"]>) {
    return this.#core.configure(...args);
  }
  override alarm() {
    return this.#core.alarm();
  }
  probed(...args: Parameters<Core["probed"]>) {
    return this.#core.probed(...args);
  }
  report(...args: Parameters<Core["report"]>) {
    return this.#core.report(...args);
  }
  noteConfigVersion(...args: Parameters<Core["noteConfigVersion"]>) {
    return this.#core.noteConfigVersion(...args);
  }
  snapshot() {
    return this.#core.snapshot();
  }
  health(...args: Parameters<Core["health"]>) {
    return this.#core.health(...args);
  }
  metrics(...args: Parameters<Core["metrics"]>) {
    return this.#core.metrics(...args);
  }
  history(...args: Parameters<Core["history"]>) {
    return this.#core.history(...args);
  }
  events(...args: Parameters<Core["events"]>) {
    return this.#core.events(...args);
  }
  timeline(...args: Parameters<Core["timeline"]>) {
    return this.#core.timeline(...args);
  }
  rememberDrainedWeight(...args: Parameters<Core["rememberDrainedWeight"]>) {
    return this.#core.rememberDrainedWeight(...args);
  }
  drainedWeight(...args: Parameters<Core["drainedWeight"]>) {
    return this.#core.drainedWeight(...args);
  }
  forgetDrainedWeight(...args: Parameters<Core["forgetDrainedWeight"]>) {
    return this.#core.forgetDrainedWeight(...args);
  }
}
