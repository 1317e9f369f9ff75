#!/usr/bin/env bash
# A release that is already in the registry: `dt docker release dev` must notice it without
# re-pushing or rebuilding. Target: at most 3x one registry manifest request round, measured in
# the same hyperfine run. "One round" is a client that makes one manifest request to the same
# registry: `docker manifest inspect --insecure` (the docker CLI, so its process start counts
# like dt's). curl's bare request is reported too, for scale, not judged.
#
#   bench/release.sh   (env: DT_BIN, RELEASE_ROUNDS=3, RELEASE_RUNS=10, BENCH_OUT)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need docker
need curl
ensure_dt
load_testbed
ROUNDS=${RELEASE_ROUNDS:-3}
RUNS=${RELEASE_RUNS:-10}
ws=/tmp/dt-bench-release/ws
ns=dt-bench-release
runnable_ws "$ws" app
export DT_REGISTRY="$DT_TEST_REGISTRY/$ns" USER=bench
(cd "$ws/app" && "$DT_BIN" docker release dev --skip-tests >/dev/null 2>&1) || die "the first release failed"
ref="$DT_TEST_REGISTRY/$ns/app:dev-1.0.0"
(cd "$ws/app" && "$DT_BIN" docker release dev --skip-tests 2>&1 | grep -q "already released") || die "the second release did not say 'already released'"
accept='application/vnd.docker.distribution.manifest.v2+json'
echo "== release: an already released dev image vs one manifest request round ($ROUNDS x $RUNS)"
jsons=()
for ((i = 1; i <= ROUNDS; i++)); do
  (cd "$ws/app" && hyperfine -N --style none --warmup 2 --runs "$RUNS" \
    --export-json "$BENCH_OUT/release.$i.json" \
    -n "manifest inspect" "docker manifest inspect --insecure $ref" \
    -n "curl manifest" "curl -fsS -o /dev/null -H Accept:$accept http://$DT_TEST_REGISTRY/v2/$ns/app/manifests/dev-1.0.0" \
    -n "dt release (done)" "$DT_BIN docker release dev" >/dev/null 2>&1) || die "hyperfine failed"
  jsons+=("$BENCH_OUT/release.$i.json")
done
"$BUN" "$BENCH_ROOT/bench/compare.ts" --ref "manifest inspect" --target 3 --bench release \
  ${BENCH_SUMMARY:+--summary "$BENCH_SUMMARY"} $(printf -- '--json %s ' "${jsons[@]}")
