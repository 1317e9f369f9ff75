import { defineCommand } from "../_define.ts";
import { jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "pull",
    description: "Fast-forward every sub-repo to its remote branch, outermost first; a detached one switches to its .gitmodules branch first. Moves no pointer (see roll-forward)",
  },
  args: { ...jsonArgs },
  async run({ args, cwd }) {
    const { pullSubRepos } = await import("../../core/subrepo/pull.ts");
    const { short } = await import("../../core/subrepo/short-commit.ts");
    const { info, out, outDocument } = await import("../../ui/output.ts");
    const show = (line: string) => (args.json ? info(line) : out(line));
    const result = await pullSubRepos(cwd, (r) => {
      const how = r.old === r.new ? `up to date at ${short(r.new)}` : `${short(r.old)} -> ${short(r.new)}`;
      show(`${r.path} (${r.branch}${r.switched ? ", switched from detached HEAD" : ""}): ${how}`);
    });
    if (args.json) return outDocument(result);
    for (const p of result.skipped) info(`skipped ${p}: not initialised ('dt subrepo update' checks it out)`);
    if (result.pulled.some((r) => r.old !== r.new)) info("the super-repos still point at the old commits; move them with 'dt subrepo roll-forward'");
  },
});
