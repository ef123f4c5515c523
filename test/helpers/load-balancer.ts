/**
 * A load balancer under test: the real runtime, an admin API client for it and its echo origins,
 * started together and stopped together, so an end-to-end file sets all of it up in one call.
 */
import { type AdminClient, adminClient } from "./admin-client.ts";
import { type OriginKnobs, startOrigin, stopOrigins, type TestOrigin } from "./origins.ts";
import { type Runtime, type StartRuntimeOptions, startRuntime } from "./runtime.ts";

/** An origin to start: its name, or its name and the knobs it starts (and resets) with. */
export type OriginSpec = string | { name: string; knobs: OriginKnobs };

export interface LoadBalancerOptions extends StartRuntimeOptions {
  /** Echo origins to start before the runtime, in this order (none by default). */
  origins?: readonly OriginSpec[];
}

/** The runtime (its `stop()` also stops the origins), with its origins and an admin client. */
export interface TestLoadBalancer extends Runtime {
  /** Management API client authenticated with the admin token. */
  readonly api: AdminClient;
  /** The started origins, in the order they were asked for; `stop()` stops whatever is in it then. */
  readonly origins: TestOrigin[];
  /** The origin named `name`; throws when there is none. */
  origin(name: string): TestOrigin;
}

/**
 * Starts the origins, then the runtime; when either fails, whatever did start is stopped again.
 * @example lb = await startLoadBalancer({ origins: ["a", "b"] }); await servePool(lb.api, "app.test", poolOf("web", lb.origins));
 */
export async function startLoadBalancer(options: LoadBalancerOptions = {}): Promise<TestLoadBalancer> {
  const { origins: specs = [], ...runtimeOptions } = options;
  const started = await Promise.allSettled(
    specs.map((spec) => (typeof spec === "string" ? startOrigin(spec) : startOrigin(spec.name, spec.knobs))),
  );
  const origins = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failed = started.find((result) => result.status === "rejected");
  if (failed) {
    await stopOrigins(origins);
    throw failed.reason;
  }
  let runtime: Runtime;
  try {
    runtime = await startRuntime(runtimeOptions);
  } catch (error) {
    await stopOrigins(origins);
    throw error;
  }
  return {
    url: runtime.url,
    port: runtime.port,
    adminToken: runtime.adminToken,
    readToken: runtime.readToken,
    output: () => runtime.output(),
    api: adminClient(runtime.url, runtime.adminToken),
    origins,
    origin(name) {
      const found = origins.find((origin) => origin.name === name);
      if (!found) throw new Error(`no origin ${name}`);
      return found;
    },
    async stop() {
      await runtime.stop();
      await stopOrigins(origins);
    },
  };
}
