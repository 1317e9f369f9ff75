import { defineCommand } from "../_define.ts";
import { jsonArgs } from "../_shared.ts";

export default defineCommand({
  meta: { name: "ls", description: "Sub-repos at every depth: commit, branch, tracked branch, ahead/behind origin, dirty, initialised" },
  args: { ...jsonArgs },
  async run({ args, cwd }) {
    const { listSubRepos } = await import("../../core/subrepo/ls.ts");
    const { short } = await import("../../core/subrepo/short-commit.ts");
    const { out, outDocument, table, c } = await import("../../ui/output.ts");
    const { root, subRepos } = await listSubRepos(cwd);
    if (args.json) return outDocument({ root, subRepos });
    if (subRepos.length === 0) return out("no sub-repos; add one with 'dt subrepo add URL PATH'");
    const sync = (a: number | null, b: number | null) =>
      a === null || b === null ? "?" : a === 0 && b === 0 ? "up to date" : [a ? `ahead ${a}` : "", b ? `behind ${b}` : ""].filter(Boolean).join(", ");
    out(
      table(
        ["SUB-REPO", "COMMIT", "BRANCH", "TRACKS", "ORIGIN", "STATE"],
        subRepos.map((s) => [
          s.path,
          short(s.commit),
          s.initialised ? (s.branch ?? "(detached)") : "-",
          s.tracking ? `origin/${s.tracking}` : "-",
          s.initialised ? sync(s.ahead, s.behind) : "-",
          !s.initialised ? c.yellow("not initialised") : s.dirty ? c.yellow("dirty") : "clean",
        ]),
      ),
    );
  },
});
