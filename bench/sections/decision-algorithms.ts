/**
 * Finds the balancing algorithms that exist in worker/balancing. Each is measured from its own module
 * (`worker/balancing/<name>.ts`, its `create…Balancer` export), and the factory `createBalancer` of
 * worker/balancing/index.ts is checked against it: where the factory answers differently (e.g. falls
 * back to another algorithm), a note says so. An algorithm without a module is reported as missing,
 * never replaced by a stand-in.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Balancer, BalancerOrigin, Candidate } from "../../worker/balancing/types.ts";
import { ALGORITHMS, type AlgorithmName } from "../../worker/config/schema.ts";

const BALANCING = resolve(import.meta.dirname, "../../worker/balancing");

export type BuildBalancer = (origins: readonly BalancerOrigin[]) => Balancer;

export interface FoundAlgorithm {
  name: AlgorithmName;
  build: BuildBalancer | null;
  /** Where it came from, or why it is missing. */
  source: string;
  /** Set when `createBalancer(name)` does not behave like the module. */
  factoryMismatch: boolean;
}

type Factory = (...args: unknown[]) => unknown;

function isBalancer(value: unknown): value is Balancer {
  return typeof (value as Balancer | null)?.pick === "function";
}

async function importIfPresent(file: string): Promise<Record<string, unknown> | null> {
  const path = join(BALANCING, file);
  if (!existsSync(path)) return null;
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

/**
 * The module's `create…Balancer` export. Factories that precompute take the pool's origins as their
 * first parameter (named `origins`); the others take nothing or an options object.
 */
function moduleFactory(module: Record<string, unknown>): BuildBalancer | null {
  const entry = Object.entries(module).find(
    ([key, value]) => /^create\w*Balancer$/.test(key) && typeof value === "function",
  );
  if (!entry) return null;
  const factory = entry[1] as Factory;
  const takesOrigins = /^[^(]*\(\s*origins\b/.test(factory.toString());
  return (origins) => {
    const balancer = takesOrigins ? factory(origins) : factory();
    if (!isBalancer(balancer)) throw new Error(`${entry[0]} did not return a balancer`);
    return balancer;
  };
}

/** Deterministic random numbers, so two balancers can be compared pick by pick. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** Whether two balancers pick the same origins for the same inputs. */
function sameBehaviour(a: Balancer, b: Balancer): boolean {
  const candidates: Candidate[] = Array.from({ length: 7 }, (_, index) => ({
    name: `o${index}`,
    index,
    weight: 1 + (index % 3),
    inflight: (index * 5) % 7,
    latencyMs: 10 + ((index * 13) % 17),
  }));
  const randomA = sequence(7);
  const randomB = sequence(7);
  for (let i = 0; i < 200; i++) {
    const key = `10.0.${i % 7}.${i}`;
    const pickedA = a.pick({ candidates, key, random: randomA })?.name;
    const pickedB = b.pick({ candidates, key, random: randomB })?.name;
    if (pickedA !== pickedB) return false;
  }
  return true;
}

const SAMPLE_ORIGINS: BalancerOrigin[] = Array.from({ length: 7 }, (_, i) => ({
  name: `o${i}`,
  weight: 1 + (i % 3),
}));

/** Every algorithm of the resource model, with how to build it (or why it cannot be measured). */
export async function findAlgorithms(): Promise<FoundAlgorithm[]> {
  const index = await importIfPresent("index.ts");
  const createBalancer = index?.createBalancer as Factory | undefined;
  const found: FoundAlgorithm[] = [];
  for (const name of ALGORITHMS) {
    const file = `${name.replaceAll("_", "-")}.ts`;
    const module = await importIfPresent(file);
    const build = module ? moduleFactory(module) : null;
    if (!build) {
      found.push({
        name,
        build: null,
        source: `not measured: worker/balancing/${file} does not exist yet`,
        factoryMismatch: false,
      });
      continue;
    }
    let factoryMismatch = false;
    if (typeof createBalancer === "function") {
      const viaFactory = createBalancer(name, SAMPLE_ORIGINS);
      factoryMismatch = !isBalancer(viaFactory) || !sameBehaviour(viaFactory, build(SAMPLE_ORIGINS));
    }
    found.push({ name, build, source: `worker/balancing/${file}`, factoryMismatch });
  }
  return found;
}
