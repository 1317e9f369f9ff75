// Every --help, rendered in-process as `dt ... --help` prints it, colour off and version scrubbed.
// A command added to the tree fails the first test until it is listed there and given a snapshot.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { renderHelp } from "../../src/cli.ts";
import type { CommandTable } from "../../src/commands/_define.ts";
import { commands } from "../../src/commands/index.ts";
import { locate, runnable } from "../../src/commands/_tree.ts";
import { DT_VERSION } from "../../src/core/base/dt-version.ts";
import { settings } from "../../src/ui/output.ts";

/** Every command and group path below `table`, depth first in table order. */
async function everyPath(table: CommandTable, prefix: string[] = []): Promise<string[]> {
  const found: string[] = [];
  for (const [name, entry] of Object.entries(table)) {
    const path = [...prefix, name];
    found.push(path.join(" "));
    const node = await entry.load();
    if (node.kind === "group") found.push(...(await everyPath(node.subCommands, path)));
  }
  return found;
}

const shown = new Set<string>();

/** `dt PATH --help` as printed, with the version that changes every release scrubbed. */
async function help(path: string): Promise<string> {
  shown.add(path);
  const found = await locate(path ? path.split(" ") : []);
  expect(found.unknown).toBeUndefined();
  return (await renderHelp(found)).replaceAll(DT_VERSION, "<version>");
}

const colour = settings.color;
beforeAll(() => {
  settings.color = false;
});
afterAll(() => {
  settings.color = colour;
});

describe("--help", () => {
  test("the command tree", async () => {
    expect(await everyPath(commands)).toEqual([
      "init",
      "ls",
      "config",
      "doctor",
      "docker",
      "docker build",
      "docker images",
      "docker bash",
      "docker cmd",
      "docker jupyter",
      "docker push",
      "docker pull",
      "docker release",
      "docker rollback",
      "docker ps",
      "docker clean",
      "test",
      "ci",
      "ci matrix",
      "ci init",
      "version",
      "version check",
      "version bump",
      "deps",
      "deps lock",
      "deps update",
      "deps show",
      "deps diff",
      "setenv",
      "run",
      "sync",
      "subrepo",
      "subrepo add",
      "subrepo ls",
      "subrepo update",
      "subrepo pull",
      "subrepo roll-forward",
      "subrepo foreach",
      "completion",
    ]);
  });

  test("dt", async () => {
    expect(await help("")).toMatchInlineSnapshot(`
      "dt <version>: the development toolchain for composed Python repos with per-directory containers

      USAGE dt [--verbose] [--quiet] [--no-color] COMMAND [OPTIONS]

      COMMANDS
        init        Make this dir runnable (or a workspace root), or write an example workspace
        ls          The workspace: root, sub-repos and runnable dirs
        config      Resolved configuration of the target dir, with the source of each value
        doctor      Check git, the engine, QEMU, credentials, config and changelogs
        docker      Build, run and manage the target dir's container images
        test        Recursive pytest: each runnable dir's tests in its own container
        ci          GitHub Actions: the test matrix and the workflow that runs it
        version     The target dir's version; bump it
        deps        Python dependencies with poetry: lock, update, show and diff the packages of images
        setenv      Shell code for eval: DT_* variables, PATH, PYTHONPATH and completion
        run         Run a task of dt.yaml, stopping at the first failure
        sync        Copy the shared files of dt.yaml sync: from their sub-repo; keep what was changed here
        subrepo     Compose repos from sub-repos: add, ls, update, pull, roll-forward, foreach
        completion  Shell completion script for bash, zsh or fish

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help

      Run 'dt COMMAND --help' for a command's options. Exit codes: 0 ok, 1 the work failed, 2 usage or input error, 3 environment error, 130 interrupted."
    `);
  });

  test("dt init", async () => {
    expect(await help("init")).toMatchInlineSnapshot(`
      "Make the current dir runnable (or a workspace root): changelog.txt, devops/, pytest.ini, dt.yaml at the root. Never overwrites without --force, and never your changelog.txt, pytest.ini or dt.yaml. (dt init)

      USAGE dt init [OPTIONS]

      OPTIONS

               --image=<NAME>    Image name (default: the dir's name)
        --registry=<REGISTRY>    Default registry prefix written to dt.yaml
         --base-image=<IMAGE>    FROM of the dev image (default python:3.12-slim)
                      --force    Overwrite dt's templates (never changelog.txt, pytest.ini or dt.yaml)
              --example=<DIR>    Write the example workspace (a super-repo with a shared sub-repo) into DIR

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt ls", async () => {
    expect(await help("ls")).toMatchInlineSnapshot(`
      "The workspace: root, sub-repos (path, url, commit, branch, dirty) and runnable dirs (path, image, version, stages built locally) (dt ls)

      USAGE dt ls [OPTIONS]

      OPTIONS

        --json    Print one JSON document on stdout

      Exit 2 when a dt.yaml, changelog.txt or image name it read is invalid; the rest is still listed.

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt config", async () => {
    expect(await help("config")).toMatchInlineSnapshot(`
      "Resolved configuration of the target dir, with the source of each value (dt config)

      USAGE dt config [OPTIONS]

      OPTIONS

              --json    Print one JSON document on stdout
        --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
            --schema    Print the JSON schema of dt.yaml (for editors) instead

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt doctor", async () => {
    expect(await help("doctor")).toMatchInlineSnapshot(`
      "Check git, the engine (reachable, version, arch), QEMU for the configured platforms, each builder of dt.yaml (reachable, its platform), registry credentials, dt.yaml, changelogs and sub-repos (dt doctor)

      USAGE dt doctor [OPTIONS]

      OPTIONS

        --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker", async () => {
    expect(await help("docker")).toMatchInlineSnapshot(`
      "Build, run and manage the target dir's container images

      USAGE dt docker COMMAND [OPTIONS]

      COMMANDS
        build     Build the target dir's image (local or prod) through the Engine API
        images    The target dir's images by stage and version
        bash      Interactive shell in the target dir's container
        cmd       Run one command in the target dir's container
        jupyter   JupyterLab in the target dir's container
        push      Push the stage's tags to the registry, with layer progress
        pull      Pull the stage's image from the registry, with layer progress
        release   Release dev or prod: build, test, tag, push (multi-arch with platforms:)
        rollback  Point the dev or prod tag back at a released version
        ps        dt's containers of this workspace
        clean     Remove dt's stopped or orphaned containers and dangling dt images"
    `);
  });

  test("dt docker build", async () => {
    expect(await help("docker build")).toMatchInlineSnapshot(`
      "Build the target dir's image through the Engine API (local from dev.Dockerfile, prod FROM the dev image with the code copied in); skipped when the context is unchanged (dt docker build)

      USAGE dt docker build [OPTIONS]

      OPTIONS

                    --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
            --stage=<local|prod>    local (default) or prod
               --version=<X.Y.Z>    Version to build (default: the changelog's)
              --from=<dev|local>    prod only: build FROM the dev (default) or the local image
        --platform=<OS/ARCH,...>    Platforms to build, comma-separated (default: the host's; with --push, platforms: of dt.yaml). A foreign one's tags end in -linux-arm64. Each is built on its builder of dt.yaml if it has one
                      --no-cache    Build even if the context is unchanged, without the layer cache
         --build-arg=<KEY=VALUE>    KEY=VALUE passed to the Dockerfile, over docker.build_args (repeatable)
                           --all    Build every runnable dir of the workspace, past failures; a table at the end
                  -j, --jobs=<N>    With --all: dirs built at once (default: number of cores)
                          --push    Then push the stage's versioned and floating tags to the registry (several platforms: as one manifest list)
                --network=<NAME>    Network of the build's RUN steps, e.g. host for a package index on this machine (default: the engine's)
                          --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker images", async () => {
    expect(await help("docker images")).toMatchInlineSnapshot(`
      "The target dir's images by stage and version: id, digest, arch, created, size (dt docker images)

      USAGE dt docker images [OPTIONS]

      OPTIONS

        --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
              --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker bash", async () => {
    expect(await help("docker bash")).toMatchInlineSnapshot(`
      "Interactive shell in the target dir's container (bash, or sh where the image has no bash) (dt docker bash)

      USAGE dt docker bash [OPTIONS]

      OPTIONS

                    --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
        --stage=<local|dev|prod>    Image stage
               --version=<X.Y.Z>    Image version (default: the changelog's)
                          --root    Run as root instead of your uid:gid
                       --sibling    Mount the engine socket so the container can start sibling containers
                          --dind    Privileged container that runs its own engine
                   --skip-checks    Skip the architecture and version checks
                --network=<NAME>    Container network (default: the engine's default)
                          --pull    Pull the dev/prod image before running

      Words after the options (or after --) are the shell's: dt docker bash -- -lc 'echo $DT_STAGE', dt docker bash script.sh ARG.

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker cmd", async () => {
    expect(await help("docker cmd")).toMatchInlineSnapshot(`
      "Run one command in the target dir's container; its stdout, stderr and exit code are the command's (dt docker cmd)

      USAGE dt docker cmd [OPTIONS]

      OPTIONS

                    --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
        --stage=<local|dev|prod>    Image stage
               --version=<X.Y.Z>    Image version (default: the changelog's)
                          --root    Run as root instead of your uid:gid
                       --sibling    Mount the engine socket so the container can start sibling containers
                          --dind    Privileged container that runs its own engine
                   --skip-checks    Skip the architecture and version checks
                --network=<NAME>    Container network (default: the engine's default)
                          --pull    Pull the dev/prod image before running

      Examples: dt docker cmd python3 --version;  dt docker cmd --stage dev python3 -m pytest -x
      The first word that is not one of the options above starts the command: it and every word after
      it are the command's, flags included (as in 'docker run IMAGE CMD...'). '--' before it works too.

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker jupyter", async () => {
    expect(await help("docker jupyter")).toMatchInlineSnapshot(`
      "JupyterLab in the target dir's container, port published, URL printed once the server answers (dt docker jupyter)

      USAGE dt docker jupyter [OPTIONS]

      OPTIONS

                    --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
        --stage=<local|dev|prod>    Image stage
               --version=<X.Y.Z>    Image version (default: the changelog's)
                          --root    Run as root instead of your uid:gid
                       --sibling    Mount the engine socket so the container can start sibling containers
                          --dind    Privileged container that runs its own engine
                   --skip-checks    Skip the architecture and version checks
                --network=<NAME>    Container network (default: the engine's default)
                          --pull    Pull the dev/prod image before running
                 --port=<N|auto>    Host port, or 'auto' for a free one (default: auto)

      Exit 3 when the image has no 'jupyter' on its PATH (add jupyterlab to the image's dependencies).

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker push", async () => {
    expect(await help("docker push")).toMatchInlineSnapshot(`
      "Push the stage's versioned and floating tags to the registry, with layer progress (dt docker push)

      USAGE dt docker push [OPTIONS]

      OPTIONS

                    --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
        --stage=<local|dev|prod>    Image stage
               --version=<X.Y.Z>    Image version (default: the changelog's)
               --registry=<NAME>    A registry named under registries: in dt.yaml (default: registry:)
                          --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker pull", async () => {
    expect(await help("docker pull")).toMatchInlineSnapshot(`
      "Pull the stage's image (floating tag, or --version's) from the registry, with layer progress (dt docker pull)

      USAGE dt docker pull [OPTIONS]

      OPTIONS

                    --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
        --stage=<local|dev|prod>    Image stage
               --version=<X.Y.Z>    Image version (default: the changelog's)
               --registry=<NAME>    A registry named under registries: in dt.yaml (default: registry:)
                          --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker release", async () => {
    expect(await help("docker release")).toMatchInlineSnapshot(`
      "dev: build local, run the suites in it, tag dev-V and dev, push. prod: build prod FROM dev-V, run the suites in it, tag prod-V and prod, push. (dt docker release)

      USAGE dt docker release [OPTIONS] <STAGE>

      ARGUMENTS

        STAGE    dev or prod (Required)

      OPTIONS

              --version=<X.Y.Z>    Version to release (default: the changelog's newest)
                   --skip-tests    Do not run the suites before pushing
                 --suite=<NAME>    Suite to run before pushing (repeatable; default fast and slow)
              --registry=<NAME>    Release to this registry of registries: (repeatable; default registry:)
             --platform=<P,...>    Platforms, comma-separated (default: platforms: in dt.yaml, else this host's), each built on its builder of dt.yaml if it has one
                      --dry-run    Print the plan, do nothing
        --build-arg=<KEY=VALUE>    KEY=VALUE passed to the Dockerfile, over docker.build_args (repeatable)
                   --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
                         --json    Print one JSON document on stdout

      Re-running a finished release pushes nothing and says so. --dry-run prints the plan.

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker rollback", async () => {
    expect(await help("docker rollback")).toMatchInlineSnapshot(`
      "Point the floating tag (dev or prod) back at version V, in the registry and locally (dt docker rollback)

      USAGE dt docker rollback [OPTIONS] <STAGE> --version=<X.Y.Z>

      ARGUMENTS

        STAGE    dev or prod (Required)

      OPTIONS

        --version=<X.Y.Z>    The released version to go back to (Required)
        --registry=<NAME>    A registry named under registries: in dt.yaml (default: registry:)
             --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
                   --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker ps", async () => {
    expect(await help("docker ps")).toMatchInlineSnapshot(`
      "dt's containers of this workspace (running and stopped) (dt docker ps)

      USAGE dt docker ps [OPTIONS]

      OPTIONS

        --json    Print one JSON document on stdout
         --all    Containers of every workspace, not just this one

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt docker clean", async () => {
    expect(await help("docker clean")).toMatchInlineSnapshot(`
      "Remove your stopped dt containers in this workspace, running ones whose dt process is provably gone, and dangling dt images (dt docker clean)

      USAGE dt docker clean [OPTIONS]

      OPTIONS

           --json    Print one JSON document on stdout
            --all    Every workspace and every user's orphans, not just your own in this workspace
        --dry-run    Show what would be removed

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt test", async () => {
    expect(await help("test")).toMatchInlineSnapshot(`
      "Recursive pytest: each selected runnable dir's tests in that dir's own container, in parallel (dt test)

      USAGE dt test [OPTIONS]

      OPTIONS

                           --all    Every runnable dir of the workspace
                    --dir=<PATH>    A runnable dir to test (repeatable)
                  --suite=<NAME>    fast (default), slow, superslow, all, or a suite of dt.yaml
             -m, --marker=<EXPR>    Marker expression added to the suite's
                       --changed    Only dirs affected by changes since --base (committed and uncommitted)
                    --base=<REF>    Base of --changed (default: merge-base with the default branch)
                  -j, --jobs=<N>    Dirs run at once (default: number of cores)
        --stage=<local|dev|prod>    Image stage (default: local if built, else dev)
                   --shard=<I/N>    Run shard I of N of the selected test files
                  --junit=<PATH>    Write one merged JUnit XML report here
                     --fail-fast    Stop at the first failing dir (and pytest -x)
                   --skip-checks    Skip the image architecture and version checks
                          --pull    Pull the dev/prod image before running
                      --no-cache    Run every dir, even those whose passing result is cached
                       --explain    Say for each dir that runs which input changed since its last cached run
                          --json    Print one JSON document on stdout

      Examples: dt test --all -j 2;  dt test --changed --suite slow;  dt test --dir apps/pricer -- -k price

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt ci", async () => {
    expect(await help("ci")).toMatchInlineSnapshot(`
      "GitHub Actions: the test matrix and the workflow that runs it

      USAGE dt ci COMMAND [OPTIONS]

      COMMANDS
        matrix  JSON for strategy.matrix: one entry per runnable dir (and shard)
        init    Write .github/workflows/dt.yml: install dt, compute the matrix, pull, dt test"
    `);
  });

  test("dt ci matrix", async () => {
    expect(await help("ci matrix")).toMatchInlineSnapshot(`
      "JSON for a GitHub Actions strategy.matrix: one entry per runnable dir (and shard) (dt ci matrix)

      USAGE dt ci matrix [OPTIONS]

      OPTIONS

           --changed    Only the runnable dirs changed since --base (files, depends_on paths, sub-repos)
        --base=<REF>    Git ref to compare with (default: merge-base with the default branch)
        --shards=<N>    Split each dir's tests into N jobs (dt test --shard I/N)
              --json    Accepted for symmetry: the output is always one JSON document

      Prints {"include":[{"dir","image","stage","shard"?}, ...]} on stdout (--json is implied). An empty
      matrix is {"include":[]}: the workflow of 'dt ci init' then skips its test job. stage is "dev"
      (pull the released image) or, with --changed, "local" when the dir's devops/ changed (build it).

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt ci init", async () => {
    expect(await help("ci init")).toMatchInlineSnapshot(`
      "Write .github/workflows/dt.yml at the workspace root: install dt, compute the matrix, pull the images, dt test per entry. Never overwrites without --force. (dt ci init)

      USAGE dt ci init [OPTIONS]

      OPTIONS

        --force    Overwrite an existing workflow

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt version", async () => {
    expect(await help("version")).toMatchInlineSnapshot(`
      "The target dir's version (the changelog's newest entry) (dt version)

      USAGE dt version [OPTIONS]

      OPTIONS

              --json    Print one JSON document on stdout
        --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)

      COMMANDS
        check  Check the image's version against the changelog (exit 3 on mismatch)
        bump   Prepend a changelog entry (major|minor|patch) and print the new version

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt version check", async () => {
    expect(await help("version check")).toMatchInlineSnapshot(`
      "The changelog version against the version label of the image 'dt docker cmd' would use, under version_policy; exit 3 on mismatch (dt version check)

      USAGE dt version check [OPTIONS]

      OPTIONS

                    --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
        --stage=<local|dev|prod>    Image stage
               --version=<X.Y.Z>    Image version (default: the changelog's)
                          --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt version bump", async () => {
    expect(await help("version bump")).toMatchInlineSnapshot(`
      "Prepend a changelog entry and print the new version (atomic write) (dt version bump)

      USAGE dt version bump [OPTIONS] <PART>

      ARGUMENTS

        PART    major, minor or patch (Required)

      OPTIONS

        -m, --message=<MSG>    What changed (repeatable, one line each)
        --date=<YYYY-MM-DD>    Entry date (default: today)
               --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
                     --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt deps", async () => {
    expect(await help("deps")).toMatchInlineSnapshot(`
      "Python dependencies of the target dir with poetry, resolved in its local image

      USAGE dt deps COMMAND [OPTIONS]

      COMMANDS
        lock    Resolve pyproject.toml into poetry.lock in a container of the local image
        update  Update all locked packages, or the ones named, to the newest allowed
        show    The Python packages installed in an image, as recorded when dt built it
        diff    What moved between the packages of two images (old -> new, added, removed)"
    `);
  });

  test("dt deps lock", async () => {
    expect(await help("deps lock")).toMatchInlineSnapshot(`
      "Resolve pyproject.toml into poetry.lock in a container of the local image (same OS and Python), keeping the pins that still fit; written atomically (dt deps lock)

      USAGE dt deps lock [OPTIONS]

      OPTIONS

                      --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
                  --network=<NAME>    Container network for poetry, e.g. host for a package index on this machine
        --bump=<major|minor|patch>    When packages moved, also prepend a changelog entry (needs -m)
               -m, --message=<MSG>    With --bump: what changed (repeatable, one line each)
                            --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt deps update", async () => {
    expect(await help("deps update")).toMatchInlineSnapshot(`
      "Update the locked packages (all, or the ones named) to the newest versions pyproject.toml allows; only poetry.lock changes (dt deps update)

      USAGE dt deps update [OPTIONS]

      OPTIONS

                      --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
                  --network=<NAME>    Container network for poetry, e.g. host for a package index on this machine
        --bump=<major|minor|patch>    When packages moved, also prepend a changelog entry (needs -m)
               -m, --message=<MSG>    With --bump: what changed (repeatable, one line each)
                            --json    Print one JSON document on stdout

      PKG...: the packages to update (default: all of them).
      Example: dt deps update pandas numpy --bump patch -m "Update pandas"

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt deps show", async () => {
    expect(await help("deps show")).toMatchInlineSnapshot(`
      "The Python packages installed in the target dir's image (the one a run uses, or --stage/--version), as recorded when dt built it (dt deps show)

      USAGE dt deps show [OPTIONS]

      OPTIONS

                    --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
        --stage=<local|dev|prod>    Image stage
               --version=<X.Y.Z>    Image version (default: the changelog's)
                          --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt deps diff", async () => {
    expect(await help("deps diff")).toMatchInlineSnapshot(`
      "What moved between the Python packages of two images of the target dir: name: old -> new, added, removed (dt deps diff)

      USAGE dt deps diff [OPTIONS] <A> <B>

      ARGUMENTS

        A    The older image (Required)
        B    The newer image (Required)

      OPTIONS

        --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)
              --json    Print one JSON document on stdout

      A and B: local, dev or prod (the image a run of that stage uses), STAGE-X.Y.Z (dev-1.2.0), or any image the engine has.
      Example: dt deps diff dev-1.2.0 local

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt setenv", async () => {
    expect(await help("setenv")).toMatchInlineSnapshot(`
      "Print shell code that sets the workspace's DT_* variables, PATH, PYTHONPATH and completion (dt setenv)

      USAGE dt setenv [OPTIONS]

      OPTIONS

        --shell=<bash|zsh|fish|sh>    Shell to write for (default: the shell running dt, else $SHELL, else bash)
                          --inside    Inside a dt container: paths as mounted, no completion

      Load it with: eval "$(dt setenv)"  |  dt setenv --shell fish | source
      Evaluating it twice adds nothing twice; it never removes what you had. Outside a workspace it
      prints only a comment (and completion) and exits 0, so a shell rc can call it anywhere.
      --inside is the variant for a shell inside a dt container (e.g. 'docker exec'): the workspace
      as mounted (DT_WORKSPACE), the DT_* values dt passed in, no completion. It adds the same
      PATH/PYTHONPATH dirs the container entrypoint applies from DT_PATH/DT_PYTHONPATH.

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt run", async () => {
    expect(await help("run")).toMatchInlineSnapshot(`
      "Run a task of dt.yaml: its steps in order, stopping at the first failure (dt run)

      USAGE dt run [OPTIONS] [TASK]

      ARGUMENTS

        TASK    Name of the task (see --list)

      OPTIONS

              --list    List the tasks
              --json    Print one JSON document on stdout
        --dir=<PATH>    Runnable dir to act on (default: the one around the current dir)

      Example: dt run lint -- --fix   (ARGS after -- are appended to the task's last step)
      Each step is a shell line run with 'sh -c' in the target dir (or the workspace root), with the
      workspace's DT_* variables, PATH and PYTHONPATH (as 'dt setenv' sets them); 'dt' in a step is this dt.

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt sync", async () => {
    expect(await help("sync")).toMatchInlineSnapshot(`
      "Copy (or link) the sync.files of dt.yaml from the sync.from sub-repo into this repo; files changed here are kept unless --force (dt sync)

      USAGE dt sync [OPTIONS]

      OPTIONS

          --check    Change nothing; exit 1 showing every file that differs from its source (a diff, or the link dt would make)
          --force    Overwrite files changed here (and delete those deleted upstream)
        --dry-run    Show what would happen, change nothing
           --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt subrepo", async () => {
    expect(await help("subrepo")).toMatchInlineSnapshot(`
      "Compose repos from sub-repos (git submodules), at every depth

      USAGE dt subrepo COMMAND [OPTIONS]

      COMMANDS
        add           Add a repo as a sub-repo at PATH and initialise its own sub-repos (no commit)
        ls            Sub-repos: commit, branch, tracked branch, ahead/behind, dirty, initialised
        update        Check out the recorded commit of every sub-repo; initialise missing ones
        pull          Fast-forward every sub-repo to its remote branch (moves no pointer)
        roll-forward  Commit the sub-repos' current commits as the super-repo's pointers
        foreach       Run a command in every initialised sub-repo, outermost first"
    `);
  });

  test("dt subrepo add", async () => {
    expect(await help("subrepo add")).toMatchInlineSnapshot(`
      "Add a repo as a sub-repo at PATH (in the repo that contains PATH) and initialise its own sub-repos; commits nothing (dt subrepo add)

      USAGE dt subrepo add [OPTIONS] <URL> <PATH>

      ARGUMENTS

         URL    URL or local path of the repo (./ and ../ are relative to the super-repo's origin, as in git) (Required)
        PATH    Where to put it, relative to the current dir (Required)

      OPTIONS

        -b, --branch=<BRANCH>    Branch to check out and track (recorded in .gitmodules)
                       --json    Print one JSON document on stdout

      Example: dt subrepo add git@github.com:acme/helpers.git helpers_root --branch main

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt subrepo ls", async () => {
    expect(await help("subrepo ls")).toMatchInlineSnapshot(`
      "Sub-repos at every depth: commit, branch, tracked branch, ahead/behind origin, dirty, initialised (dt subrepo ls)

      USAGE dt subrepo ls [OPTIONS]

      OPTIONS

        --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt subrepo update", async () => {
    expect(await help("subrepo update")).toMatchInlineSnapshot(`
      "Check out the commit each super-repo records for its sub-repos, at every depth; initialise the missing ones (dt subrepo update)

      USAGE dt subrepo update [OPTIONS]

      OPTIONS

        --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt subrepo pull", async () => {
    expect(await help("subrepo pull")).toMatchInlineSnapshot(`
      "Fast-forward every sub-repo to its remote branch, outermost first; a detached one switches to its .gitmodules branch first. Moves no pointer (see roll-forward) (dt subrepo pull)

      USAGE dt subrepo pull [OPTIONS]

      OPTIONS

        --json    Print one JSON document on stdout

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt subrepo roll-forward", async () => {
    expect(await help("subrepo roll-forward")).toMatchInlineSnapshot(`
      "Commit each sub-repo's checked-out commit as its pointer, innermost first: one commit in the workspace root, listing old and new commits (dt subrepo roll-forward)

      USAGE dt subrepo roll-forward [OPTIONS] [PATH]

      ARGUMENTS

        PATH    Sub-repos to roll forward (more than one allowed; default: all)

      OPTIONS

        -m, --message=<MSG>    Subject of the commit (default: Roll forward sub-repos)
                     --json    Print one JSON document on stdout

      Example: dt subrepo roll-forward helpers_root -m "Roll forward helpers"
      Without PATH: every initialised sub-repo. A nested sub-repo whose pointer moves gets a commit in its parent sub-repo first.
      Only the pointers are committed (git commit --only): other staged changes stay staged.

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt subrepo foreach", async () => {
    expect(await help("subrepo foreach")).toMatchInlineSnapshot(`
      "Run a command in every initialised sub-repo, outermost first (env DT_SUBREPO_PATH, DT_SUBREPO_NAME); stop at the first failure with its exit code (dt subrepo foreach)

      USAGE dt subrepo foreach [OPTIONS]

      OPTIONS

        --keep-going    Run in every sub-repo even after a failure; exit with the first failure's code

      Example: dt subrepo foreach -- git status --short
               dt subrepo foreach -- sh -c 'echo $DT_SUBREPO_PATH'

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("dt completion", async () => {
    expect(await help("completion")).toMatchInlineSnapshot(`
      "Print the shell completion script (dt completion)

      USAGE dt completion [OPTIONS] <SHELL>

      ARGUMENTS

        SHELL    bash, zsh or fish (Required)

      Load it with: source <(dt completion bash)  |  source <(dt completion zsh)  |  dt completion fish | source

      GLOBAL OPTIONS
        --verbose   Show debug output and stack traces
        --quiet     Print only results and errors
        --no-color  Do not colour output (also NO_COLOR=1)
        --wide      Print table cells whole instead of fitting tables in 80 columns
        --help      Show help"
    `);
  });

  test("a repeatable flag says so in its help; an enum's default is one of its options", async () => {
    for (const path of await everyPath(commands)) {
      const { node } = await locate(path.split(" "));
      const command = runnable(node);
      for (const [name, def] of Object.entries(command?.args ?? {})) {
        if (def.type === "string" || def.type === "enum") {
          if (def.repeatable) expect(`dt ${path} --${name}: ${def.description}`).toContain("repeatable");
        }
        if (def.type === "enum" && def.default !== undefined) expect(def.options).toContain(def.default);
      }
    }
  });

  test("every command and group has its snapshot above", async () => {
    expect([...shown].sort()).toEqual(["", ...(await everyPath(commands))].sort());
  });
});
