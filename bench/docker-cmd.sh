#!/usr/bin/env bash
# Overhead of `dt docker cmd -- true` over `docker run --rm --network none IMAGE true` on the
# same image, in the same hyperfine runs. Target: median overhead at most 60 ms.
# (The invoke-based toolchain dt replaces adds about 1,700 ms here.)
#
#   bench/docker-cmd.sh   (env: DT_BIN, CMD_ROUNDS=3, CMD_RUNS=10, CMD_TARGET_MS=60, BENCH_OUT)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need docker
ensure_dt
load_testbed
ROUNDS=${CMD_ROUNDS:-3}
RUNS=${CMD_RUNS:-10}
TARGET=${CMD_TARGET_MS:-60}
ws=/tmp/dt-bench-cmd/ws
runnable_ws "$ws" app
(cd "$ws/app" && USER=bench "$DT_BIN" docker build >/dev/null 2>&1) || die "dt docker build failed"
image=app:local-bench
docker image inspect "$image" >/dev/null || die "no image $image"

echo "== docker cmd: dt docker cmd -- true vs docker run --rm --network none $image true ($ROUNDS x $RUNS)"
jsons=()
for ((i = 1; i <= ROUNDS; i++)); do
  (cd "$ws/app" && USER=bench hyperfine -N --style none --warmup 2 --runs "$RUNS" \
    --export-json "$BENCH_OUT/docker-cmd.$i.json" \
    -n "docker run" "docker run --rm --network none $image true" \
    -n "dt docker cmd" "$DT_BIN docker cmd --network none -- true" >/dev/null 2>&1) || die "hyperfine failed"
  jsons+=("$BENCH_OUT/docker-cmd.$i.json")
done
"$BUN" "$BENCH_ROOT/bench/compare.ts" --ref "docker run" --target 0 --max-overhead-ms "$TARGET" --bench docker-cmd \
  ${BENCH_SUMMARY:+--summary "$BENCH_SUMMARY"} $(printf -- '--json %s ' "${jsons[@]}")
