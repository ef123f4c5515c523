/**
 * Another revision of the load balancer, bundled beside the working tree's, so that a benchmark
 * can compare before and after in the same run (same process, same load, alternating segments).
 * The revision's files come from `git archive` into a temporary directory that borrows this
 * tree's node_modules; the repository itself is not touched.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { onCleanup } from "../lib/cleanup.ts";
import { bundleWorker } from "./workerd.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);

export interface RevisionBundle {
  /** The revision's short commit id. */
  commit: string;
  bundlePath: string;
}

/**
 * Bundles the load balancer as it was at `ref` (a commit, branch or tag).
 * @example const before = await bundleRevision("main");
 */
export async function bundleRevision(ref: string): Promise<RevisionBundle> {
  const { stdout } = await run("git", ["rev-parse", "--short", "--verify", `${ref}^{commit}`], { cwd: ROOT });
  const commit = stdout.trim();
  const dir = mkdtempSync(join(tmpdir(), "edge-lb-rev-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  onCleanup(`revision ${commit}`, remove, remove);
  const src = join(dir, "src");
  mkdirSync(src);
  await run("sh", ["-c", 'git archive --format=tar "$1" | tar -x -C "$2"', "sh", commit, src], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  symlinkSync(join(ROOT, "node_modules"), join(src, "node_modules"), "dir");
  return { commit, bundlePath: await bundleWorker(join(dir, "bundle"), src) };
}
