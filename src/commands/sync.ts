import { ExitCode } from "../core/base/errors.ts";
import { plural } from "../core/base/text.ts";
import { defineCommand } from "./_define.ts";
import { jsonArgs } from "./_shared.ts";

export default defineCommand({
  meta: {
    name: "sync",
    description: "Copy (or link) the sync.files of dt.yaml from the sync.from sub-repo into this repo; files changed here are kept unless --force",
  },
  args: {
    check: { type: "boolean", description: "Change nothing; exit 1 showing every file that differs from its source (a diff, or the link dt would make)" },
    force: { type: "boolean", description: "Overwrite files changed here (and delete those deleted upstream)" },
    "dry-run": { type: "boolean", description: "Show what would happen, change nothing" },
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { runSync } = await import("../core/sync/run-sync.ts");
    const { out, outDocument, info, warn, c } = await import("../ui/output.ts");
    const result = await runSync({ cwd, check: args.check, force: args.force, dryRun: args["dry-run"] });
    const code = result.ok ? ExitCode.ok : ExitCode.failed;
    if (args.json) {
      outDocument(result, code);
      return code;
    }
    for (const w of result.warnings) warn(w);
    if (result.files.length === 0) {
      info(result.warnings.length > 0 ? "nothing to sync: no destination of sync.files exists" : "nothing to sync: dt.yaml lists no sync.files");
      return code;
    }
    if (result.dirty.length > 0) {
      warn(`${result.from} has uncommitted changes to ${result.dirty.join(", ")}: the content synced is not exactly commit ${result.commit?.slice(0, 12)}`);
    }
    // --check and --dry-run change nothing: what they report is what a sync would do.
    const would = result.mode === "sync" ? "" : "would be ";
    const label = {
      "in-sync": c.dim("in sync"),
      added: c.green(`${would}added`),
      updated: c.green(`${would}updated`),
      kept: c.yellow("kept (customised)"),
      conflict: c.red("conflict"),
      "deleted-upstream": c.yellow("deleted upstream"),
      deleted: c.yellow(`${would}deleted`),
    } as const;
    for (const f of result.files) {
      const detail = f.detail ? c.dim(` (${f.detail})`) : "";
      if (f.mode === "link" && (f.status === "added" || f.status === "updated")) {
        // The plan as one line a reader can check against `ls -l`.
        out(`${f.changed ? c.green("linked") : c.green("would link")} ${f.path} -> ${f.link}${detail}`);
        continue;
      }
      out(`${label[f.status]}  ${f.path}${f.mode === "link" && f.status === "in-sync" ? ` -> ${f.link}` : ""}${detail}`);
      // A diff for whatever --check counts as drift, and for a conflict, whatever the mode.
      const showDiff = result.mode === "check" || f.status === "conflict" || (result.mode === "dry-run" && f.status !== "in-sync");
      if (f.diff && showDiff) out(paintDiff(f.diff, c));
    }
    const count = (s: string) => result.files.filter((f) => f.status === s).length;
    const upstream = `${result.from}@${result.commit?.slice(0, 12)}`;
    if (result.mode === "check") {
      const drift = result.files.filter((f) => f.differs).length;
      const all = result.files.length;
      info(
        drift === 0
          ? `${all === 1 ? "the synced file matches" : `all ${all} synced files match`} ${upstream}`
          : `${drift} of ${plural(all, "synced file")} ${drift === 1 ? "differs" : "differ"} from ${upstream}; 'dt sync' updates ${drift === 1 ? "it" : "them"}`,
      );
    } else {
      const conflicts = count("conflict");
      if (conflicts > 0) info(`${plural(conflicts, "conflict")}: merge by hand, or take upstream's with 'dt sync --force'`);
      else if (result.mode === "sync") info(result.lock.written ? `synced from ${upstream}; wrote ${result.lock.path}` : `up to date with ${upstream}`);
    }
    return code;
  },
});

function paintDiff(diff: string, c: { red(s: string): string; green(s: string): string; cyan(s: string): string; bold(s: string): string }): string {
  return diff
    .replace(/\n$/, "")
    .split("\n")
    .map((line) =>
      line.startsWith("--- ") || line.startsWith("+++ ")
        ? c.bold(line)
        : line.startsWith("@@")
          ? c.cyan(line)
          : line.startsWith("-")
            ? c.red(line)
            : line.startsWith("+")
              ? c.green(line)
              : line,
    )
    .join("\n");
}
