import { availableParallelism } from "node:os";
import type { DirBuild } from "../../core/build/build-each.ts";
import type { PlatformBuildOptions } from "../../core/build/build-platforms.ts";
import { ExitCode, usageError } from "../../core/base/errors.ts";
import type { Engine } from "../../core/engine/engine.ts";
import { defineCommand } from "../_define.ts";
import { buildArgArgs, dirArgs, jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "build",
    description: "Build the target dir's image through the Engine API (local from dev.Dockerfile, prod FROM the dev image with the code copied in); skipped when the context is unchanged",
  },
  args: {
    ...dirArgs,
    stage: { type: "enum", options: ["local", "prod"], description: "local (default) or prod", valueHint: "local|prod" },
    version: { type: "string", description: "Version to build (default: the changelog's)", valueHint: "X.Y.Z" },
    from: { type: "enum", options: ["dev", "local"], description: "prod only: build FROM the dev (default) or the local image", valueHint: "dev|local" },
    platform: {
      type: "string",
      description: "Platforms to build, comma-separated (default: the host's; with --push, platforms: of dt.yaml). A foreign one's tags end in -linux-arm64. Each is built on its builder of dt.yaml if it has one",
      valueHint: "OS/ARCH,...",
    },
    "no-cache": { type: "boolean", description: "Build even if the context is unchanged, without the layer cache" },
    ...buildArgArgs,
    all: { type: "boolean", description: "Build every runnable dir of the workspace, past failures; a table at the end" },
    jobs: { type: "string", alias: "j", description: "With --all: dirs built at once (default: number of cores)", valueHint: "N" },
    push: { type: "boolean", description: "Then push the stage's versioned and floating tags to the registry (several platforms: as one manifest list)" },
    network: { type: "string", description: "Network of the build's RUN steps, e.g. host for a package index on this machine (default: the engine's)", valueHint: "NAME" },
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { parseBuildArgs } = await import("../../core/build/build-image.ts");
    const { connectEngine } = await import("../../core/engine/connect.ts");
    const { parsePlatformList } = await import("../../core/base/platform.ts");
    const options = {
      stage: args.stage ?? "local",
      version: args.version,
      from: args.from,
      platforms: parsePlatformList(args.platform),
      noCache: args["no-cache"],
      buildArgs: parseBuildArgs(args["build-arg"]),
      push: args.push,
      network: args.network,
    } as const;
    if (args.all && args.dir !== undefined) throw usageError("--all and --dir do not go together", { hint: "use one of them" });
    const { packageRecorder } = await import("../../core/deps/image-packages.ts");
    if (args.all) return buildAll(await connectEngine(), cwd, options, parseJobs(args.jobs), Boolean(args.json));
    if (args.jobs !== undefined) throw usageError("-j goes with --all", { hint: "dt docker build --all -j 2" });
    const { loadTarget } = await import("../../core/workspace/target.ts");
    const { buildForPlatforms } = await import("../../core/build/build-platforms.ts");
    const { transferEvents } = await import("./_transfer-ui.ts");
    const { progress } = await import("../../ui/progress.ts");
    const { outDocument, warn } = await import("../../ui/output.ts");
    const [engine, target] = await Promise.all([connectEngine(), loadTarget(cwd, args.dir)]);
    await (await import("../../core/workspace/image-names.ts")).assertUniqueImagesAround(target.root);
    const bar = progress(`build ${options.stage}`);
    const onTransfer = await transferEvents(bar);
    let result;
    try {
      result = await buildForPlatforms(engine, target, { ...options, afterBuild: packageRecorder(engine, target.root, warn) }, (e) => {
        if (e.kind !== "build") return onTransfer(e);
        const b = e.event;
        if (b.kind === "step") bar.step((options.platforms?.length ?? 0) > 1 || options.push ? `${e.platform}: ${b.text}` : b.text);
        else if (b.kind === "output") bar.detail(b.text);
        else for (const w of b.warnings) warn(w);
      });
    } catch (e) {
      bar.fail(`build of ${target.path} failed`);
      throw e;
    }
    bar.succeed(summary(result));
    if (args.json) outDocument(result);
  },
});

function parseJobs(value: string | undefined): number {
  if (value === undefined) return availableParallelism();
  const jobs = Number(value);
  if (!Number.isInteger(jobs) || jobs < 1) throw usageError(`-j ${value} is not a positive number`, { hint: "e.g. -j 2" });
  return jobs;
}

/**
 * `--all`: every runnable dir, `jobs` at a time, past failures; a line per dir as it ends,
 * then one table (or one JSON document); exit 1 if any failed.
 */
async function buildAll(engine: Engine, cwd: string, options: PlatformBuildOptions, jobs: number, json: boolean): Promise<number> {
  const { scanWorkspace } = await import("../../core/workspace/workspace.ts");
  const { targetOf } = await import("../../core/workspace/target.ts");
  const { buildEach } = await import("../../core/build/build-each.ts");
  const { info, out, outDocument, table, warn, c } = await import("../../ui/output.ts");
  const { packageRecorder } = await import("../../core/deps/image-packages.ts");
  const ws = await scanWorkspace(cwd, { status: "none" });
  (await import("../../core/workspace/image-names.ts")).assertUniqueImages(ws.root, ws.runnableDirs);
  const dirs = ws.runnableDirs.map((d) => ({ dir: d.path, load: () => targetOf({ root: ws.root, path: d.path, absPath: d.absPath }) }));
  info(`building ${dirs.length} runnable dir${dirs.length === 1 ? "" : "s"}, ${Math.min(jobs, dirs.length)} at a time`);
  const builds = await buildEach(engine, dirs, { ...options, afterBuild: packageRecorder(engine, ws.root, warn) }, jobs, (e) => {
    if (e.kind === "build" && e.event.kind === "build" && e.event.event.kind === "context") for (const w of e.event.event.warnings) warn(`${e.dir}: ${w}`);
    if (e.kind !== "done") return;
    const b = e.build;
    const time = `${b.seconds.toFixed(1)}s`;
    if (b.status === "failed") {
      info(`${c.red("✗")} ${b.dir} failed after ${time}: ${b.error!.message}`);
      if (b.error!.hint) info(`  ${c.dim("fix:")} ${b.error!.hint}`);
    } else {
      info(`${c.green("✓")} ${b.dir} ${b.status === "skipped" ? "up to date (context unchanged), build skipped" : `built ${b.image}`} in ${time}`);
    }
  });
  const failed = builds.filter((b) => b.status === "failed").length;
  if (json) {
    outDocument({ ok: failed === 0, builds }, failed ? ExitCode.failed : ExitCode.ok);
  } else {
    const mark = (b: DirBuild) => (b.status === "failed" ? c.red("failed") : b.status === "skipped" ? "skipped" : c.green("built"));
    out(table(["DIR", "RESULT", "TIME", "IMAGE OR REASON"], builds.map((b) => [b.dir, mark(b), `${b.seconds.toFixed(1)}s`, b.image ?? b.reason ?? ""]), { shrink: [3], whole: (i) => !builds[i]!.image }));
    out(`${builds.length - failed} of ${builds.length} built or up to date${failed ? `, ${failed} failed` : ""}`);
  }
  return failed ? ExitCode.failed : ExitCode.ok;
}

function summary(result: import("../../core/build/build-platforms.ts").PlatformBuildResult): string {
  // Where each image is, once there is more than one engine: a builder keeps what it built.
  const engines = new Set(result.platforms.map((b) => b.engine)).size;
  const each = result.platforms.map((b) => {
    const what = b.skipped ? `${b.image} is up to date (context unchanged), build skipped` : `built ${b.image} (${b.id.replace(/^sha256:/, "").slice(0, 12)})`;
    return engines > 1 || b.builder ? `${what} on ${b.builder ? `the builder ${b.engine}, where it stays` : `the local engine ${b.engine}`}` : what;
  });
  const pushed = result.pushed.map((t) => `${t.repository}:${t.tag}`);
  return [...each, ...(pushed.length ? [`pushed ${pushed.join(", ")}`] : [])].join("; ");
}
