#!/usr/bin/env bash
# `dt ls --json` on a large workspace against git doing the same work on the same tree, in one
# hyperfine run. Target: median of dt at most 2x `git status --porcelain` at the root.
#
# Why that reference (docs/benchmarks.md, "dt ls: the reference"): `dt ls` reports every
# sub-repo's dirty state (SPEC), which takes a walk of each working tree; `git status` at the root
# does the same walk of every sub-repo (it runs status in each one) and lists what is untracked,
# as dt must to find new runnable dirs. `git ls-files --recurse-submodules`, the original
# reference, only reads the indexes; the ratio to it is printed too, as information.
# The workspace (200 runnable dirs, 20 sub-repos over 3 levels, 50,000 committed files) comes
# from bench/gen-workspace.ts and is cached under /tmp (about 1-2 min to generate once).
#
#   bench/ls.sh   (env: DT_BIN, LS_ROUNDS=3, LS_RUNS=10, LS_TARGET=2, BENCH_OUT, DT_BENCH_CACHE)
#
# ROUNDS hyperfine runs (warmup 3, RUNS runs per command each); the verdict is the median of the
# per-round ratios (see bench/compare.ts).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_dt

ROUNDS=${LS_ROUNDS:-3}
RUNS=${LS_RUNS:-10}
TARGET=${LS_TARGET:-2}
# flock: two bench runs at once must not generate the same cache directory over each other.
mkdir -p "${DT_BENCH_CACHE:-/tmp}"
ws=$(flock "${DT_BENCH_CACHE:-/tmp}/dt-bench-ws.lock" "$BUN" "$BENCH_ROOT/bench/gen-workspace.ts")
[[ -d $ws/.git ]] || die "gen-workspace.ts gave no workspace ($ws)"
cd "$ws"

# Same git configuration for both sides, and none of this machine's.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null NO_COLOR=1

# What is measured must be right: all 200 runnable dirs and 20 sub-repos, each read cleanly.
"$DT_BIN" ls --json >"$BENCH_OUT/ls-output.json" || die "dt ls --json failed in $ws"
"$BUN" -e '
  const ws = JSON.parse(await Bun.file(process.argv[1]).text());
  const bad = ws.runnableDirs.filter((d) => d.problem || !d.version);
  const dirty = ws.subRepos.filter((s) => s.dirty !== false || !s.initialised);
  const problems = [];
  if (ws.runnableDirs.length !== 200) problems.push(`${ws.runnableDirs.length} runnable dirs, expected 200`);
  if (ws.subRepos.length !== 20) problems.push(`${ws.subRepos.length} sub-repos, expected 20`);
  if (bad.length) problems.push(`${bad.length} runnable dirs with problems, e.g. ${JSON.stringify(bad[0])}`);
  if (dirty.length) problems.push(`${dirty.length} sub-repos not clean or not initialised, e.g. ${dirty[0].path}`);
  if (problems.length) { console.error("bench: dt ls --json is wrong: " + problems.join("; ")); process.exit(1); }
' "$BENCH_OUT/ls-output.json" || exit 2
files=$(git ls-files --recurse-submodules | wc -l)
[[ $files -eq 50000 ]] || die "the workspace lists $files files, expected 50000"

echo "== ls: dt ls --json vs git status --porcelain at the root ($files files, 200 runnable dirs, 20 sub-repos; $ROUNDS rounds x $RUNS runs)"
jsons=()
for ((i = 1; i <= ROUNDS; i++)); do
  hyperfine -N --style none --warmup 3 --runs "$RUNS" \
    --export-json "$BENCH_OUT/ls.$i.json" \
    -n "git ls-files --recurse-submodules" "git ls-files --recurse-submodules" \
    -n "git status --porcelain" "git status --porcelain" \
    -n "dt ls --json" "$DT_BIN ls --json" >/dev/null 2>&1 || die "hyperfine failed (round $i)"
  jsons+=("$BENCH_OUT/ls.$i.json")
done
status=0
compare "git status --porcelain" "$TARGET" ls --command "dt ls --json" "${jsons[@]}" || status=$?
compare "git ls-files --recurse-submodules" "$TARGET" ls-index-only --command "dt ls --json" --info "${jsons[@]}"
exit "$status"
