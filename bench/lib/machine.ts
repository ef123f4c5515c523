/** The machine a run happened on, written next to its figures. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  workerd: string;
  miniflare: string;
  wrangler: string;
  autocannon: string;
  nginx: string;
  loadAverage: string;
  date: string;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return "not installed";
  }
}

function cpuModel(): string {
  try {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    const match = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
    if (match?.[1]) return match[1].trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return os.cpus()[0]?.model ?? "unknown";
}

/** The nginx version on PATH (e.g. "nginx/1.22.1"), or null when there is none. */
export function nginxVersion(): string | null {
  const result = spawnSync("nginx", ["-v"], { encoding: "utf8" });
  if (result.error || result.status !== 0) return null;
  const match = /nginx version:\s*(\S+)/.exec(`${result.stderr}${result.stdout}`);
  return match?.[1] ?? "nginx (unknown version)";
}

/** Describes this machine and the versions of everything measured. */
export function describeMachine(): MachineInfo {
  const nginx = nginxVersion();
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    workerd: packageVersion("workerd"),
    miniflare: packageVersion("miniflare"),
    wrangler: packageVersion("wrangler"),
    autocannon: packageVersion("autocannon"),
    nginx: nginx ?? "not on PATH",
    loadAverage: os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" / "),
    date: new Date().toISOString(),
  };
}

/** One line per fact, as a Markdown list. */
export function machineToMarkdown(info: MachineInfo): string {
  return [
    `- CPU: ${info.cpu}, ${info.cores} cores available, ${info.memoryGiB} GiB memory`,
    `- OS: ${info.os}`,
    `- Node ${info.node}; workerd ${info.workerd} (miniflare ${info.miniflare}, wrangler ${info.wrangler}); autocannon ${info.autocannon}; nginx ${info.nginx}`,
    `- Load average at start (1/5/15 min): ${info.loadAverage}`,
    `- Date: ${info.date}`,
  ].join("\n");
}
