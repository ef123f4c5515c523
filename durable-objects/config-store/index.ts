/**
 * The ConfigStore DO as the runtime sees it: a thin class whose implementation (./core.ts, with the
 * configuration schemas and zod behind it) is loaded when an object is created, before its first
 * call. Every Worker isolate evaluates the classes it exports at startup; an isolate that only
 * proxies never creates this object, so it never evaluates what the object needs
 * (bench/RESULTS.md, section 6). Each method hands its call to the implementation as it is.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../worker/env.ts";
import type { ConfigStoreCore as Core } from "./core.ts";

export class ConfigStore extends DurableObject<Env> {
  #loaded: Core | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // No event reaches the object before this ends, so every method below finds the implementation.
    void ctx.blockConcurrencyWhile(async () => {
      const { ConfigStoreCore } = await import("./core.ts");
      this.#loaded = new ConfigStoreCore(ctx, env);
    });
  }

  get #core(): Core {
    if (!this.#loaded) throw new Error("ConfigStore used before its implementation was loaded");
    return this.#loaded;
  }

  snapshot(...args: Parameters<Core["snapshot"]>) {
    return this.#core.snapshot(...args);
  }
  getResource(...args: Parameters<Core["getResource"]>) {
    return this.#core.getResource(...args);
  }
  listResources(...args: Parameters<Core["listResources"]>) {
    return this.#core.listResources(...args);
  }
  createResource(...args: Parameters<Core["createResource"]>) {
    return this.#core.createResource(...args);
  }
  replaceResource(...args: Parameters<Core["replaceResource"]>) {
    return this.#core.replaceResource(...args);
  }
  patchResource(...args: Parameters<Core["patchResource"]>) {
    return this.#core.patchResource(...args);
  }
  deleteResource(...args: Parameters<Core["deleteResource"]>) {
    return this.#core.deleteResource(...args);
  }
  replaceConfig(...args: Parameters<Core["replaceConfig"]>) {
    return this.#core.replaceConfig(...args);
  }
  rollback(...args: Parameters<Core["rollback"]>) {
    return this.#core.rollback(...args);
  }
  versions(...args: Parameters<Core["versions"]>) {
    return this.#core.versions(...args);
  }
  versionDocument(...args: Parameters<Core["versionDocument"]>) {
    return this.#core.versionDocument(...args);
  }
  audit(...args: Parameters<Core["audit"]>) {
    return this.#core.audit(...args);
  }
  events(...args: Parameters<Core["events"]>) {
    return this.#core.events(...args);
  }
  affinityKey() {
    return this.#core.affinityKey();
  }
  pendingNotifications() {
    return this.#core.pendingNotifications();
  }
  override alarm() {
    return this.#core.alarm();
  }
}
