#!/usr/bin/env bash
# A `dt test --dir D` served entirely from the test-result cache (no container started) against
# `dt ls --json` of the same workspace, in the same hyperfine runs. Target: median at most 2x.
#
# The workspace is a copy of the one bench/ls.sh measures (200 runnable dirs, 20 sub-repos over
# 3 levels, 50,000 committed files; bench/gen-workspace.ts), so the cache's work (a status walk
# of every repo, one `git ls-files -s --recurse-submodules`, the key over what the dir's tests
# see: with the default setenv.pythonpath "." that is every file outside the other runnable
# dirs) is measured where it is largest. One dir gets a test, a pytest.ini and the bed's Python
# base image, is built, and runs once so that its pass is cached. The copy is kept under
# $DT_BENCH_CACHE (default /tmp) and reused; it is never the ls bench's own tree.
#
#   bench/test-cache.sh   (env: DT_BIN, TEST_CACHE_ROUNDS=3, TEST_CACHE_RUNS=10, TEST_CACHE_TARGET=2, BENCH_OUT)
#
# ROUNDS hyperfine runs (warmup 3, RUNS runs per command each); the verdict is the median of the
# per-round ratios (see bench/compare.ts).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need docker
ensure_dt
load_testbed

ROUNDS=${TEST_CACHE_ROUNDS:-3}
RUNS=${TEST_CACHE_RUNS:-10}
TARGET=${TEST_CACHE_TARGET:-2}
DIR=services/svc-190
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null NO_COLOR=1 USER=bench

mkdir -p "${DT_BENCH_CACHE:-/tmp}"
source_ws=$(flock "${DT_BENCH_CACHE:-/tmp}/dt-bench-ws.lock" "$BUN" "$BENCH_ROOT/bench/gen-workspace.ts")
[[ -d $source_ws/.git ]] || die "gen-workspace.ts gave no workspace ($source_ws)"
base=${DT_BENCH_CACHE:-/tmp}/dt-bench-test-cache-$(basename "$(dirname "$source_ws")")
ws=$base/ws
if [[ ! -f $base/READY ]]; then
  echo "bench: copying $source_ws to $ws (once)" >&2
  rm -rf "$base"
  mkdir -p "$base"
  cp -a "$source_ws" "$ws"
  printf 'name: benchws\nbase_image: %s\n' "$DT_TEST_PYBASE" >"$ws/dt.yaml"
  mkdir -p "$ws/$DIR/tests"
  printf 'def test_ok():\n    assert 1 + 1 == 2\n' >"$ws/$DIR/tests/test_bench.py"
  printf '[pytest]\nmarkers =\n    slow: slow\n    superslow: superslow\n' >"$ws/$DIR/pytest.ini"
  touch "$base/READY"
fi
cd "$ws"

# Build (skipped when the image is there), and one run that puts the pass in the cache.
"$DT_BIN" docker build --dir "$DIR" >/dev/null 2>&1 || die "dt docker build --dir $DIR failed in $ws"
"$DT_BIN" test --dir "$DIR" >/dev/null 2>&1 || die "dt test --dir $DIR failed in $ws"
# What is measured must be a hit: no container, the original run's result.
"$DT_BIN" test --dir "$DIR" --json >"$BENCH_OUT/test-cache-output.json" 2>/dev/null || die "dt test --dir $DIR --json failed"
"$BUN" -e '
  const r = JSON.parse(await Bun.file(process.argv[1]).text());
  const d = r.dirs[0];
  if (!d || d.cached !== true || d.status !== "passed") { console.error("bench: dt test was not served from the cache: " + JSON.stringify(d)); process.exit(1); }
' "$BENCH_OUT/test-cache-output.json" || exit 2
"$DT_BIN" ls --json >/dev/null || die "dt ls --json failed in $ws"

echo "== test-cache: dt test --dir $DIR (served from the cache) vs dt ls --json ($ROUNDS rounds x $RUNS runs)"
jsons=()
for ((i = 1; i <= ROUNDS; i++)); do
  hyperfine -N --style none --warmup 3 --runs "$RUNS" \
    --export-json "$BENCH_OUT/test-cache.$i.json" \
    -n "dt ls --json" "$DT_BIN ls --json" \
    -n "dt test (cached)" "$DT_BIN test --dir $DIR" >/dev/null 2>&1 || die "hyperfine failed (round $i)"
  jsons+=("$BENCH_OUT/test-cache.$i.json")
done
compare "dt ls --json" "$TARGET" test-cache --command "dt test (cached)" "${jsons[@]}"
