#!/usr/bin/env bash
# dt docker build --no-cache of a runnable dir on the offline Python base image, against the
# Docker CLI building the same Dockerfile and context with the same (classic) builder:
#   dt docker build --no-cache   vs   DOCKER_BUILDKIT=0 docker build --no-cache -f devops/docker_build/dev.Dockerfile .
# dt does more than the CLI: its labels (one more step, docs/design.md "Images and containers")
# and the listing of the image's Python packages (one short container, for dt deps). Target:
# median of the per-round ratios at most BUILD_TARGET (default 2.0).
#
#   bench/build.sh   (env: DT_BIN, BUILD_ROUNDS=5, BUILD_TARGET=2.0, BENCH_OUT)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need docker
ensure_dt
load_testbed
ROUNDS=${BUILD_ROUNDS:-5}
TARGET=${BUILD_TARGET:-2.0}
ws=/tmp/dt-bench-build/ws
runnable_ws "$ws" app
# The templates on disk, so that the CLI builds the very Dockerfile and context dt sends.
(cd "$ws/app" && "$DT_BIN" init --force >/dev/null 2>&1) || die "dt init --force failed in $ws/app"
gitq "$ws" add -A
gitq "$ws" commit -q -m templates
(cd "$ws/app" && USER=bench "$DT_BIN" docker build >/dev/null 2>&1) || die "dt docker build failed in $ws/app"
ref_image=dt-bench-build-ref
trap 'docker rmi -f "$ref_image" >/dev/null 2>&1' EXIT

echo "== build: dt docker build --no-cache vs docker build --no-cache (classic builder, same Dockerfile) ($ROUNDS paired rounds)"
mapfile -t jsons < <(USER=bench DOCKER_BUILDKIT=0 paired build "$ROUNDS" "$ws/app" \
  -n "docker build" "docker build --no-cache -q -t $ref_image --build-arg BASE_IMAGE=$DT_TEST_PYBASE -f devops/docker_build/dev.Dockerfile ." \
  -n "dt docker build" "$DT_BIN docker build --no-cache")
((${#jsons[@]} == ROUNDS)) || die "a hyperfine round failed"
compare "docker build" "$TARGET" build "${jsons[@]}"
