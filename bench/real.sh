#!/usr/bin/env bash
# dt's everyday commands on a real-shaped workspace (bench/gen-workspace.ts --shape real: 10
# runnable dirs linking their devops files into the sub-repo helpers_root, ~2,000 files), each
# against what it cannot do better than, in the same hyperfine runs:
#   dt ls                       vs git status --porcelain at the root (the same walk of both repos)
#   dt ls, engine unreachable   vs the same
#   dt version, setenv, config  vs a compiled Bun hello-world, in a runnable dir
# Target: median of the per-round ratios at most 1.5 for each. The dirs' local images are built
# first (the usual state of a workspace one works in); the engine-unreachable row is dt's own
# work alone.
#
#   bench/real.sh   (env: DT_BIN, REAL_ROUNDS=30, RUNS_PER_ROUND=1, REAL_TARGET=1.5, BENCH_OUT, DT_BENCH_CACHE)
#
# Rounds are paired (lib.sh: one run of the reference and one of the command, back to back, in
# alternating order); the verdict is the median of the per-round ratios (bench/compare.ts).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need docker
ensure_dt
load_testbed
ROUNDS=${REAL_ROUNDS:-30}
TARGET=${REAL_TARGET:-1.5}
mkdir -p "${DT_BENCH_CACHE:-/tmp}"
ws=$(flock "${DT_BENCH_CACHE:-/tmp}/dt-bench-ws.lock" "$BUN" "$BENCH_ROOT/bench/gen-workspace.ts" --shape real)
[[ -d $ws/.git ]] || die "gen-workspace.ts gave no workspace ($ws)"

work=$(mktemp -d /tmp/dt-bench-real.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Same git configuration for both sides and none of this machine's; dt's caches in $work.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null NO_COLOR=1 USER=bench XDG_CACHE_HOME=$work/cache

echo 'console.log("hello")' >"$work/hello.ts"
(cd "$work" && "$BUN" build --compile hello.ts --outfile hello >/dev/null)
[[ $("$work/hello") == hello ]] || die "the hello-world reference does not run"

docker tag "$DT_TEST_BUSYBOX" dt-bench/base:latest || die "cannot tag $DT_TEST_BUSYBOX as dt-bench/base"
(cd "$ws" && "$DT_BIN" docker build --all >"$work/build.log" 2>&1) || die "dt docker build --all failed in $ws: $(tail -5 "$work/build.log")"

# What is measured must be right: 10 dirs, each read cleanly and built; the sub-repo clean.
(cd "$ws" && "$DT_BIN" ls --json) >"$BENCH_OUT/real-ls.json" || die "dt ls --json failed in $ws"
"$BUN" -e '
  const ws = JSON.parse(await Bun.file(process.argv[1]).text());
  const problems = [];
  if (ws.runnableDirs.length !== 10) problems.push(`${ws.runnableDirs.length} runnable dirs, expected 10`);
  if (ws.subRepos.length !== 1 || ws.subRepos[0].dirty !== false) problems.push(`sub-repos ${JSON.stringify(ws.subRepos)}`);
  const bad = ws.runnableDirs.filter((d) => d.problem || !d.version || !d.stages?.local);
  if (bad.length) problems.push(`${bad.length} dirs unread or not built, e.g. ${JSON.stringify(bad[0])}`);
  if (problems.length) { console.error("bench: dt ls --json is wrong: " + problems.join("; ")); process.exit(1); }
' "$BENCH_OUT/real-ls.json" || exit 2
files=$(git -C "$ws" ls-files --recurse-submodules | wc -l)

# Each row: paired rounds (lib.sh) of its reference and its command.
row() { # row LABEL DIR -n REF_NAME REF_CMD -n NAME CMD
  local label=$1 jsons
  mapfile -t jsons < <(paired "real-$label" "$ROUNDS" "${@:2}")
  ((${#jsons[@]} == ROUNDS)) || die "a hyperfine round of $label failed"
  compare "$4" "$TARGET" real --command "$7" "${jsons[@]}" || status=1
}

status=0
echo "== real: $files files, 10 runnable dirs, 1 sub-repo; $ROUNDS paired rounds per row"
row ls "$ws" -n "git status --porcelain" "git status --porcelain" -n "dt ls" "$DT_BIN ls"
DOCKER_HOST=unix://$work/no-engine.sock row ls-noengine "$ws" -n "git status --porcelain" "git status --porcelain" -n "dt ls (engine unreachable)" "$DT_BIN ls"
row version "$ws/oms" -n hello "$work/hello" -n "dt version" "$DT_BIN version"
row setenv "$ws/oms" -n hello "$work/hello" -n "dt setenv" "$DT_BIN setenv"
row config "$ws/oms" -n hello "$work/hello" -n "dt config" "$DT_BIN config"
exit $status
