import { defineCommand } from "../_define.ts";
import { jsonArgs } from "../_shared.ts";
import { plural } from "../../core/base/text.ts";

export default defineCommand({
  meta: { name: "update", description: "Check out the commit each super-repo records for its sub-repos, at every depth; initialise the missing ones" },
  args: { ...jsonArgs },
  async run({ args, cwd }) {
    const { updateSubRepos } = await import("../../core/subrepo/update.ts");
    const { short } = await import("../../core/subrepo/short-commit.ts");
    const { info, out, outDocument } = await import("../../ui/output.ts");
    const result = await updateSubRepos(cwd);
    if (args.json) return outDocument(result);
    for (const ch of result.changes) {
      if (ch.kind === "initialised") out(`initialised ${ch.path} at ${short(ch.new)}`);
      else out(`moved ${ch.path}: ${short(ch.old)} -> ${short(ch.new)}${ch.oldBranch ? ` (was on ${ch.oldBranch}, now detached)` : ""}`);
    }
    const n = result.unchanged.length;
    if (result.changes.length === 0) out(n === 0 ? "no sub-repos to update" : n === 1 ? "the sub-repo is already at its recorded commit" : `all ${n} sub-repos already at their recorded commits`);
    else if (n > 0) info(`${plural(n, "sub-repo")} unchanged`);
    for (const p of result.uninitialised) info(`not checked out: ${p} (not in the index, or update = none)`);
  },
});
