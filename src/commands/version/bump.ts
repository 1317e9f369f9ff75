import { defineCommand } from "../_define.ts";
import { dirArgs, jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: { name: "bump", description: "Prepend a changelog entry and print the new version (atomic write)" },
  args: {
    part: { type: "positional", required: true, description: "major, minor or patch", complete: ["major", "minor", "patch"] },
    message: { type: "string", alias: "m", description: "What changed (repeatable, one line each)", valueHint: "MSG", repeatable: true },
    date: { type: "string", description: "Entry date (default: today)", valueHint: "YYYY-MM-DD" },
    ...dirArgs,
    ...jsonArgs,
  },
  async run({ args, cwd }) {
    const { usageError } = await import("../../core/base/errors.ts");
    const part = args.part;
    if (part !== "major" && part !== "minor" && part !== "patch") {
      throw usageError(`'${part}' is not a version part`, { hint: "use major, minor or patch, e.g. 'dt version bump minor -m \"Add pyarrow\"'" });
    }
    const { resolveTargetDir } = await import("../../core/workspace/workspace.ts");
    const { bumpVersion } = await import("../../core/version/changelog-file.ts");
    const { out, outDocument } = await import("../../ui/output.ts");
    const target = await resolveTargetDir(cwd, args.dir);
    const version = bumpVersion(target, part, args.message, args.date);
    if (args.json) outDocument({ dir: target.path, version });
    else out(version);
  },
});
