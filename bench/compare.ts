// Judges commands against a reference command from hyperfine --export-json files.
//
//   bun bench/compare.ts --json FILE [--json FILE]... --ref NAME --target RATIO [--bench LABEL] [--summary FILE]
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
  },
  strict: true,
});
if (!values.json?.length || !values.ref || !values.target) {
  console.error("usage: bun bench/compare.ts --json FILE [--json FILE]... --ref NAME --target RATIO [--bench LABEL] [--summary FILE]");
  process.exit(2);
}
const target = Number(values.target);
const rounds = values.json.map((file) => {
  const { results } = JSON.parse(readFileSync(file, "utf8")) as { results: Result[] };
  const ref = results.find((r) => r.command === values.ref);
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
for (const name of rounds[0]!.results.map((r) => r.command).filter((c) => c !== values.ref)) {
  const per = rounds.map(({ ref, results }) => {
    const r = results.find((x) => x.command === name);
    if (!r) {
      console.error(`compare: a round lacks ${JSON.stringify(name)}`);
      process.exit(2);
    }
    return { r, ratio: r.median / ref.median, cpuRatio: cpu(r) / cpu(ref) };
  });
  const ratio = median(per.map((p) => p.ratio));
  const all = per.flatMap((p) => p.r.times);
  const ok = ratio <= target;
  failed ||= !ok;
  const verdict = ok ? "PASS" : "FAIL";
  console.log(
    `  ${verdict} ${name}: median ${ms(median(all))}; ratio ${ratio.toFixed(2)}x (target <= ${target}x)` +
      (rounds.length > 1 ? `, per round ${fmt(per.map((p) => p.ratio))}` : "") +
      `; cpu ratio ${median(per.map((p) => p.cpuRatio)).toFixed(2)}x`,
  );
  if (values.summary) {
    const fields = [values.bench ?? "", name, values.ref, ms(median(all)), ms(median(refAll)), ratio.toFixed(2), String(target), verdict];
    appendFileSync(values.summary, `${fields.join("\t")}\n`);
  }
}
process.exit(failed ? 1 : 0);
