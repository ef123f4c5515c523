/**
 * `npm run bench [-- <section>...] [--quick] [--seconds N] [--connections N]`
 *
 * Sections: decision, overhead (proxy overhead), state (Durable Object calls per 100 requests at
 * paced rates, and the scale simulation's per-object figures), failover, memory, profile (CPU-only
 * harness), coldstart. Without a section, all run.
 * Prints the tables and merges the figures into
 * bench/RESULTS.md with a description of the machine (not with --quick). Benchmarks print figures;
 * they assert nothing.
 */
import { parseArgs } from "node:util";
import { installSignalHandlers, stopAll } from "./lib/cleanup.ts";
import { describeMachine } from "./lib/machine.ts";
import { type SectionResult, sectionToText } from "./lib/report.ts";
import { RESULTS_PATH, writeResults } from "./lib/results-file.ts";
import { runColdStart } from "./sections/coldstart.ts";
import { runDecision } from "./sections/decision.ts";
import { runFailover } from "./sections/failover.ts";
import { runMemory } from "./sections/memory.ts";
import { runOverhead } from "./sections/overhead.ts";
import { runProfile } from "./sections/profile.ts";
import { runStateRates } from "./sections/state-rates.ts";

const SECTIONS = ["decision", "overhead", "state", "failover", "memory", "profile", "coldstart"] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench [-- [decision|overhead|state|failover|memory|profile|coldstart]... [options]]
  decision         ns per pick of every balancing algorithm and of routing, plain Node
  overhead         the load balancer vs a bare pass-through Worker in workerd (and nginx when on
                   PATH); prints the Durable Object calls per 100 requests of the same run
  state            Durable Object calls per 100 requests of one isolate at 2, 10, 100 and 1,000
                   requests/s (about 2.5 minutes), and the scale simulation's per-object figures
  failover         kill one of three origins under load, then restart it
  memory           heap of one Worker isolate with the largest configuration the limits allow
  profile          CPU per request (LB vs pass-through), V8 CPU profile and bytes allocated per
                   request of the load balancer's isolate, in the CPU-only harness
  coldstart        bundle size; a fresh workerd process to its first proxied response, vs hello world
options:
  --quick          short runs, for a smoke test (bench/RESULTS.md is left alone)
  --seconds N      measured seconds per target in the overhead section (default 20)
  --connections N  autocannon connections in the overhead section (default 10)
  --against REF    overhead, profile: run the load balancer at git revision REF beside this tree's
                   (before/after, same run)
  --rounds N       ABBA rounds: of the overhead section's load segments (default 5) and of the
                   profile section's CPU segments (default 3)`;

function parse(): {
  sections: Section[];
  quick: boolean;
  seconds: number;
  connections: number;
  against: string | undefined;
  /** Null: each section's own default. */
  rounds: number | null;
} {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      seconds: { type: "string" },
      connections: { type: "string", default: "10" },
      against: { type: "string" },
      rounds: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  for (const name of positionals) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      console.error(`unknown section "${name}"\n${USAGE}`);
      process.exit(2);
    }
  }
  const requested = (positionals.length > 0 ? positionals : SECTIONS) as Section[];
  const sections = [...new Set(requested)];
  const seconds = Number(values.seconds ?? (values.quick ? 2 : 20));
  const connections = Number(values.connections);
  const rounds = values.rounds === undefined ? null : Number(values.rounds);
  if (
    !(seconds > 0) ||
    !(connections > 0) ||
    !(rounds === null || (Number.isInteger(rounds) && rounds > 0))
  ) {
    console.error(`--seconds, --connections and --rounds must be positive numbers\n${USAGE}`);
    process.exit(2);
  }
  return { sections, quick: values.quick, seconds, connections, against: values.against, rounds };
}

async function main(): Promise<number> {
  const options = parse();
  const machine = describeMachine();
  console.log(
    `Edge LB benchmarks: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, workerd ${machine.workerd}, load ${machine.loadAverage}\n`,
  );
  const results: SectionResult[] = [];
  let failed = false;
  for (const section of options.sections) {
    try {
      const produced =
        section === "decision"
          ? [await runDecision(options)]
          : section === "overhead"
            ? await runOverhead({ ...options, rounds: options.rounds ?? (options.quick ? 1 : 5) })
            : section === "state"
              ? [await runStateRates(options)]
              : section === "memory"
                ? [await runMemory()]
                : section === "profile"
                  ? [await runProfile({ ...options, rounds: options.rounds ?? (options.quick ? 1 : 3) })]
                  : section === "coldstart"
                    ? [await runColdStart(options)]
                    : [await runFailover(options)];
      for (const result of produced) {
        // The overhead run's own DO-call figure is printed; the "state" section's paced rates are
        // what bench/RESULTS.md keeps.
        if (section === "state" || result.id !== "state") results.push(result);
        console.log(`${sectionToText(result)}\n`);
      }
    } catch (error) {
      failed = true;
      console.error(`bench: section ${section} failed: ${(error as Error).stack ?? String(error)}\n`);
    } finally {
      await stopAll();
    }
  }
  if (options.quick) {
    console.log("--quick: smoke-test figures, not written to bench/RESULTS.md");
  } else if (results.length > 0) {
    writeResults(machine, results);
    console.log(`Figures written to ${RESULTS_PATH}`);
  }
  return failed ? 1 : 0;
}

process.on("uncaughtException", (error) => {
  console.error(`bench: ${error.stack ?? String(error)}`);
  void stopAll().finally(() => process.exit(1));
});
installSignalHandlers();

main().then(
  async (code) => {
    await stopAll();
    process.exit(code);
  },
  async (error: unknown) => {
    console.error(`bench: ${(error as Error).stack ?? String(error)}`);
    await stopAll();
    process.exit(1);
  },
);
