import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { asset } from "../base/assets.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import { cacheBase } from "../base/home.ts";

/**
 * The directory holding dt's pytest plugin, materialised once per plugin version in the user's
 * cache (content-addressed, so two dt versions never fight over it) and mounted read-only into
 * test containers.
 */
export function pytestPluginDir(env = process.env): string {
  const text = asset("pytest/dt_pytest.py");
  const key = createHash("sha256").update(text).digest("hex").slice(0, 12);
  for (const base of [join(cacheBase(env), "dt"), join(tmpdir(), `dt-${process.getuid?.() ?? 0}`)]) {
    const dir = join(base, `pytest-${key}`);
    const file = join(dir, "dt_pytest.py");
    if (readText(file) === text) return dir;
    try {
      writeFileAtomic(file, text);
      return dir;
    } catch {
      // An unwritable cache: fall back to the next candidate.
    }
  }
  throw new Error("cannot write dt's pytest plugin to a cache directory");
}

export const PLUGIN_MOUNT = "/opt/dt-pytest";
