import { defineCommand } from "./_define.ts";
import { jsonArgs } from "./_shared.ts";

export default defineCommand({
  meta: { name: "ls", description: "The workspace: root, sub-repos (path, url, commit, branch, dirty) and runnable dirs (path, image, version, stages built locally)" },
  args: { ...jsonArgs },
  async run({ args, cwd }) {
    const { scanWorkspace } = await import("../core/workspace/workspace.ts");
    const { findWorkspaceRoot } = await import("../core/workspace/workspace.ts");
    const { lastSummaries, summarizeAll } = await import("../core/workspace/runnable-info.ts");
    const { askEarly, engineImages, engineImagesOf, FEW_DIRS, stagesIn } = await import("../core/engine/local-stages.ts");
    const { connectEngine } = await import("../core/engine/connect.ts");
    const { out, outJson, table, c, warn } = await import("../ui/output.ts");
    // Many dirs (as many as last time): one listing of the engine's images. A few: each dir's
    // images asked for by name, which costs the engine far less than reading every image it
    // has. Either way the engine answers while git walks the working trees: the names of the
    // dirs of the last run whose files are unchanged are known before git says which dirs
    // there are now.
    const connected = connectEngine();
    const root = findWorkspaceRoot(cwd);
    const last = lastSummaries(root, FEW_DIRS);
    const listing = (last?.count ?? Infinity) > FEW_DIRS ? connected.then(engineImages) : undefined;
    const asked = listing ? undefined : connected.then((e) => askEarly(e, root, last?.still ?? []));
    const ws = await scanWorkspace(cwd);
    const summaries = summarizeAll(ws.root, ws.runnableDirs).map((s, i) => ({ ...s, repo: ws.runnableDirs[i]!.repo }));
    const engine =
      listing ??
      connected.then(async (e) => (summaries.length > FEW_DIRS ? engineImages(e) : engineImagesOf(e, ws.root, summaries, { asked: await asked })));
    // Two dirs with one image would overwrite each other's tags: say so on both (build refuses them).
    const byImage = new Map<string, string[]>();
    for (const s of summaries) {
      const key = `${s.registry ?? ""}/${s.image}`;
      byImage.set(key, [...(byImage.get(key) ?? []), s.path]);
    }
    for (const s of summaries) {
      const others = byImage.get(`${s.registry ?? ""}/${s.image}`)!.filter((p) => p !== s.path);
      if (others.length) s.problem = [s.problem, `image ${s.image} is also ${others.join(", ")}'s: set image: in one dt.yaml`].filter(Boolean).join("; ");
    }
    const images = await engine;
    const { engineProblem } = images;
    const runnable = summaries.map((s) => ({ ...s, stages: stagesIn(images, ws.root, s) }));
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
    for (const r of runnable) if (r.version && r.problem) warn(`${r.path}: ${r.problem}`);
    if (engineProblem) warn(`stages built locally are unknown: ${engineProblem}`);
  },
});

function builtStages(stages: Record<string, boolean> | null): string {
  if (!stages) return "?";
  return Object.keys(stages).filter((s) => stages[s]).join(",") || "-";
}
