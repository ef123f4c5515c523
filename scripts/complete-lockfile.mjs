#!/usr/bin/env node
// Adds lockfile entries for platform-specific optional packages that the registry in use does not
// serve (a mirror that only carries the current platform). Without them `npm ci` rejects the
// lockfile as out of sync; with them it validates and skips the foreign-platform packages.
// Run after `npm install` changes dependencies: `node scripts/complete-lockfile.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;
const OS = [
  "darwin",
  "win32",
  "linux",
  "android",
  "freebsd",
  "openbsd",
  "netbsd",
  "sunos",
  "aix",
  "openharmony",
];
const CPU = ["arm64", "x64", "ia32", "arm", "ppc64", "s390x", "riscv64", "loong64", "mips64el"];
const alias = { windows: "win32", 64: "x64", macos: "darwin" };

function platformOf(name) {
  const parts = name
    .split("/")
    .pop()
    .split("-")
    .map((p) => alias[p] ?? p);
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p)) ?? (parts.includes("64") ? "x64" : undefined);
  return { os, cpu, musl: parts.includes("musl") };
}

let added = 0;
for (const [key, entry] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${dep}`;
    if (packages[target] || packages[`${key}/node_modules/${dep}`]) continue;
    const { os, cpu, musl } = platformOf(dep);
    if (!os) continue;
    packages[target] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(musl ? { libc: ["musl"] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} foreign-platform optional entries`);
