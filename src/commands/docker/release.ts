import { isTTY } from "../../ui/fd.ts";
import { defineCommand } from "../_define.ts";
import { buildArgArgs, dirArgs, jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "release",
    description: "dev: build local, run the suites in it, tag dev-V and dev, push. prod: build prod FROM dev-V, run the suites in it, tag prod-V and prod, push.",
    usage: "Re-running a finished release pushes nothing and says so. --dry-run prints the plan.",
  },
  args: {
    stage: { type: "positional", required: true, description: "dev or prod" },
    version: { type: "string", description: "Version to release (default: the changelog's newest)", valueHint: "X.Y.Z" },
    "skip-tests": { type: "boolean", description: "Do not run the suites before pushing" },
    suite: { type: "string", description: "Suite to run before pushing (repeatable; default fast and slow)", valueHint: "NAME", repeatable: true },
    registry: { type: "string", description: "Release to this registry of registries: (repeatable; default registry:)", valueHint: "NAME", repeatable: true },
    platform: { type: "string", description: "Platforms, comma-separated (default: platforms: in dt.yaml, else this host's)", valueHint: "P,..." },
    "dry-run": { type: "boolean", description: "Print the plan, do nothing" },
    ...buildArgArgs,
    ...dirArgs,
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { usageError } = await import("../../core/base/errors.ts");
    if (args.stage !== "dev" && args.stage !== "prod") throw usageError(`cannot release '${args.stage}'`, { hint: "dt docker release dev|prod" });
    const { release } = await import("../../core/release/release.ts");
    const { parseBuildArgs } = await import("../../core/build/build-image.ts");
    const { scanWorkspace } = await import("../../core/workspace/workspace.ts");
    const { targetOf } = await import("../../core/workspace/target.ts");
    const { resolveTargetDir } = await import("../../core/workspace/workspace.ts");
    const { connectEngine } = await import("../../core/engine/connect.ts");
    const { progress } = await import("../../ui/progress.ts");
    const { formatProgress } = await import("../../core/registry/transfer.ts");
    const { out, outJson, info } = await import("../../ui/output.ts");
    const { parsePlatformList } = await import("../../core/base/platform.ts");
    const platforms = parsePlatformList(args.platform);
    const bar = args["dry-run"] ? undefined : progress(`release ${args.stage}`);
    let lastTransfer = 0;
    try {
      const ws = await scanWorkspace(cwd, { dirty: false });
      const target = targetOf(await resolveTargetDir(cwd, args.dir, ws.root));
      (await import("../../core/workspace/image-names.ts")).assertUniqueImages(ws.root, ws.runnableDirs);
      const result = await release(
        await connectEngine(),
        target,
        ws,
        {
          stage: args.stage,
          version: args.version,
          skipTests: args["skip-tests"],
          suites: args.suite,
          registries: args.registry,
          platforms,
          dryRun: args["dry-run"],
          buildArgs: parseBuildArgs(args["build-arg"]),
        },
        (e) => {
          if (!bar) return;
          if (e.kind === "step") {
            bar.succeed(e.text);
          } else if (e.kind === "build") {
            if (e.event.kind === "step") bar.step(`${e.platform}: ${e.event.text}`);
            else if (e.event.kind === "output") bar.detail(e.event.text);
          } else if (e.kind === "test") {
            if (e.event.kind === "line") bar.detail(e.event.line);
            else if (e.event.kind === "done") bar.step(`${e.event.result.dir}: ${e.event.result.counts.passed} passed, ${e.event.result.counts.failed} failed`);
          } else if (e.kind === "transfer" && (isTTY(2) || Date.now() - lastTransfer > 2000)) {
            lastTransfer = Date.now();
            bar.step(`${e.what}: ${formatProgress(e.progress)}`);
          }
        },
      );
      if (args["dry-run"]) {
        if (args.json) outJson(result);
        else out(result.plan.map((step, i) => `${i + 1}. ${step}`).join("\n"));
        return;
      }
      if (result.alreadyReleased) bar?.succeed(`${args.stage}-${result.version} of ${result.dir} is already released; nothing pushed`);
      else bar?.succeed(`released ${result.pushed.map((p) => `${p.repository}:${p.tag}`).join(", ")}`);
      if (args.json) outJson(result);
      else if (!result.alreadyReleased) info(result.pushed.map((p) => `${p.repository}:${p.tag} ${p.digest}`).join("\n"));
    } catch (e) {
      bar?.fail(`release ${args.stage} failed`);
      throw e;
    }
  },
});
