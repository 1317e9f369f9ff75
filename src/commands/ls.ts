import { watchEngine } from "../core/base/answers.ts";
import { ExitCode } from "../core/base/errors.ts";
import { engineHost } from "../core/engine/engine-host.ts";
import { defineCommand } from "./_define.ts";
import { jsonArgs } from "./_shared.ts";

export default defineCommand({
  meta: {
    name: "ls",
    description: "The workspace: root, sub-repos (path, url, commit, branch, dirty) and runnable dirs (path, image, version, stages built locally)",
    usage: "Exit 2 when a dt.yaml, changelog.txt or image name it read is invalid; the rest is still listed.",
  },
  args: { ...jsonArgs },
  async run({ args, cwd }) {
    const { findWorkspaceRoot, scanWorkspace } = await import("../core/workspace/workspace.ts");
    const { joinProblems, lastSummaries, summarizeAll } = await import("../core/workspace/runnable-info.ts");
    const { askEarly, engineImages, engineImagesOf, FEW_DIRS, stagesIn } = await import("../core/engine/local-stages.ts");
    const { connectEngine } = await import("../core/engine/connect.ts");
    const { out, outDocument, table, c, warn } = await import("../ui/output.ts");
    const { writeAll } = await import("../ui/fd.ts");
    // Many dirs (as many as last time): one listing of the engine's images. A few: each dir's
    // images asked for by name, which costs the engine far less than reading every image it
    // has. Either way the engine answers while git walks the working trees: the names of the
    // dirs of the last run whose files are unchanged are known before git says which dirs
    // there are now. A dir whose config is invalid has no image name, so nothing to ask.
    const named = <T extends { image: string | null }>(list: readonly T[]) => list.filter((s): s is T & { image: string } => s.image !== null);
    // A remembered answer (base/answers.ts) holds while the engine has had no image event since
    // the last one before this run asked it anything.
    const { promise: reached, resolve: reachedIs } = Promise.withResolvers<boolean>();
    const watched = watchEngine(engineHost(), reached);
    const connected = connectEngine();
    const root = findWorkspaceRoot(cwd);
    const last = lastSummaries(root, FEW_DIRS);
    const listing = (last?.count ?? Infinity) > FEW_DIRS ? connected.then(engineImages) : undefined;
    const asked = listing ? undefined : connected.then((e) => askEarly(e, root, named(last?.still ?? [])));
    // From the root found above: the scan's own lookup of it is then one stat, not a walk up from cwd.
    const ws = await scanWorkspace(root, { status: "sub-repos" });
    const summaries = summarizeAll(ws.root, ws.runnableDirs, process.env, last?.keys).map((s, i) => ({ ...s, repo: ws.runnableDirs[i]!.repo }));
    const engine =
      listing ??
      connected.then(async (e) => (summaries.length > FEW_DIRS ? engineImages(e) : engineImagesOf(e, ws.root, named(summaries), { asked: await asked })));
    // Two dirs with one image would overwrite each other's tags: say so on both (build refuses them).
    const byImage = new Map<string, string[]>();
    for (const s of summaries) {
      if (s.image === null) continue;
      const key = `${s.registry ?? ""}/${s.image}`;
      byImage.set(key, [...(byImage.get(key) ?? []), s.path]);
    }
    for (const s of summaries) {
      if (s.image === null) continue;
      const others = byImage.get(`${s.registry ?? ""}/${s.image}`)!.filter((p) => p !== s.path);
      if (others.length) {
        s.problems.push({ kind: "image", where: null, message: `image ${s.image} is also ${others.join(", ")}'s: set image: in one dt.yaml`, hint: null });
        s.problem = joinProblems(s.problems);
      }
    }
    const images = await engine;
    const { engineProblem } = images;
    reachedIs(!engineProblem);
    await watched;
    // A dir whose config is invalid has no known image name: its stages are unknown, not "none".
    const runnable = summaries.map((s) => ({ ...s, stages: s.image === null ? null : stagesIn(images, ws.root, { ...s, image: s.image }) }));
    const invalid = runnable.some((r) => r.problems.length > 0);
    const code = invalid ? ExitCode.usage : ExitCode.ok;
    if (args.json) {
      outDocument({ root: ws.root, subRepos: ws.subRepos, runnableDirs: runnable, engineProblem }, code);
      return code;
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
          { shrink: [4] },
        ),
      );
      out("");
    }
    if (runnable.length === 0) {
      out("no runnable dirs (a runnable dir has changelog.txt and devops/; 'dt init' makes one)");
      return code;
    }
    const header = ["RUNNABLE DIR", "IMAGE", "VERSION", "BUILT", ...(invalid ? ["PROBLEM"] : [])];
    // The table says which dir and where; the messages follow once each (a root dt.yaml's
    // problem is every dir's), with the dirs they hit.
    const problemCell = (r: (typeof runnable)[number]) =>
      r.problems.length === 0 ? "-" : c.red(r.problems.map((p) => p.where ?? (p.kind === "image" ? "image name clash" : `invalid ${p.kind}`)).filter((w, i, all) => all.indexOf(w) === i).join(", "));
    out(
      table(
        header,
        runnable.map((r) => [r.path, r.image ?? c.red("?"), r.version ?? c.red("?"), builtStages(r.stages), ...(invalid ? [problemCell(r)] : [])]),
        { shrink: [1] },
      ),
    );
    const told = new Map<string, { hint: string | null; dirs: string[]; where: string | null }>();
    for (const r of runnable) {
      for (const p of r.problems) {
        const text = `${p.where ?? r.path}: ${p.message}`;
        const entry = told.get(text) ?? { hint: p.hint, dirs: [], where: p.where };
        entry.dirs.push(r.path);
        told.set(text, entry);
      }
    }
    for (const [text, { hint, dirs, where }] of told) {
      // A file of the dir names it already; the root's dt.yaml does not say which dirs it broke.
      const named = where === null || (dirs.length === 1 && (dirs[0] === "." || where.startsWith(`${dirs[0]}/`)));
      writeAll(2, `${c.red("error:")} ${text}${named ? "" : ` ${c.dim(`(${dirs.join(", ")})`)}`}\n`);
      if (hint) writeAll(2, `  ${c.dim("fix:")} ${hint}\n`);
    }
    for (const r of runnable) for (const w of r.warnings) warn(w);
    if (engineProblem) warn(`stages built locally are unknown: ${engineProblem}`);
    return code;
  },
});

function builtStages(stages: Record<string, boolean> | null): string {
  if (!stages) return "?";
  return Object.keys(stages).filter((s) => stages[s]).join(",") || "-";
}
