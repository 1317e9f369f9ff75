import { plural } from "../../core/base/text.ts";
import { defineCommand } from "../_define.ts";

export default defineCommand({
  meta: {
    name: "matrix",
    description: "JSON for a GitHub Actions strategy.matrix: one entry per runnable dir (and shard)",
    usage:
      'Prints {"include":[{"dir","image","stage","shard"?}, ...]} on stdout (--json is implied). An empty\n' +
      'matrix is {"include":[]}: the workflow of \'dt ci init\' then skips its test job. stage is "dev"\n' +
      '(pull the released image) or, with --changed, "local" when the dir\'s devops/ changed (build it).',
  },
  args: {
    changed: { type: "boolean", description: "Only the runnable dirs changed since --base (files, depends_on paths, sub-repos)" },
    base: { type: "string", description: "Git ref to compare with (default: merge-base with the default branch)", valueHint: "REF" },
    shards: { type: "string", description: "Split each dir's tests into N jobs (dt test --shard I/N)", valueHint: "N" },
    json: { type: "boolean", description: "Accepted for symmetry: the output is always one JSON document" },
  },
  impliedJson: true,
  async run({ args, cwd }) {
    const { ciMatrix, parseShards } = await import("../../core/ci/matrix.ts");
    const { info, outJson } = await import("../../ui/output.ts");
    const shards = parseShards(args.shards);
    const result = await ciMatrix(cwd, { changed: args.changed, base: args.base, shards });
    if (result.changed) {
      const { base, baseRef, dirs } = result.changed;
      const since = base ? `${baseRef} (${base.slice(0, 12)})` : baseRef;
      info(`changed since ${since}: ${dirs.length === 0 ? "no runnable dir" : plural(dirs.length, "runnable dir")}`);
      for (const d of dirs) info(`  ${d.path}: ${d.reasons.join("; ")}`);
    }
    const jobs = result.matrix.include.length;
    info(jobs === 0 ? "empty matrix: nothing to test" : `matrix of ${plural(jobs, "job")}`);
    outJson(result.matrix);
  },
});
