#!/usr/bin/env bun
// Long fuzz runs of dt's parsers of user files (dt.yaml, changelog.txt, dockerignore,
// .gitmodules) with the generators and contract checks of the test suite
// (test/reliability/generators.ts), which runs a few thousand cases of each on every test run.
//
//   bun scripts/fuzz.ts [--seconds 60] [--seed N] [--target NAME[,NAME]] [--case I]
//
// Runs the targets in turn, in batches, until the time is up; prints the tallies per target.
// On the first input that breaks a parser's contract it prints the input, the seed and the case
// number, and exits 1. `--case I` (with --seed and --target) replays that one case.
import { describeFailure, runCases, TARGETS, type FuzzTarget } from "../test/reliability/generators.ts";

function usage(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: bun scripts/fuzz.ts [--seconds N] [--seed N] [--target ${TARGETS.map((t) => t.name).join(",")}] [--case I]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let seconds = 60;
let seed = Date.now() % 2 ** 31;
let targets: readonly FuzzTarget[] = TARGETS;
let single: number | undefined;
for (let i = 0; i < args.length; i++) {
  const flag = args[i]!;
  const value = () => args[++i] ?? usage(`${flag} needs a value`);
  const int = (v: string) => (/^\d+$/.test(v) ? Number(v) : usage(`${flag} ${v} is not a number`));
  if (flag === "--seconds") seconds = int(value());
  else if (flag === "--seed") seed = int(value());
  else if (flag === "--case") single = int(value());
  else if (flag === "--target") {
    const names = value().split(",");
    targets = names.map((n) => TARGETS.find((t) => t.name === n) ?? usage(`unknown target ${n}`));
  } else if (flag === "--help" || flag === "-h") usage("help");
  else usage(`unknown argument ${flag}`);
}

if (single !== undefined) {
  for (const target of targets) {
    const result = runCases(target, seed, single, single + 1);
    if (result.failure) {
      process.stdout.write(`${describeFailure(result.failure)}\n`);
      process.exit(1);
    }
    process.stdout.write(`${target.name}: case ${single} of seed ${seed} ${result.parsed ? "parsed" : "was rejected properly"}\n`);
  }
  process.exit(0);
}

process.stdout.write(`fuzz: seed ${seed}, ${seconds} s, targets ${targets.map((t) => t.name).join(", ")}\n`);
const tallies = new Map(targets.map((t) => [t.name, { cases: 0, parsed: 0, rejected: 0 }]));
const deadline = Date.now() + seconds * 1000;
const BATCH = 500;
let round = 0;
while (Date.now() < deadline) {
  for (const target of targets) {
    const from = round * BATCH;
    const result = runCases(target, seed, from, from + BATCH);
    const tally = tallies.get(target.name)!;
    tally.parsed += result.parsed;
    tally.rejected += result.rejected;
    tally.cases += result.parsed + result.rejected;
    if (result.failure) {
      process.stdout.write(`${describeFailure(result.failure)}\n`);
      if (result.failure.error.cause) process.stdout.write(`cause: ${String((result.failure.error.cause as Error)?.stack ?? result.failure.error.cause)}\n`);
      process.exit(1);
    }
    if (Date.now() >= deadline) break;
  }
  round++;
}
for (const [name, t] of tallies) {
  process.stdout.write(`${name.padEnd(14)} ${String(t.cases).padStart(8)} cases: ${t.parsed} parsed, ${t.rejected} rejected with file:line\n`);
}
process.stdout.write("fuzz: no contract broken\n");
