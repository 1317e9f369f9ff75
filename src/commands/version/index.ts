import { defineCommand, defineGroup, lazy } from "../_define.ts";
import { dirArgs, jsonArgs } from "../_shared.ts";

const show = defineCommand({
  meta: { name: "version", description: "The target dir's version (the changelog's newest entry)" },
  args: { ...jsonArgs, ...dirArgs },
  async run({ args, cwd }) {
    const { resolveTargetDir } = await import("../../core/workspace/workspace.ts");
    const { newestEntryCached } = await import("../../core/version/changelog-file.ts");
    const { out, outDocument } = await import("../../ui/output.ts");
    const target = await resolveTargetDir(cwd, args.dir);
    const newest = await newestEntryCached(target);
    if (args.json) outDocument({ dir: target.path, name: newest.name, version: newest.version, date: newest.date, notes: newest.notes });
    else out(newest.version);
  },
});

export default defineGroup({
  meta: { name: "version", description: "The target dir's version; bump it" },
  self: show,
  subCommands: {
    check: { description: "Check the image's version against the changelog (exit 3 on mismatch)", load: lazy(() => import("./check.ts")) },
    bump: { description: "Prepend a changelog entry (major|minor|patch) and print the new version", load: lazy(() => import("./bump.ts")) },
  },
});
