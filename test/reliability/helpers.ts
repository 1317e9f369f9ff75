// Shared helpers of the reliability suite: dt in the background (to signal it or to stop the
// engine under it), polling, and the leftovers an interrupted dt must not leave.
import type Docker from "dockerode";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

// The e2e tests need the same background runner; it lives in test/support.
export { killStragglers, spawnDt, waitUntil, type Background } from "../support/background.ts";

/** Containers carrying dt's workspace label for `root` on the engine `api`, in any state. */
export async function dtContainers(api: Docker, root: string) {
  return api.listContainers({ all: true, filters: { label: [`dev.dt.workspace=${root}`] } });
}

export async function runningDtContainers(api: Docker, root: string) {
  return (await dtContainers(api, root)).filter((c) => c.State === "running");
}

/** Every file under `dir` whose name is a writeFileAtomic temp file (`.NAME.dt-PID-TIME.tmp`) or ends in .tmp. */
export function tempLeftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && (/\.dt-\d+-\d+\.tmp$/.test(entry.name) || entry.name.endsWith(".tmp"))) {
      found.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
    }
  }
  return found;
}

/** A short random suffix for image and repository names, so concurrent runs never collide. */
export const suffix = () => Math.random().toString(36).slice(2, 8);

/** One changelog entry, valid for parseChangelog. */
export const changelog = (name: string, version = "0.1.0") => `# ${name}-${version}\n- 2026-11-20\n- Initial\n`;

/** The fast suite with a long per-test timeout, for tests that sleep on purpose. */
export const LONG_FAST_SUITE = 'test:\n  suites:\n    fast: {marker: "not slow and not superslow", timeout: 600}\n';
