import { availableParallelism } from "node:os";
import { defineCommand } from "./_define.ts";
import { jsonArgs } from "./_shared.ts";

export default defineCommand({
  meta: {
    name: "test",
    description: "Recursive pytest: each selected runnable dir's tests in that dir's own container, in parallel",
    usage: "Examples: dt test --all -j 2;  dt test --changed --suite slow;  dt test --dir apps/pricer -- -k price",
  },
  args: {
    all: { type: "boolean", description: "Every runnable dir of the workspace" },
    dir: { type: "string", description: "A runnable dir to test (repeatable)", valueHint: "PATH", repeatable: true, complete: "runnable-dirs" },
    suite: { type: "string", description: "fast (default), slow, superslow, all, or a suite of dt.yaml", valueHint: "NAME", complete: "suites" },
    marker: { type: "string", alias: "m", description: "Marker expression added to the suite's", valueHint: "EXPR" },
    changed: { type: "boolean", description: "Only dirs affected by changes since --base (committed and uncommitted)" },
    base: { type: "string", description: "Base of --changed (default: merge-base with the default branch)", valueHint: "REF" },
    jobs: { type: "string", alias: "j", description: "Dirs run at once (default: number of cores)", valueHint: "N" },
    stage: { type: "enum", options: ["local", "dev", "prod"], description: "Image stage (default: local if built, else dev)", valueHint: "local|dev|prod" },
    shard: { type: "string", description: "Run shard I of N of the selected test files", valueHint: "I/N" },
    junit: { type: "string", description: "Write one merged JUnit XML report here", valueHint: "PATH" },
    "fail-fast": { type: "boolean", description: "Stop at the first failing dir (and pytest -x)" },
    "skip-checks": { type: "boolean", description: "Skip the image architecture and version checks" },
    pull: { type: "boolean", description: "Pull the dev/prod image before running" },
    "no-cache": { type: "boolean", description: "Run every dir, even those whose passing result is cached" },
    explain: { type: "boolean", description: "Say for each dir that runs which input changed since its last cached run" },
    ...jsonArgs,
  },
  async run({ args, rest, cwd }) {
    const { usageError, ExitCode } = await import("../core/base/errors.ts");
    const { resolve } = await import("node:path");
    const jobs = args.jobs === undefined ? availableParallelism() : Number(args.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw usageError(`-j ${args.jobs} is not a positive number`, { hint: "e.g. -j 2" });
    let shard: { index: number; total: number } | undefined;
    if (args.shard !== undefined) {
      const { parseShard } = await import("../core/testing/shard.ts");
      shard = parseShard(args.shard);
    }
    const dirs = args.dir;
    if (args.all && dirs.length) throw usageError("--all and --dir do not go together", { hint: "use one of them" });
    const { runTests } = await import("../core/testing/run-tests.ts");
    const { selectDirs } = await import("../core/testing/select-dirs.ts");
    const { scanWorkspace } = await import("../core/workspace/workspace.ts");
    const { connectEngine } = await import("../core/engine/connect.ts");
    // The status of each repo: the test-result cache takes the changed files from it and every
    // other file's id from the indexes, so the working trees are walked once.
    const [ws, engine] = await Promise.all([scanWorkspace(cwd, { status: "all" }), connectEngine()]);
    const selection = await selectDirs(ws, { cwd, all: args.all, dirs, changed: args.changed, base: args.base });
    // Opened now: it lists the workspace's files while the checks below run.
    const { TestCache } = await import("../core/testing/test-cache.ts");
    const cache = selection.dirs.length ? new TestCache(ws, { noCache: args["no-cache"], explain: args.explain }) : undefined;
    (await import("../core/workspace/image-names.ts")).assertUniqueImages(ws.root, ws.runnableDirs);
    const { testDisplay } = await import("../ui/test-display.ts");
    const { renderTestReport } = await import("../ui/test-report.ts");
    const { debug, info, out, outDocument, warn } = await import("../ui/output.ts");
    const display = testDisplay();
    let report;
    try {
      report = await runTests(
        engine,
        selection,
        {
          suite: args.suite ?? "fast",
          marker: args.marker,
          jobs,
          stage: args.stage,
          shard,
          junit: args.junit ? resolve(cwd, args.junit) : undefined,
          failFast: args["fail-fast"],
          pytestArgs: rest,
          skipChecks: args["skip-checks"],
          pull: args.pull,
          cache,
        },
        display.onEvent,
      );
    } finally {
      display.stop();
    }
    for (const d of report.dirs) {
      if (d.explain) info([`${d.dir} ran:`, ...d.explain.map((line) => `  ${line}`)].join("\n"));
      debug(`test cache: ${d.dir}: ${d.cached ? `served, from the run of ${d.cachedAt}` : "ran"}`);
    }
    for (const w of report.cache?.warnings ?? []) warn(w);
    if (process.env.GITHUB_ACTIONS === "true") {
      const { reportToGithub } = await import("../core/testing/github-report.ts");
      reportToGithub(report, { root: ws.root, annotationsTo: args.json ? process.stderr : process.stdout });
    }
    const code = report.ok ? ExitCode.ok : report.dirs.some((d) => d.status === "failed") ? ExitCode.failed : ExitCode.environment;
    if (args.json) outDocument(report, code);
    else if (report.dirs.length === 0) out(args.changed ? `no runnable dir is affected by changes since ${report.base}` : "nothing to test");
    else out(renderTestReport(report));
    return code;
  },
});
