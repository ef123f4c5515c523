/**
 * The Notifier DO as the runtime sees it: a thin class whose implementation (./core.ts) is loaded
 * when an object is created, before its first call, so an isolate that only proxies never evaluates
 * it (as the ConfigStore, ../config-store/index.ts). Each method hands its call on as it is.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../worker/env.ts";
import type { NotifierCore as Core } from "./core.ts";

export class Notifier extends DurableObject<Env> {
  #loaded: Core | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // No event reaches the object before this ends, so every method below finds the implementation.
    void ctx.blockConcurrencyWhile(async () => {
      const { NotifierCore } = await import("./core.ts");
      this.#loaded = new NotifierCore(ctx, env);
    });
  }

  get #core(): Core {
    if (!this.#loaded) throw new Error("Notifier used before its implementation was loaded");
    return this.#loaded;
  }

  list() {
    return this.#core.list();
  }
  get(...args: Parameters<Core["get"]>) {
    return this.#core.get(...args);
  }
  create(...args: Parameters<Core["create"]>) {
    return this.#core.create(...args);
  }
  replace(...args: Parameters<Core["replace"]>) {
    return this.#core.replace(...args);
  }
  patch(...args: Parameters<Core["patch"]>) {
    return this.#core.patch(...args);
  }
  remove(...args: Parameters<Core["remove"]>) {
    return this.#core.remove(...args);
  }
  deliveries(...args: Parameters<Core["deliveries"]>) {
    return this.#core.deliveries(...args);
  }
  sendTest(...args: Parameters<Core["sendTest"]>) {
    return this.#core.sendTest(...args);
  }
  emit(...args: Parameters<Core["emit"]>) {
    return this.#core.emit(...args);
  }
  override alarm() {
    return this.#core.alarm();
  }
}
