#!/usr/bin/env bash
# dt test against plain docker, in the same hyperfine runs:
#  1. Overhead of `dt test --dir D` over `docker run ... python3 -m pytest` of the same tests in
#     the same image. Target: at most 100 ms median.
#  2. Four dirs whose tests sleep 2 s each: `dt test --all -j 2` against `-j 1`. Target: at most
#     0.6x the wall time.
#
# Both run with --no-cache: a cached pass starts no container (that is bench/test-cache.sh).
#
#   bench/test.sh   (env: DT_BIN, TEST_ROUNDS=3, TEST_RUNS=5, BENCH_OUT)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need docker
ensure_dt
load_testbed
ROUNDS=${TEST_ROUNDS:-3}
RUNS=${TEST_RUNS:-5}
status=0

ws=/tmp/dt-bench-test/one
TEST_BODY=$'def test_a():\n    assert True\n\ndef test_b():\n    assert 1 + 1 == 2' runnable_ws "$ws" app
(cd "$ws" && USER=bench "$DT_BIN" docker build --all >/dev/null 2>&1) || die "dt docker build failed"
image=app:$(local_tag "$ws" bench)
echo "== test overhead: dt test --dir app vs docker run ... python3 -m pytest ($ROUNDS x $RUNS)"
jsons=()
for ((i = 1; i <= ROUNDS; i++)); do
  (cd "$ws" && USER=bench hyperfine -N --style none --warmup 1 --runs "$RUNS" \
    --export-json "$BENCH_OUT/test-overhead.$i.json" \
    -n "docker run pytest" "docker run --rm --network none -u $(id -u):$(id -g) -v $ws:$ws -w $ws/app -e PYTHONDONTWRITEBYTECODE=1 $image python3 -m pytest -q -p no:cacheprovider" \
    -n "dt test" "$DT_BIN test --no-cache --dir app" >/dev/null 2>&1) || die "hyperfine failed"
  jsons+=("$BENCH_OUT/test-overhead.$i.json")
done
"$BUN" "$BENCH_ROOT/bench/compare.ts" --ref "docker run pytest" --target 0 --max-overhead-ms 100 --bench test \
  ${BENCH_SUMMARY:+--summary "$BENCH_SUMMARY"} $(printf -- '--json %s ' "${jsons[@]}") || status=1

ws4=/tmp/dt-bench-test/four
TEST_BODY=$'import time\n\ndef test_sleep():\n    time.sleep(2)' runnable_ws "$ws4" a b c d
(cd "$ws4" && USER=bench "$DT_BIN" docker build --all >/dev/null 2>&1) || die "dt docker build failed"
echo "== test parallelism: 4 dirs sleeping 2 s, dt test --all -j 2 vs -j 1 (1 round x 3 runs)"
(cd "$ws4" && USER=bench hyperfine -N --style none --runs 3 \
  --export-json "$BENCH_OUT/test-parallel.json" \
  -n "jobs 1" "$DT_BIN test --no-cache --all -j 1" \
  -n "jobs 2" "$DT_BIN test --no-cache --all -j 2" >/dev/null 2>&1) || die "hyperfine failed"
"$BUN" "$BENCH_ROOT/bench/compare.ts" --ref "jobs 1" --target 0.6 --bench test \
  ${BENCH_SUMMARY:+--summary "$BENCH_SUMMARY"} --json "$BENCH_OUT/test-parallel.json" || status=1
exit $status
