import { arch } from "node:os";
import { join } from "node:path";
import { workError } from "../base/errors.ts";
import { readText, writeFileAtomic } from "../base/fs-util.ts";
import type { Engine } from "../engine/engine.ts";
import { engineStoppedError } from "../engine/engine-errors.ts";
import { CONTAINER_LABEL, runContainerFully } from "../run/containers.ts";
import { lineCollector } from "../run/line-collector.ts";

/** The Python packages installed in one image, as recorded under `.dt/packages/<id>.json`. */
export interface ImagePackages {
  /** The image's id (`sha256:...`): the record belongs to the content, not to a tag. */
  id: string;
  python: string;
  recordedAt: string;
  packages: { name: string; version: string }[];
}

// importlib.metadata reads the dist-info/egg-info of every distribution on sys.path, so the
// listing needs no pip (Debian's python has none) and sees Debian's own packages too. The first
// one found for a name is the one `import` gets, as sys.path is searched in order.
const LIST_SCRIPT = `
import importlib.metadata as m, json, re, sys
seen = {}
for d in m.distributions():
    name = d.metadata["Name"]
    if name:
        key = re.sub(r"[-_.]+", "-", name).lower()
        seen.setdefault(key, {"name": key, "version": d.version})
print(json.dumps({"python": sys.version.split()[0], "packages": sorted(seen.values(), key=lambda p: p["name"])}))
`;

const NO_PYTHON = 97;

const hostArch = () => (arch() === "x64" ? "amd64" : arch());

export const packagesFile = (root: string, id: string) => join(root, ".dt", "packages", `${id.replace(/^sha256:/, "")}.json`);

export function readRecorded(root: string, id: string): ImagePackages | undefined {
  const text = readText(packagesFile(root, id));
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as ImagePackages;
    return parsed.id === id && Array.isArray(parsed.packages) ? parsed : undefined;
  } catch {
    // A record cut by a crash is taken again, not trusted.
    return undefined;
  }
}

/** Lists an image's packages in a short container of it: no network, no mounts, its own entrypoint. */
export async function takeListing(engine: Engine, id: string, owner: { root: string; dir: string }): Promise<ImagePackages> {
  const out = lineCollector();
  const err = lineCollector();
  const outcome = await runContainerFully(
    engine,
    {
      image: id,
      cmd: ["sh", "-c", `for py in python3 python; do command -v "$py" >/dev/null 2>&1 && exec "$py" -c "$1"; done; exit ${NO_PYTHON}`, "sh", LIST_SCRIPT],
      env: { PYTHONDONTWRITEBYTECODE: "1" },
      workingDir: "/",
      binds: [],
      labels: { [CONTAINER_LABEL.workspace]: owner.root, [CONTAINER_LABEL.runnableDir]: owner.dir },
      namePrefix: "deps",
      network: "none",
    },
    { tty: false, stdin: null, stdout: out.stream, stderr: err.stream },
  );
  if (outcome.engineStopped) throw engineStoppedError(outcome.exitCode);
  const short = id.replace(/^sha256:/, "").slice(0, 12);
  if (outcome.exitCode === NO_PYTHON) throw workError(`image ${short} ${HAS_NO_PYTHON}`, { hint: "dt deps lists the packages of Python images only" });
  const line = out.text().trim().split("\n").reverse().find((l) => l.startsWith("{"));
  if (outcome.exitCode !== 0 || line === undefined) {
    throw workError(`listing the packages of image ${short} failed (exit ${outcome.exitCode}): ${err.text().trim().split("\n").slice(-5).join("\n")}`, {
      hint: "run it yourself: dt docker cmd -- python3 -c 'import importlib.metadata'",
    });
  }
  const parsed = JSON.parse(line) as { python: string; packages: { name: string; version: string }[] };
  return { id, python: parsed.python, recordedAt: new Date().toISOString(), packages: parsed.packages };
}

/** The recorded listing of an image, else one taken now and recorded (an image dt did not build here). */
export async function packagesOf(engine: Engine, owner: { root: string; dir: string }, id: string): Promise<{ listing: ImagePackages; taken: boolean }> {
  const recorded = readRecorded(owner.root, id);
  if (recorded) return { listing: recorded, taken: false };
  const listing = await takeListing(engine, id, owner);
  writeFileAtomic(packagesFile(owner.root, id), `${JSON.stringify(listing, null, 2)}\n`);
  return { listing, taken: true };
}

/**
 * The build's hook: after an image of the host's platform is built (or found unchanged without a
 * record), its packages are listed once and kept with its id. A foreign platform's image is left
 * out: running it through QEMU costs seconds for a listing nobody runs there.
 */
const HAS_NO_PYTHON = "has no python3 to list its packages with";

export async function recordAfterBuild(engine: Engine, owner: { root: string; dir: string }, id: string): Promise<void> {
  if (readRecorded(owner.root, id)) return;
  const info = await engine.inspectImage(id);
  if (!info || (info.Architecture && info.Architecture !== hostArch())) return;
  await packagesOf(engine, owner, id);
}

/**
 * The `afterBuild` hook of dt docker build: records each image's packages. A listing that fails
 * (an image without Python) is reported through `onWarning` and never fails the build.
 */
export function packageRecorder(engine: Engine, root: string, onWarning: (text: string) => void) {
  return async (built: { id: string; image: string; dir: string }) => {
    try {
      await recordAfterBuild(engine, { root, dir: built.dir }, built.id);
    } catch (e) {
      // An image without Python (a busybox tool image) has no packages to record: nothing to say.
      if (e instanceof Error && e.message.endsWith(HAS_NO_PYTHON)) return;
      onWarning(`the packages of ${built.image} were not recorded: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
