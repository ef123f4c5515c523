/**
 * Command-line parsing for `edge-lb`: which command, its arguments, and where the API is.
 * Pure: takes argv and the environment, returns a parsed invocation or throws `UsageError`.
 */
import { parseArgs } from "node:util";

/** A mistake in how the command was called; the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

interface CommandSpec {
  /** Positional arguments, in order, as shown in the usage line. */
  args: string[];
  /** Flags this command accepts besides the connection flags. */
  flags: string[];
  /** Whether it talks to the API (and so needs an endpoint and a token). */
  remote: boolean;
  summary: string;
  /** More about the arguments, shown in the command's own help. */
  note?: string;
}

export const COMMANDS: Record<string, CommandSpec> = {
  apply: {
    args: ["file"],
    flags: ["dry-run", "requests"],
    remote: true,
    summary: "Show what a JSON or YAML configuration file changes, then apply it atomically",
    note:
      "<file> is JSON when it ends in .json, YAML otherwise; - reads standard input.\n" +
      "--requests <file.jsonl> also shows what share of those requests would change load balancer, pool or origin.",
  },
  history: {
    args: [],
    flags: ["json"],
    remote: true,
    summary: "The kept configuration versions, newest first: when, by which role, what changed",
  },
  rollback: {
    args: ["version"],
    flags: ["dry-run"],
    remote: true,
    summary: "Make an earlier configuration version current again (as a new version)",
  },
  export: {
    args: [],
    flags: ["format"],
    remote: true,
    summary: "Print the whole configuration, ready to edit and apply",
  },
  status: {
    args: [],
    flags: ["json"],
    remote: true,
    summary: "Each load balancer's serving pool and why; each pool's origin health",
  },
  drain: {
    args: ["pool", "origin"],
    flags: [],
    remote: true,
    summary: "Send an origin no new requests (weight 0); running ones finish",
  },
  undrain: {
    args: ["pool", "origin"],
    flags: [],
    remote: true,
    summary: "Restore a drained origin's weight",
  },
  explain: {
    args: ["url"],
    flags: ["ip", "header", "country", "continent", "json"],
    remote: true,
    summary: "Which load balancer, pool and origin a request would reach now, and why",
  },
  import: {
    args: ["file"],
    flags: ["from", "format"],
    remote: false,
    summary: "Convert another load balancer's configuration into an Edge LB file",
    note:
      "--from cloudflare: <file> is JSON holding the load_balancers, pools and monitors arrays of\n" +
      "Cloudflare's API (- reads standard input). The document goes to standard output, the report of\n" +
      "what did not convert exactly to standard error; nothing is applied.",
  },
  help: { args: [], flags: [], remote: false, summary: "Show this help, or a command's help" },
};

/** The systems `import --from` reads. */
export const IMPORT_SOURCES = ["cloudflare"] as const;

const OPTIONS = {
  endpoint: { type: "string" },
  token: { type: "string" },
  help: { type: "boolean", short: "h" },
  "dry-run": { type: "boolean" },
  format: { type: "string" },
  from: { type: "string" },
  json: { type: "boolean" },
  ip: { type: "string" },
  country: { type: "string" },
  continent: { type: "string" },
  header: { type: "string", multiple: true },
  requests: { type: "string" },
} as const;

const CONNECTION_FLAGS = ["endpoint", "token", "help"];

export interface Connection {
  /** Base URL of the Worker, e.g. `https://lb.example.com` (no API path). */
  endpoint: string;
  token: string;
}

export interface Invocation {
  command: string;
  args: string[];
  dryRun: boolean;
  format: "yaml" | "json";
  json: boolean;
  ip: string | undefined;
  /** For `explain`: where the request comes from (geo steering). */
  country: string | undefined;
  continent: string | undefined;
  headers: Array<[string, string]>;
  /** For `apply`: a JSON Lines file of sample requests for the impact preview. */
  requests: string | undefined;
  /** For `import`: the system the file comes from. */
  from: string | undefined;
  /** Set for remote commands; `help` has none. */
  connection: Connection | undefined;
  /** `--help` after a command, or `help <command>`: show that command's usage. */
  helpFor: string | undefined;
}

/**
 * Parses `argv` (without node and the script) against the environment.
 *
 * @example parseInvocation(["drain", "web", "eu-1"], { EDGE_LB_ENDPOINT: "https://lb", EDGE_LB_TOKEN: "t" })
 */
export function parseInvocation(argv: string[], env: Record<string, string | undefined>): Invocation {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;

  if (command === undefined || command === "help") {
    const topic = command === "help" ? args[0] : undefined;
    if (topic !== undefined && !(topic in COMMANDS)) throw new UsageError(`Unknown command "${topic}"`);
    return emptyInvocation("help", topic);
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`Unknown command "${command}"`);
  if (values.help) return emptyInvocation("help", command);

  for (const flag of Object.keys(values)) {
    if (!CONNECTION_FLAGS.includes(flag) && !spec.flags.includes(flag)) {
      throw new UsageError(`"${command}" does not take --${flag}`, command);
    }
  }
  if (args.length !== spec.args.length) {
    const expected = spec.args.length === 0 ? "no arguments" : spec.args.map((a) => `<${a}>`).join(" ");
    throw new UsageError(`"${command}" takes ${expected}, got ${args.length}`, command);
  }

  const format = values.format ?? "yaml";
  if (format !== "yaml" && format !== "json") {
    throw new UsageError(`--format must be "yaml" or "json", not "${format}"`, command);
  }
  if (command === "import" && !(IMPORT_SOURCES as readonly string[]).includes(values.from ?? "")) {
    const given = values.from === undefined ? "" : ` (got "${values.from}")`;
    throw new UsageError(`"import" needs --from ${IMPORT_SOURCES.join("|")}${given}`, command);
  }
  return {
    command,
    args,
    dryRun: values["dry-run"] ?? false,
    format,
    json: values.json ?? false,
    ip: values.ip,
    country: values.country,
    continent: values.continent,
    headers: (values.header ?? []).map((pair) => parseHeader(pair, command)),
    requests: values.requests,
    from: values.from,
    connection: spec.remote ? resolveConnection(values.endpoint, values.token, env, command) : undefined,
    helpFor: undefined,
  };
}

function emptyInvocation(command: string, helpFor: string | undefined): Invocation {
  return {
    command,
    args: [],
    dryRun: false,
    format: "yaml",
    json: false,
    ip: undefined,
    country: undefined,
    continent: undefined,
    headers: [],
    requests: undefined,
    from: undefined,
    connection: undefined,
    helpFor,
  };
}

function parseHeader(pair: string, command: string): [string, string] {
  const at = pair.indexOf("=");
  const name = at > 0 ? pair.slice(0, at).trim() : "";
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`--header takes name=value, e.g. --header x-user=42 (got "${pair}")`, command);
  }
  return [name.toLowerCase(), pair.slice(at + 1)];
}

/**
 * The Worker's base URL and the token, from flags first, then `EDGE_LB_ENDPOINT` / `EDGE_LB_TOKEN`.
 * An endpoint given with the API path (`.../__lb/api/v1`) is accepted and trimmed to the base.
 */
export function resolveConnection(
  endpointFlag: string | undefined,
  tokenFlag: string | undefined,
  env: Record<string, string | undefined>,
  command?: string,
): Connection {
  const raw = endpointFlag ?? env.EDGE_LB_ENDPOINT;
  if (!raw) throw new UsageError("No endpoint: pass --endpoint <url> or set EDGE_LB_ENDPOINT", command);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(
      `--endpoint must be an http(s) URL, e.g. https://lb.example.com (got "${raw}")`,
      command,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--endpoint must be an http(s) URL (got "${raw}")`, command);
  }
  const path = url.pathname.replace(/\/+$/, "").replace(/\/__lb(?:\/api(?:\/v1)?)?$/, "");
  const endpoint = `${url.origin}${path}`;
  const token = tokenFlag ?? env.EDGE_LB_TOKEN;
  if (!token) throw new UsageError("No token: pass --token <token> or set EDGE_LB_TOKEN", command);
  return { endpoint, token };
}

/** The full help text, or one command's usage when `command` is given. */
export function usage(command?: string): string {
  const connection = [
    "Connection (every command that talks to the API):",
    "  --endpoint <url>     the Worker's URL, e.g. https://lb.example.com (env EDGE_LB_ENDPOINT)",
    "  --token <token>      ADMIN_TOKEN to change things, READ_TOKEN to look (env EDGE_LB_TOKEN)",
  ];
  const spec = command ? COMMANDS[command] : undefined;
  if (command && spec) {
    const flags = spec.flags.map(flagLine);
    return [
      `Usage: edge-lb ${command} ${spec.args.map((a) => `<${a}>`).join(" ")}`.trimEnd(),
      "",
      `${spec.summary}.`,
      ...(spec.note ? [spec.note] : []),
      ...(flags.length ? ["", "Options:", ...flags] : []),
      "",
      ...(spec.remote ? connection : []),
    ].join("\n");
  }
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length + 1 + signature(name).length));
  return [
    "Usage: edge-lb <command> [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(
      ([name, s]) => `  ${`${name} ${signature(name)}`.padEnd(width)}   ${s.summary}`,
    ),
    "",
    ...connection,
    "",
    "Run `edge-lb <command> --help` for a command's options.",
    "Exit codes: 0 done, 1 failed (the API refused or could not be reached, a file could not be read",
    "or nothing in it converted), 2 wrong usage.",
  ].join("\n");
}

function signature(command: string): string {
  return (COMMANDS[command]?.args ?? []).map((a) => `<${a}>`).join(" ");
}

const FLAG_HELP: Record<string, [string, string]> = {
  "dry-run": ["--dry-run", "show the changes only; change nothing"],
  format: ["--format yaml|json", "output format (default yaml)"],
  from: ["--from cloudflare", "where the file comes from: Cloudflare Load Balancing"],
  json: ["--json", "print the API's JSON instead of text"],
  ip: ["--ip <address>", "the client address the request comes from"],
  header: ["--header name=value", "a request header it carries (repeatable)"],
  country: ["--country <code>", "the client's country, e.g. DE (for geo steering)"],
  continent: ["--continent <code>", "the client's continent, e.g. EU (for geo steering)"],
  requests: ["--requests <file>", "sample requests, one JSON object per line: the impact preview"],
};

function flagLine(flag: string): string {
  const [name, description] = FLAG_HELP[flag] ?? [`--${flag}`, ""];
  return `  ${name.padEnd(21)}${description}`.trimEnd();
}
