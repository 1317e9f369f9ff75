import { defineCommand } from "../_define.ts";
import { jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "roll-forward",
    description: "Commit each sub-repo's checked-out commit as its pointer, innermost first: one commit in the workspace root, listing old and new commits",
    usage: [
      "Example: dt subrepo roll-forward helpers_root -m \"Roll forward helpers\"",
      "Without PATH: every initialised sub-repo. A nested sub-repo whose pointer moves gets a commit in its parent sub-repo first.",
      "Only the pointers are committed (git commit --only): other staged changes stay staged.",
    ].join("\n"),
  },
  args: {
    path: { type: "positional", required: false, description: "Sub-repos to roll forward (more than one allowed; default: all)" },
    message: { type: "string", alias: "m", description: "Subject of the commit (default: Roll forward sub-repos)", valueHint: "MSG" },
    ...jsonArgs,
  },
  variadic: true,
  async run({ args, extra, cwd }) {
    const { rollForward } = await import("../../core/subrepo/roll-forward.ts");
    const { short } = await import("../../core/subrepo/short-commit.ts");
    const { info, out, outDocument, warn } = await import("../../ui/output.ts");
    const paths = args.path === undefined ? [] : [args.path, ...extra];
    const result = await rollForward({ cwd, paths, message: args.message });
    if (args.json) return outDocument(result);
    if (result.moves.length === 0) return out("nothing to roll forward: every pointer is at its sub-repo's commit");
    for (const m of result.moves) out(`${m.path}: ${short(m.old)} -> ${short(m.new)}`);
    for (const c of result.commits) {
      info(`committed ${short(c.commit)} in ${c.repo === "." ? "the workspace root" : c.repo}`);
      if (c.detached) warn(`${c.repo} is on a detached HEAD: put that commit on a branch and push it before pushing the root (git -C ${c.repo} switch -c BRANCH)`);
    }
  },
});
