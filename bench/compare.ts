// Judges commands against a reference command from hyperfine --export-json files.
//
//   bun bench/compare.ts --json FILE [--json FILE]... --ref NAME --target RATIO [--bench LABEL] [--summary FILE]
//   ... --max-overhead-ms MS   judge median(command) - median(reference) instead of the ratio
//   ... --max-ratio-to SUM     judge against a sum: the reference is "REF1+REF2" (names joined by +)
//   ... --command NAME         judge only this command (others in the run are references too)
//   ... --info                 report the ratio without a verdict (exit 0; summary says "info")
//
// Each FILE is one hyperfine run (a "round") that measured the reference and the commands
// together. Per round: ratio = median(command) / median(reference), both from that run. The
// verdict uses the median of the per-round ratios: on a shared, noisy machine the load drifts
// between the back-to-back blocks of one hyperfine run, and several short rounds average that out
// while every single ratio still compares measurements taken moments apart.
//
// Prints one line per command, appends tab-separated records to --summary if given, and exits 1
// if any command misses the target.
import { appendFileSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Result {
  command: string;
  median: number;
  min: number;
  user: number;
  system: number;
  times: number[];
}

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    json: { type: "string", multiple: true },
    ref: { type: "string" },
    target: { type: "string" },
    bench: { type: "string" },
    summary: { type: "string" },
    "max-overhead-ms": { type: "string" },
    command: { type: "string" },
    info: { type: "boolean" },
  },
  strict: true,
});
if (!values.json?.length || !values.ref || !values.target) {
  console.error("usage: bun bench/compare.ts --json FILE [--json FILE]... --ref NAME --target RATIO [--bench LABEL] [--summary FILE]");
  process.exit(2);
}
const target = Number(values.target);
const overheadMs = values["max-overhead-ms"] === undefined ? undefined : Number(values["max-overhead-ms"]);
// A reference named "A+B" is the sum of those commands' times, run by run (e.g. bash -c true
// plus dt --version: what eval "$(dt setenv)" cannot avoid).
function sumOf(results: Result[], names: string[]): Result | undefined {
  const parts = names.map((n) => results.find((r) => r.command === n));
  if (parts.some((p) => !p)) return undefined;
  const ps = parts as Result[];
  const n = Math.min(...ps.map((p) => p.times.length));
  const times = Array.from({ length: n }, (_, i) => ps.reduce((a, p) => a + p.times[i]!, 0));
  const sorted = [...times].sort((a, b) => a - b);
  return {
    command: names.join("+"),
    median: sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[(sorted.length >> 1) - 1]! + sorted[sorted.length >> 1]!) / 2,
    min: sorted[0]!,
    user: ps.reduce((a, p) => a + p.user, 0),
    system: ps.reduce((a, p) => a + p.system, 0),
    times,
  };
}
const rounds = values.json.map((file) => {
  const { results: all } = JSON.parse(readFileSync(file, "utf8")) as { results: Result[] };
  const refNames = values.ref!.split("+");
  const ref = refNames.length > 1 ? sumOf(all, refNames) : all.find((r) => r.command === values.ref);
  const results = all.filter((r) => !refNames.includes(r.command) || refNames.length === 1);
  if (ref && refNames.length > 1) results.push(ref);
  if (!ref) {
    console.error(`compare: no command named ${JSON.stringify(values.ref)} in ${file}`);
    process.exit(2);
  }
  return { ref, results };
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
const cpu = (r: Result) => r.user + r.system; // mean user+sys per run
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(" ");

const refAll = rounds.flatMap((r) => r.ref.times);
const refCpu = median(rounds.map((r) => cpu(r.ref)));
console.log(
  `  reference ${values.ref}: median ${ms(median(refAll))} over ${refAll.length} runs in ${rounds.length} round(s), cpu ${ms(refCpu)}`,
);
let failed = false;
const judged = rounds[0]!.results
  .map((r) => r.command)
  .filter((c) => c !== values.ref && !values.ref!.split("+").includes(c) && (values.command === undefined || c === values.command));
for (const name of judged) {
  const per = rounds.map(({ ref, results }) => {
    const r = results.find((x) => x.command === name);
    if (!r) {
      console.error(`compare: a round lacks ${JSON.stringify(name)}`);
      process.exit(2);
    }
    return { r, ratio: r.median / ref.median, overhead: r.median - ref.median, cpuRatio: cpu(r) / cpu(ref) };
  });
  const ratio = median(per.map((p) => p.ratio));
  const overhead = median(per.map((p) => p.overhead));
  const all = per.flatMap((p) => p.r.times);
  const ok = values.info || (overheadMs === undefined ? ratio <= target : overhead * 1000 <= overheadMs);
  failed ||= !ok;
  const verdict = values.info ? "info" : ok ? "PASS" : "FAIL";
  const measure = overheadMs === undefined ? `ratio ${ratio.toFixed(2)}x (target <= ${target}x)` : `overhead ${ms(overhead)} (target <= ${overheadMs} ms), ratio ${ratio.toFixed(2)}x`;
  console.log(
    `  ${verdict} ${name}: median ${ms(median(all))}; ${values.info ? measure.replace(/ \(target.*?\)/, "") : measure}` +
      (rounds.length > 1 ? `, per round ${fmt(per.map((p) => p.ratio))}` : "") +
      `; cpu ratio ${median(per.map((p) => p.cpuRatio)).toFixed(2)}x`,
  );
  if (values.summary) {
    const fields = [
      values.bench ?? "",
      name,
      values.ref,
      ms(median(all)),
      ms(median(refAll)),
      overheadMs === undefined ? ratio.toFixed(2) : `+${(overhead * 1000).toFixed(0)}ms`,
      values.info ? "-" : overheadMs === undefined ? String(target) : `+${overheadMs}ms`,
      verdict,
    ];
    appendFileSync(values.summary, `${fields.join("\t")}\n`);
  }
}
process.exit(failed ? 1 : 0);
