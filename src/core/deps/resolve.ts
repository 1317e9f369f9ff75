import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { randomHex } from "../base/random.ts";
import { join } from "node:path";
import { envError, workError } from "../base/errors.ts";
import { readText } from "../base/fs-util.ts";
import { onCleanup } from "../base/lifecycle.ts";
import type { Engine } from "../engine/engine.ts";
import { engineStoppedError } from "../engine/engine-errors.ts";
import { runContainerFully } from "../run/containers.ts";
import { runSpecFor } from "../run/run-in-container.ts";
import { toContainerPath } from "../run/run-env.ts";
import type { ImageRef } from "../workspace/image-ref.ts";
import type { Target } from "../workspace/target.ts";
import type { SubRepo } from "../workspace/workspace.ts";
import { lineCollector } from "../run/line-collector.ts";

export type PoetryCommand = { kind: "lock" } | { kind: "update"; packages: string[] };

const NO_POETRY = 97;

// Poetry 2 dropped `lock --no-update` (keeping the pins became what `lock` does); 1.x (Debian
// bookworm's 1.3.2) needs it, or `lock` would update everything. `update --lock` is in both.
const SCRIPT = `
command -v poetry >/dev/null 2>&1 || { echo "dt: no poetry in this image" >&2; exit ${NO_POETRY}; }
if [ "$1" = lock ]; then
  major=$(poetry --version 2>/dev/null | sed -n 's/.*version \\([0-9][0-9]*\\).*/\\1/p')
  if [ "\${major:-1}" -ge 2 ]; then exec poetry lock --no-interaction; fi
  exec poetry lock --no-update --no-interaction
fi
shift
exec poetry update --lock --no-interaction "$@"
`;

/**
 * Runs poetry on a copy of the dir's pyproject.toml and poetry.lock, in a container of `image`
 * with the workspace mounted, and returns the lock poetry wrote. The copy is why a failed or
 * interrupted resolution never touches the dir's own lock, and why the caller can write the new
 * one atomically (poetry writes in place). The copy sits under the workspace's `.dt/tmp/`, which
 * the container already sees; poetry's cache under `.dt/poetry-cache/` outlives the run.
 */
export async function resolveInContainer(
  engine: Engine,
  target: Target,
  subRepos: readonly SubRepo[],
  image: { ref: ImageRef; name: string },
  command: PoetryCommand,
  options: { network?: string; onLine?: (line: string) => void },
): Promise<string> {
  const work = join(target.root, ".dt", "tmp", `deps-${process.pid}-${randomHex(4)}`);
  mkdirSync(work, { recursive: true });
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  const unregister = onCleanup(removeWork);
  try {
    copyFileSync(join(target.absPath, "pyproject.toml"), join(work, "pyproject.toml"));
    if (readText(join(target.absPath, "poetry.lock")) !== undefined) copyFileSync(join(target.absPath, "poetry.lock"), join(work, "poetry.lock"));
    const mount = target.resolved.config.docker.mount;
    const cache = join(target.root, ".dt", "poetry-cache");
    mkdirSync(cache, { recursive: true });
    const spec = runSpecFor(target, subRepos, image.ref, image.name, { workdir: work, network: options.network });
    spec.cmd = ["sh", "-c", SCRIPT, "sh", command.kind, ...(command.kind === "update" ? command.packages : [])];
    Object.assign(spec.env, {
      // The image's environment is the one to resolve for; no virtualenv of poetry's own.
      POETRY_VIRTUALENVS_CREATE: "false",
      POETRY_CACHE_DIR: toContainerPath(target.root, mount, cache),
      POETRY_NO_INTERACTION: "1",
      // Without a desktop session, keyring backends hang or fail on every index request.
      PYTHON_KEYRING_BACKEND: "keyring.backends.null.Keyring",
    });
    const out = lineCollector(options.onLine);
    const outcome = await runContainerFully(engine, spec, { tty: false, stdin: null, stdout: out.stream, stderr: out.stream });
    if (outcome.engineStopped) throw engineStoppedError(outcome.exitCode);
    if (outcome.exitCode === NO_POETRY) {
      throw envError(`the image ${image.name} has no poetry to resolve with`, {
        hint: "rebuild it with 'dt docker build': dt's install.sh installs poetry for a dir with pyproject.toml (Debian's python3-poetry on a Debian python, else pip); with your own Dockerfile, install poetry in it (python3-poetry in devops/docker_build/os_packages.txt)",
      });
    }
    if (outcome.exitCode !== 0) {
      const output = out.text().trim().split("\n").slice(-40).join("\n");
      throw workError(`poetry could not resolve ${target.path === "." ? "" : `${target.path}/`}pyproject.toml (exit ${outcome.exitCode}):\n${output}`, {
        hint: "change the requirements in pyproject.toml; poetry.lock was left as it was",
      });
    }
    const lock = readText(join(work, "poetry.lock"));
    if (lock === undefined) throw workError("poetry ended without writing poetry.lock", { hint: "run again with --verbose to see its output" });
    return lock;
  } finally {
    removeWork();
    unregister();
  }
}
