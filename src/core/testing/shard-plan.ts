import { join } from "node:path";
import { assignShard, listTestFiles, readDurations, type Shard } from "./shard.ts";
import { exclusionsFor, reportSlug, type Selection } from "./select-dirs.ts";

/**
 * The test files of this shard, per selected dir (host paths). The split is over all
 * selected dirs' files together, balanced by the durations of earlier reports.
 */
export function planShard(selection: Selection, shard: Shard): Map<string, string[]> {
  const root = selection.ws.root;
  const owner = new Map<string, string>();
  for (const d of selection.dirs) {
    for (const file of listTestFiles(root, d.absPath, exclusionsFor(selection.ws, d.path))) owner.set(file, d.path);
  }
  const durations = readDurations(
    selection.dirs.map((d) => ({ report: join(root, ".dt", "reports", `${reportSlug(d.path)}.xml`), dir: d.path })),
    root,
  );
  const mine = assignShard([...owner.keys()], durations, shard.index, shard.total);
  const out = new Map<string, string[]>();
  for (const file of mine) {
    const dir = owner.get(file)!;
    out.set(dir, [...(out.get(dir) ?? []), join(root, file)]);
  }
  return out;
}
