// The layering of src/ checked against the layer table of docs/architecture.md: the table is
// the one statement of which folder may import which, so the doc cannot drift from the code
// without the suite failing.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { parseImports } from "./import-scan.ts";

export interface LayerRow {
  layer: number;
  /** Repo-relative folders, e.g. `src/core/base`; `src` alone means the files directly in it. */
  folders: string[];
}

/** Source files by repo-relative path, and whether a path names a file (assets, package.json). */
export interface SourceTree {
  files: Map<string, string>;
  exists(path: string): boolean;
}

/**
 * The table under the header `| layer | folders | what lives there |`. Folders are the code
 * spans of the second column; layers must increase down the table, so "up the table" and
 * "to a higher layer" say the same thing.
 */
export function parseLayerTable(markdown: string): LayerRow[] {
  const lines = markdown.split("\n");
  const cells = (l: string) => l.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
  const header = lines.findIndex((l) => /^\s*\|/.test(l) && cells(l).join("|").toLowerCase() === "layer|folders|what lives there");
  if (header < 0) throw new Error("no layer table: expected a header row `| layer | folders | what lives there |`");
  const rows: LayerRow[] = [];
  const seen = new Set<string>();
  for (let n = header + 2; n < lines.length && /^\s*\|/.test(lines[n]!); n++) {
    const [layerCell = "", folderCell = ""] = cells(lines[n]!);
    const where = `layer table, line ${n + 1}`;
    if (!/^\d+$/.test(layerCell)) throw new Error(`${where}: layer "${layerCell}" is not a number`);
    const layer = Number(layerCell);
    const previous = rows.at(-1);
    if (previous && layer <= previous.layer) throw new Error(`${where}: layer ${layer} after ${previous.layer}; layers increase down the table`);
    const folders = [...folderCell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\/+$/, ""));
    if (folders.length === 0) throw new Error(`${where}: no \`folder\` in the folders column`);
    for (const f of folders) {
      if (f !== "src" && !f.startsWith("src/")) throw new Error(`${where}: ${f} is not under src/`);
      if (seen.has(f)) throw new Error(`${where}: ${f} is in two rows`);
      seen.add(f);
    }
    rows.push({ layer, folders });
  }
  if (rows.length === 0) throw new Error("the layer table has no rows");
  return rows;
}

/** The row folder owning `file`: the longest folder that holds it. */
export function folderOf(table: readonly LayerRow[], file: string): { folder: string; layer: number } | undefined {
  let best: { folder: string; layer: number } | undefined;
  for (const { layer, folders } of table) {
    for (const folder of folders) {
      // `src` owns only its own files, so a new folder under src/ must be placed in the table
      // rather than fall silently into the top layer.
      const owns = folder === "src" ? posix.dirname(file) === "src" : file.startsWith(`${folder}/`);
      if (owns && (!best || folder.length > best.folder.length)) best = { folder, layer };
    }
  }
  return best;
}

/** Every .ts file under `root`/src and its text. */
export function readSourceTree(root: string): SourceTree {
  const files = new Map<string, string>();
  const paths = readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" })
    .filter((p) => p.endsWith(".ts"))
    .map((p) => posix.join("src", p.split("\\").join("/")))
    .sort();
  for (const p of paths) files.set(p, readFileSync(join(root, p), "utf8"));
  const exists = (p: string) => {
    try {
      return statSync(join(root, p)).isFile();
    } catch {
      return false;
    }
  };
  return { files, exists };
}

/** An in-memory tree: `files` are the sources, `data` other files that imports may name. */
export function memoryTree(files: Record<string, string>, data: readonly string[] = []): SourceTree {
  const map = new Map(Object.entries(files).sort(([a], [b]) => a.localeCompare(b)));
  const others = new Set(data);
  return { files: map, exists: (p) => map.has(p) || others.has(p) };
}

const CODE = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

type Resolved = { to: string } | { data: string } | { outside: string } | { missing: true };

/** What a relative specifier of `from` names, tried the way Bun's resolver would. */
function resolve(tree: SourceTree, from: string, specifier: string): Resolved {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, `${base}/index.ts`];
  for (const c of candidates) {
    if (tree.files.has(c)) return { to: c };
    if (tree.exists(c)) return CODE.test(c) ? { outside: c } : { data: c };
  }
  return { missing: true };
}

interface Edge {
  to: string;
  line: number;
}

/** Every strongly connected component with a cycle in it (Tarjan), members sorted. */
function tangles(graph: Map<string, Edge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v)!, index.get(to)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfLoop = (graph.get(v) ?? []).some((e) => e.to === v);
    if (component.length > 1 || selfLoop) found.push(component.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** A shortest cycle through the first member of a tangle: `file:line`, ..., and the first again. */
function cycleThrough(graph: Map<string, Edge[]>, members: string[]): string[] {
  const inside = new Set(members);
  const start = members[0]!;
  // Breadth-first from start; the first edge back to start closes a shortest cycle.
  const via = new Map<string, { from: string; line: number }>();
  const queue = [start];
  let closing: { from: string; line: number } | undefined;
  for (let q = 0; q < queue.length && !closing; q++) {
    const v = queue[q]!;
    for (const { to, line } of graph.get(v) ?? []) {
      if (to === start) {
        closing = { from: v, line };
        break;
      }
      if (inside.has(to) && !via.has(to)) {
        via.set(to, { from: v, line });
        queue.push(to);
      }
    }
  }
  const steps: string[] = [start];
  let step = closing!;
  while (true) {
    steps.unshift(`${step.from}:${step.line}`);
    if (step.from === start) break;
    step = via.get(step.from)!;
  }
  return steps;
}

const NEVER_FROM_CORE = ["src/ui/", "src/commands/"];

/**
 * Every breach of the layering, one line each: files outside the table, table folders without
 * files, imports that cannot be checked or resolved, imports up the table or from src/core into
 * src/ui or src/commands, and import cycles (type-only and dynamic imports included: a cycle of
 * types still ties the files together).
 */
export function checkLayers(table: readonly LayerRow[], tree: SourceTree): string[] {
  const problems: string[] = [];
  const files = [...tree.files.keys()].sort();

  for (const { layer, folders } of table) {
    for (const folder of folders) {
      if (!files.some((f) => folderOf(table, f)?.folder === folder)) problems.push(`layer table: ${folder} (layer ${layer}) holds no .ts file`);
    }
  }
  for (const f of files) if (!folderOf(table, f)) problems.push(`${f}: in no row of the layer table`);

  const graph = new Map<string, Edge[]>();
  for (const from of files) {
    const edges: Edge[] = [];
    graph.set(from, edges);
    for (const ref of parseImports(tree.files.get(from)!)) {
      const at = `${from}:${ref.line}`;
      if (ref.unverifiable !== undefined) {
        problems.push(`${at} ${ref.unverifiable}: a dynamic import of a computed specifier cannot be checked; import a literal path`);
        continue;
      }
      const specifier = ref.specifier!;
      if (!/^\.\.?(\/|$)/.test(specifier)) continue; // a package
      const target = resolve(tree, from, specifier);
      if ("missing" in target) {
        problems.push(`${at} imports "${specifier}": no such file`);
      } else if ("outside" in target) {
        problems.push(`${at} imports ${target.outside}: outside src/, so in no layer`);
      } else if ("to" in target) {
        edges.push({ to: target.to, line: ref.line });
        const reasons: string[] = [];
        const a = folderOf(table, from);
        const b = folderOf(table, target.to);
        if (a && b && b.layer > a.layer) reasons.push(`layer ${a.layer} -> ${b.layer} goes up the table`);
        const banned = NEVER_FROM_CORE.find((p) => target.to.startsWith(p));
        if (from.startsWith("src/core/") && banned) reasons.push(`src/core never imports ${banned.slice(0, -1)}`);
        if (reasons.length > 0) problems.push(`${at} imports ${target.to}: ${reasons.join("; ")}`);
      }
    }
  }

  for (const members of tangles(graph)) {
    const cycle = cycleThrough(graph, members);
    // A tangle can hold more files than its shortest cycle; name them all, they all need untying.
    const all = members.length > cycle.length - 1 ? ` (all ${members.length} files of the tangle: ${members.join(", ")})` : "";
    problems.push(`import cycle: ${cycle.join(" -> ")}${all}`);
  }
  return problems;
}
