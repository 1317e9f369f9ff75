import { defineCommand } from "../_define.ts";
import { buildArgArgs, dirArgs, jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "release",
    description: "dev: build local, run the suites in it, tag dev-V and dev, push. prod: build prod FROM dev-V, run the suites in it, tag prod-V and prod, push.",
    usage: "Re-running a finished release pushes nothing and says so. --dry-run prints the plan.",
  },
  args: {
    stage: { type: "positional", required: true, description: "dev or prod", complete: ["dev", "prod"] },
    version: { type: "string", description: "Version to release (default: the changelog's newest)", valueHint: "X.Y.Z" },
    "skip-tests": { type: "boolean", description: "Do not run the suites before pushing" },
    suite: { type: "string", description: "Suite to run before pushing (repeatable; default fast and slow)", valueHint: "NAME", repeatable: true, complete: "suites" },
    registry: { type: "string", description: "Release to this registry of registries: (repeatable; default registry:)", valueHint: "NAME", repeatable: true },
    platform: { type: "string", description: "Platforms, comma-separated (default: platforms: in dt.yaml, else this host's), each built on its builder of dt.yaml if it has one", valueHint: "P,..." },
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
    const { scanWorkspace, resolveTargetDir } = await import("../../core/workspace/workspace.ts");
    const { targetOf } = await import("../../core/workspace/target.ts");
    const { connectEngine } = await import("../../core/engine/connect.ts");
    const { progress } = await import("../../ui/progress.ts");
    const { failureLines } = await import("../../ui/test-failures.ts");
    const { describeOutcome } = await import("../../ui/test-display.ts");
    const { writeAll } = await import("../../ui/fd.ts");
    const { out, outDocument, info, c } = await import("../../ui/output.ts");
    const { stepLog, transferEvents } = await import("./_transfer-ui.ts");
    const { parsePlatformList } = await import("../../core/base/platform.ts");
    const platforms = parsePlatformList(args.platform);
    const bar = args["dry-run"] ? undefined : progress(`release ${args.stage}`);
    const steps = bar && stepLog(bar);
    const onTransfer = bar && (await transferEvents(bar, steps));
    // pytest's FAILED lines of a failing suite, printed under its ✗ once the release has stopped.
    let failures: string[] = [];
    let outcome: string | undefined;
    try {
      const ws = await scanWorkspace(cwd, { status: "none" });
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
          if (e.kind === "build") {
            if (e.event.kind === "step") bar.step(`${e.platform}: ${e.event.text}`);
            else if (e.event.kind === "output") bar.detail(e.event.text);
          } else if (e.kind === "test") {
            if (e.event.kind === "line") bar.detail(e.event.line);
            else if (e.event.kind === "done" && e.event.result.status !== "passed" && e.event.result.status !== "no-tests") {
              failures = failureLines(e.event.result);
              outcome = describeOutcome(e.event.result);
            }
          } else onTransfer!(e);
        },
      );
      if (args["dry-run"]) {
        if (args.json) outDocument(result);
        else out(result.plan.map((step, i) => `${i + 1}. ${step}`).join("\n"));
        return;
      }
      if (result.alreadyReleased) bar?.succeed(`${args.stage}-${result.version} of ${result.dir} is already released; nothing pushed`);
      else bar?.succeed(`released ${result.pushed.map((p) => `${p.repository}:${p.tag}`).join(", ")}`);
      if (args.json) outDocument(result);
      else if (!result.alreadyReleased) info(result.pushed.map((p) => `${p.repository}:${p.tag} ${p.digest}`).join("\n"));
    } catch (e) {
      if (!steps?.failed(outcome)) bar?.fail(`release ${args.stage} failed`);
      // The failing tests are the error's substance: shown under --quiet too, as errors are.
      if (failures.length) writeAll(2, failures.map((l) => `  ${l.startsWith("FAILED") || l.startsWith("ERROR") ? c.red(l) : l}\n`).join(""));
      throw e;
    }
  },
});
