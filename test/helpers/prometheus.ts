/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests: it throws, naming
 * the line, on anything a Prometheus server would reject or that breaks the format's rules
 * (malformed lines, bad escapes, a family split in two, TYPE after samples, duplicate series,
 * histograms whose buckets are not cumulative or lack `+Inf`, `_sum` or `_count`).
 */

export type FamilyType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface Sample {
  /** The sample's own name, e.g. `x_bucket` for histogram family `x`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: FamilyType;
  help: string | null;
  samples: Sample[];
}

export type Exposition = Map<string, Family>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly FamilyType[] = ["counter", "gauge", "histogram", "summary", "untyped"];

/**
 * Parses `text`, throwing on the first violation.
 * @example const families = parseExposition(await res.text()); families.get("edge_lb_pools")
 */
export function parseExposition(text: string): Exposition {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const families: Exposition = new Map();
  const closed = new Set<string>();
  const seen = new Set<string>();
  let current: Family | null = null;
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    const fail = (why: string): never => {
      throw new Error(`${where}: ${why}`);
    };
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!meta) return;
      const [, keyword, name = "", rest = ""] = meta;
      if (!METRIC_NAME.test(name)) fail(`bad metric name "${name}"`);
      if (closed.has(name) && current?.name !== name) fail(`family ${name} appears twice`);
      let family = families.get(name);
      if (!family) {
        if (current) closed.add(current.name);
        family = { name, type: "untyped", help: null, samples: [] };
        families.set(name, family);
        current = family;
      } else if (current?.name !== name) fail(`family ${name} appears twice`);
      if (keyword === "HELP") {
        if (family.help !== null) fail(`second HELP for ${name}`);
        family.help = unescapeHelp(rest, fail);
      } else {
        if (family.samples.length > 0) fail(`TYPE of ${name} after its samples`);
        if (!TYPES.includes(rest as FamilyType)) fail(`unknown type "${rest}"`);
        family.type = rest as FamilyType;
      }
      return;
    }
    const sample = parseSample(line, fail);
    const familyName = familyOf(sample.name, current);
    if (current?.name !== familyName) {
      if (closed.has(familyName) || families.has(familyName)) fail(`family ${familyName} appears twice`);
      if (current) closed.add(current.name);
      current = { name: familyName, type: "untyped", help: null, samples: [] };
      families.set(familyName, current);
    }
    const identity = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(identity)) fail("duplicate series");
    seen.add(identity);
    current.samples.push(sample);
  });
  for (const family of families.values()) {
    if (family.type === "histogram") checkHistogram(family);
    if (family.type === "counter") {
      for (const sample of family.samples) {
        if (!(sample.value >= 0)) throw new Error(`counter ${sample.name} is ${sample.value}`);
      }
    }
  }
  return families;
}

function familyOf(sampleName: string, current: Family | null): string {
  if (current?.type === "histogram") {
    for (const suffix of ["_bucket", "_sum", "_count"]) {
      if (sampleName === `${current.name}${suffix}`) return current.name;
    }
  }
  return sampleName;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (!head) return fail("a sample must start with a metric name");
  const name = head[1] as string;
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    let i = 1;
    for (;;) {
      if (rest[i] === "}") break;
      const labelName = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(rest.slice(i));
      if (!labelName) fail("bad label");
      const key = (labelName as RegExpExecArray)[1] as string;
      if (!LABEL_NAME.test(key) || key.startsWith("__")) fail(`bad label name "${key}"`);
      if (key in labels) fail(`label ${key} twice`);
      i += key.length + 2;
      let value = "";
      for (;;) {
        const c = rest[i];
        if (c === undefined) fail("unterminated label value");
        if (c === '"') break;
        if (c === "\\") {
          const next = rest[i + 1];
          if (next === "\\") value += "\\";
          else if (next === '"') value += '"';
          else if (next === "n") value += "\n";
          else fail(`bad escape \\${next ?? ""}`);
          i += 2;
          continue;
        }
        if (c === "\n") fail("raw line feed in a label value");
        value += c;
        i++;
      }
      labels[key] = value;
      i++;
      if (rest[i] === ",") i++;
      else if (rest[i] !== "}") fail("expected , or } after a label");
    }
    rest = rest.slice(i + 1);
  }
  const parts = /^ +(\S+)(?: +(-?\d+))?$/.exec(rest);
  if (!parts) return fail("expected a value after the name and labels");
  return { name, labels, value: parseValue(parts[1] as string, fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  if (text === "NaN") return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) fail(`bad value "${text}"`);
  return Number(text);
}

function unescapeHelp(text: string, fail: (why: string) => never): string {
  return text.replace(/\\(.?)/g, (_, next: string) => {
    if (next === "\\") return "\\";
    if (next === "n") return "\n";
    return fail(`bad escape in HELP \\${next}`);
  });
}

function checkHistogram(family: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let group = groups.get(key);
    if (!group) {
      group = { buckets: [] };
      groups.set(key, group);
    }
    if (sample.name === `${family.name}_bucket`) {
      if (le === undefined) throw new Error(`${sample.name} without le`);
      const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
      if (Number.isNaN(bound)) throw new Error(`${sample.name} with le="${le}"`);
      group.buckets.push([bound, sample.value]);
    } else if (sample.name === `${family.name}_sum`) group.sum = sample.value;
    else if (sample.name === `${family.name}_count`) group.count = sample.value;
    else throw new Error(`${sample.name} in histogram ${family.name}`);
  }
  for (const [key, group] of groups) {
    const where = `histogram ${family.name}${key}`;
    if (group.sum === undefined || group.count === undefined)
      throw new Error(`${where} lacks _sum or _count`);
    const last = group.buckets.at(-1);
    if (!last || last[0] !== Number.POSITIVE_INFINITY)
      throw new Error(`${where} lacks le="+Inf" as last bucket`);
    if (last[1] !== group.count) throw new Error(`${where}: +Inf bucket ${last[1]} != count ${group.count}`);
    for (let i = 1; i < group.buckets.length; i++) {
      const [bound, count] = group.buckets[i] as [number, number];
      const [previousBound, previousCount] = group.buckets[i - 1] as [number, number];
      if (bound <= previousBound) throw new Error(`${where}: le not increasing`);
      if (count < previousCount) throw new Error(`${where}: buckets not cumulative`);
    }
  }
}

/**
 * The value of the one sample named `name` whose labels include `labels`; undefined when there is
 * none, and an error when several match.
 */
export function sampleValue(
  families: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matches = samplesOf(families, name, labels);
  if (matches.length > 1)
    throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matches[0]?.value;
}

/** The sum of every sample named `name` whose labels include `labels` (0 when none). */
export function sumOf(families: Exposition, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(families, name, labels).reduce((total, sample) => total + sample.value, 0);
}

/** Every sample named `name` whose labels include `labels`. */
export function samplesOf(families: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  const found: Sample[] = [];
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) found.push(sample);
    }
  }
  return found;
}
