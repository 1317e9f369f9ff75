import { defineCommand } from "./_define.ts";
import { jsonArgs } from "./_shared.ts";

export default defineCommand({
  meta: { name: "ls", description: "The workspace: root, sub-repos (path, url, commit, branch, dirty) and runnable dirs (path, image, version, stages built locally)" },
  args: { ...jsonArgs },
  async run({ args, cwd }) {
    const { scanWorkspace } = await import("../core/workspace/workspace.ts");
    const { summarizeRunnable } = await import("../core/workspace/runnable-info.ts");
    const { localTags, stagesIn } = await import("../core/engine/local-stages.ts");
    const { connectEngine } = await import("../core/engine/connect.ts");
    const { out, outJson, table, c, warn } = await import("../ui/output.ts");
    // The engine answers while git walks the working trees.
    const engine = connectEngine().then(localTags);
    const ws = await scanWorkspace(cwd);
    const summaries = ws.runnableDirs.map((d) => ({ ...summarizeRunnable(ws.root, d), repo: d.repo }));
    const { tags, engineProblem } = await engine;
    const runnable = summaries.map((s) => ({ ...s, stages: stagesIn(tags, s) }));
    if (args.json) {
      outJson({ root: ws.root, subRepos: ws.subRepos, runnableDirs: runnable, engineProblem });
      return;
    }
    out(`${c.bold("workspace")} ${ws.root}`);
    out("");
    if (ws.subRepos.length > 0) {
      out(
        table(
          ["SUB-REPO", "COMMIT", "BRANCH", "STATE", "URL"],
          ws.subRepos.map((s) => [
            s.path,
            s.commit?.slice(0, 10) ?? "-",
            s.branch ?? (s.initialised ? "(detached)" : "-"),
            !s.initialised ? c.yellow("not initialised") : s.dirty ? c.yellow("dirty") : "clean",
            s.url ?? "-",
          ]),
        ),
      );
      out("");
    }
    if (runnable.length === 0) {
      out("no runnable dirs (a runnable dir has changelog.txt and devops/; 'dt init' makes one)");
      return;
    }
    out(
      table(
        ["RUNNABLE DIR", "IMAGE", "VERSION", "BUILT"],
        runnable.map((r) => [r.path, r.image, r.version ?? c.red(r.problem ?? "?"), builtStages(r.stages)]),
      ),
    );
    if (engineProblem) warn(`stages built locally are unknown: ${engineProblem}`);
  },
});

function builtStages(stages: Record<string, boolean> | null): string {
  if (!stages) return "?";
  return Object.keys(stages).filter((s) => stages[s]).join(",") || "-";
}
