import type { Target } from "../../core/workspace/target.ts";
import { isTTY } from "../../ui/fd.ts";
import { defineCommand } from "../_define.ts";
import { commaList, dirArgs, jsonArgs } from "../_shared.ts";

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
      description: "Platforms to build, comma-separated (default: the host's; with --push, platforms: of dt.yaml). A foreign one's tags end in -linux-arm64",
      valueHint: "OS/ARCH,...",
    },
    "no-cache": { type: "boolean", description: "Build even if the context is unchanged, without the layer cache" },
    "build-arg": { type: "string", description: "KEY=VALUE passed to the Dockerfile (repeatable)", valueHint: "KEY=VALUE", repeatable: true },
    all: { type: "boolean", description: "Build every runnable dir of the workspace" },
    push: { type: "boolean", description: "Then push the stage's versioned and floating tags to the registry (several platforms: as one manifest list)" },
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { parseBuildArgs } = await import("../../core/build/build-image.ts");
    const { buildForPlatforms } = await import("../../core/build/build-platforms.ts");
    const { transferEvents } = await import("./_transfer-ui.ts");
    const { progress } = await import("../../ui/progress.ts");
    const { outJson, warn, out } = await import("../../ui/output.ts");
    const buildArgs = parseBuildArgs(args["build-arg"]);
    const { loadTarget, targetOf } = await import("../../core/workspace/target.ts");
    const { connectEngine } = await import("../../core/engine/connect.ts");
    const engine = await connectEngine();
    // Each dir's config and changelog are read when its turn comes: a bad one stops the run there.
    let loaders: (() => Promise<Target>)[] = [() => loadTarget(cwd, args.dir)];
    if (args.all) {
      const { scanWorkspace } = await import("../../core/workspace/workspace.ts");
      const ws = await scanWorkspace(cwd, { dirty: false });
      loaders = ws.runnableDirs.map((d) => async () => targetOf({ root: ws.root, path: d.path, absPath: d.absPath }));
    }
    const results = [];
    for (const load of loaders) {
      const target = await load();
      const stage = args.stage ?? "local";
      const bar = progress(`build ${stage}`);
      const onTransfer = await transferEvents(bar);
      try {
        const result = await buildForPlatforms(
          engine,
          target,
          { stage, version: args.version, from: args.from, platforms: commaList(args.platform), noCache: args["no-cache"], buildArgs, push: args.push },
          (e) => {
            if (e.kind !== "build") return onTransfer(e);
            const b = e.event;
            if (b.kind === "step") bar.step(b.text);
            else if (b.kind === "output") bar.detail(b.text);
            else for (const w of b.warnings) warn(w);
          },
        );
        bar.succeed(summary(result));
        results.push(result);
      } catch (e) {
        bar.fail(`build of ${target.path} failed`);
        throw e;
      }
    }
    if (args.json) outJson(args.all ? { builds: results } : results[0]);
    else if (!isTTY(2) && results.length > 1) out(results.map((r) => `${r.dir}\t${r.image}\t${r.skipped ? "skipped" : "built"}`).join("\n"));
  },
});

function summary(result: import("../../core/build/build-platforms.ts").PlatformBuildResult): string {
  const each = result.platforms.map((b) =>
    b.skipped ? `${b.image} is up to date (context unchanged), build skipped` : `built ${b.image} (${b.id.replace(/^sha256:/, "").slice(0, 12)})`,
  );
  const pushed = result.pushed.map((t) => `${t.repository}:${t.tag}`);
  return [...each, ...(pushed.length ? [`pushed ${pushed.join(", ")}`] : [])].join("; ");
}
