import type { ArgsDef, ArgsOf } from "../../cli-args.ts";
import type { PoetryCommand } from "../../core/deps/resolve.ts";
import { dirArgs, jsonArgs } from "../_shared.ts";

/** The options of `dt deps lock` and `dt deps update`. */
export const lockArgs = {
  ...dirArgs,
  network: { type: "string", description: "Container network for poetry, e.g. host for a package index on this machine", valueHint: "NAME" },
  bump: { type: "enum", options: ["major", "minor", "patch"], description: "When packages moved, also prepend a changelog entry (needs -m)", valueHint: "major|minor|patch" },
  message: { type: "string", alias: "m", description: "With --bump: what changed (repeatable, one line each)", valueHint: "MSG", repeatable: true },
  ...jsonArgs,
} as const satisfies ArgsDef;

/** Resolves, writes the lock and prints what moved: the whole of both commands after parsing. */
export async function runLock(args: ArgsOf<typeof lockArgs>, cwd: string, command: PoetryCommand): Promise<void> {
  const { usageError } = await import("../../core/base/errors.ts");
  if (args.bump && args.message.length === 0) throw usageError("--bump needs the changelog entry's text", { hint: `add -m "what changed", e.g. dt deps ${command.kind} --bump patch -m "Update pandas"` });
  if (!args.bump && args.message.length > 0) throw usageError("-m goes with --bump", { hint: "add --bump patch (or minor, major)" });
  const [{ loadTarget }, { findSubRepos }, { connectEngine }, { lockDeps }, { diffLines }, { progress }, { out, outJson, info, warn }] = await Promise.all([
    import("../../core/workspace/target.ts"),
    import("../../core/workspace/workspace.ts"),
    import("../../core/engine/connect.ts"),
    import("../../core/deps/lock.ts"),
    import("../../core/deps/packages.ts"),
    import("../../ui/progress.ts"),
    import("../../ui/output.ts"),
  ]);
  const target = await loadTarget(cwd, args.dir);
  const engine = await connectEngine();
  const bar = progress(`deps ${command.kind}`);
  bar.step("resolving with poetry in the local image");
  let result;
  try {
    result = await lockDeps(engine, target, findSubRepos(target.root), {
      command,
      network: args.network,
      bump: args.bump ? { kind: args.bump, notes: args.message } : undefined,
      onLine: (line) => bar.detail(line),
      onNotice: (text) => bar.step(text),
    });
  } catch (e) {
    bar.fail(`deps ${command.kind} of ${target.path === "." ? "the root dir" : target.path} failed`);
    throw e;
  }
  const lines = diffLines(result.diff);
  bar.succeed(
    lines.length
      ? `${result.lockFile}: ${lines.length} package${lines.length === 1 ? "" : "s"} moved (resolved in ${result.image})`
      : result.written
        ? `${result.lockFile} rewritten, no package moved`
        : `${result.lockFile} is up to date, nothing moved`,
  );
  if (args.json) outJson(result);
  else if (lines.length) out(lines.join("\n"));
  const build = `dt docker build${target.path === "." ? "" : ` --dir ${target.path}`}`;
  if (result.version) info(`changelog: version ${result.version} (a new entry in ${target.path === "." ? "" : `${target.path}/`}changelog.txt)`);
  if (result.stale) {
    const image = result.staleImage ? `the local image ${result.staleImage}` : "the local image";
    warn(`${image} is now stale: ${result.version ? `build version ${result.version}` : "rebuild it"} with '${build}'`);
  }
}
