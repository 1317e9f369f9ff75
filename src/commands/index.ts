import { lazy, type CommandTable } from "./_define.ts";

/** Every top-level command, loaded only when it runs. */
export const commands: CommandTable = {
  init: { description: "Make this dir runnable (or a workspace root), or write an example workspace", load: lazy(() => import("./init.ts")) },
  ls: { description: "The workspace: root, sub-repos and runnable dirs", load: lazy(() => import("./ls.ts")) },
  config: { description: "Resolved configuration of the target dir, with the source of each value", load: lazy(() => import("./config.ts")) },
  doctor: { description: "Check git, the engine, QEMU, credentials, config and changelogs", load: lazy(() => import("./doctor.ts")) },
  docker: { description: "Build, run and manage the target dir's container images", load: lazy(() => import("./docker/index.ts")) },
  test: { description: "Recursive pytest: each runnable dir's tests in its own container", load: lazy(() => import("./test.ts")) },
  ci: { description: "GitHub Actions: the test matrix and the workflow that runs it", load: lazy(() => import("./ci/index.ts")) },
  version: { description: "The target dir's version; bump it", load: lazy(() => import("./version/index.ts")) },
  deps: { description: "Python dependencies with poetry: lock, update, show and diff the packages of images", load: lazy(() => import("./deps/index.ts")) },
  setenv: { description: "Shell code for eval: DT_* variables, PATH, PYTHONPATH and completion", load: lazy(() => import("./setenv.ts")) },
  run: { description: "Run a task of dt.yaml, stopping at the first failure", load: lazy(() => import("./run.ts")) },
  sync: { description: "Copy the shared files of dt.yaml sync: from their sub-repo; keep what was changed here", load: lazy(() => import("./sync.ts")) },
  subrepo: { description: "Compose repos from sub-repos: add, ls, update, pull, roll-forward, foreach", load: lazy(() => import("./subrepo/index.ts")) },
  completion: { description: "Shell completion script for bash, zsh or fish", load: lazy(() => import("./completion.ts")) },
};
