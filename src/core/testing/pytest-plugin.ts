import { sha256Hex } from "../base/random.ts";
import { lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { asset } from "../base/assets.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import { onCleanup } from "../base/lifecycle.ts";
import { cacheBase } from "../base/home.ts";

export const PLUGIN_MOUNT = "/opt/dt-pytest";
const PLUGIN_NAME = "dt_pytest.py";

/**
 * `dir`, made 0700 where missing, if no other user can put files in it: it is ours and not
 * group/world-writable, and every directory above it is ours or root's and not writable by
 * others, unless sticky (as /tmp is) with our directory in it. Otherwise undefined. Another
 * user who could write there could plant code (a sitecustomize.py) that our tests would run.
 */
function privateDir(dir: string): string | undefined {
  const uid = process.getuid?.();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const real = realpathSync(dir);
    if (uid === undefined) return real;
    const own = lstatSync(real);
    if (!own.isDirectory() || own.uid !== uid || (own.mode & 0o022) !== 0) return undefined;
    for (let child = real, parent = dirname(real); ; child = parent, parent = dirname(parent)) {
      const st = statSync(parent);
      if (st.uid !== uid && st.uid !== 0) return undefined;
      if ((st.mode & 0o022) !== 0 && ((st.mode & 0o1000) === 0 || lstatSync(child).uid !== uid)) return undefined;
      if (dirname(parent) === parent) break;
    }
    return real;
  } catch {
    return undefined;
  }
}

let materialised: string | undefined;

/**
 * dt's pytest plugin as a file on the host, to mount read-only (the file alone, so nothing
 * else of its directory reaches the container). Kept once per plugin version in the user's
 * cache (content-addressed, so two dt versions never fight over it), else in `/tmp/dt-UID`;
 * either only when private (see `privateDir`), else in a fresh temp dir removed when dt ends.
 */
export function pytestPluginFile(env = process.env): string {
  if (materialised) return materialised;
  const text = asset("pytest/dt_pytest.py");
  const key = sha256Hex(text).slice(0, 12);
  const cache = cacheBase(env);
  for (const base of [join(cache, "dt"), join(tmpdir(), `dt-${process.getuid?.() ?? 0}`)]) {
    const dir = privateDir(join(base, `pytest-${key}`));
    if (!dir) continue;
    const file = join(dir, PLUGIN_NAME);
    try {
      if (readText(file) !== text) writeFileAtomic(file, text, 0o644);
      return (materialised = file);
    } catch {
      // An unwritable cache: the next candidate.
    }
  }
  const fresh = mkdtempSync(join(tmpdir(), "dt-pytest-"));
  onCleanup(() => rmSync(fresh, { recursive: true, force: true }));
  writeFileAtomic(join(fresh, PLUGIN_NAME), text, 0o644);
  return (materialised = join(fresh, PLUGIN_NAME));
}

/** The bind that puts the plugin at PLUGIN_MOUNT in a test container. */
export const pluginBind = () => `${pytestPluginFile()}:${PLUGIN_MOUNT}/${PLUGIN_NAME}:ro`;
