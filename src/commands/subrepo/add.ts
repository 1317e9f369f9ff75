import { defineCommand } from "../_define.ts";
import { jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: {
    name: "add",
    description: "Add a repo as a sub-repo at PATH (in the repo that contains PATH) and initialise its own sub-repos; commits nothing",
    usage: "Example: dt subrepo add git@github.com:acme/helpers.git helpers_root --branch main",
  },
  args: {
    url: { type: "positional", required: true, description: "URL or local path of the repo (./ and ../ are relative to the super-repo's origin, as in git)" },
    path: { type: "positional", required: true, description: "Where to put it, relative to the current dir" },
    branch: { type: "string", alias: "b", description: "Branch to check out and track (recorded in .gitmodules)", valueHint: "BRANCH" },
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { addSubRepo } = await import("../../core/subrepo/add.ts");
    const { short } = await import("../../core/subrepo/short-commit.ts");
    const { info, out, outDocument } = await import("../../ui/output.ts");
    const added = await addSubRepo({ cwd, url: args.url, path: args.path, branch: args.branch });
    if (args.json) return outDocument(added);
    out(`added ${added.path} at ${short(added.commit)}${added.branch ? ` (branch ${added.branch})` : ""}`);
    for (const n of added.nested) info(`  initialised ${n}`);
    const where = added.repo === "." ? "" : `-C ${added.repo} `;
    info(`staged .gitmodules and ${added.path}; commit them: git ${where}commit -m "Add sub-repo ${added.path}"`);
    if (added.repo !== ".") info(`then move the pointer of ${added.repo}: dt subrepo roll-forward ${added.repo}`);
  },
});
