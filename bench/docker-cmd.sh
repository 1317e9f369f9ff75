#!/usr/bin/env bash
# `dt docker cmd -- true` against `docker run --rm ... IMAGE true` with the same options (the
# same image, --init, user, workspace mount, working dir, environment and labels as dt gives
# its container), in the same hyperfine runs: once on the engine's default network, once with
# `--network none` on both sides. Target: median of the per-round ratios at most 1.0 (no slower
# than the Docker CLI). (The invoke-based toolchain dt replaces adds about 1,700 ms here.)
# Rounds are paired (lib.sh): one run of each, back to back, in alternating order.
#
#   bench/docker-cmd.sh   (env: DT_BIN, CMD_ROUNDS=20, RUNS_PER_ROUND=1, CMD_TARGET=1.0, BENCH_OUT)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need docker
ensure_dt
load_testbed
ROUNDS=${CMD_ROUNDS:-20}
TARGET=${CMD_TARGET:-1.0}
ws=/tmp/dt-bench-cmd/ws
runnable_ws "$ws" app
(cd "$ws/app" && USER=bench "$DT_BIN" docker build >/dev/null 2>&1) || die "dt docker build failed"
image=app:$(local_tag "$ws" bench)
docker image inspect "$image" >/dev/null || die "no image $image"

# What dt adds to the container, given to docker run too: its variables (found by running env
# both ways: the DT_* ones and PYTHONDONTWRITEBYTECODE), its labels, --init, user, mount, dir.
user="$(id -u):$(id -g)"
dt_env=$(cd "$ws/app" && USER=bench "$DT_BIN" docker cmd -- env) || die "dt docker cmd -- env failed"
same=(--init -u "$user" -v "$ws:$ws" -w "$ws/app"
  --label "dev.dt.workspace=$ws" --label dev.dt.runnable-dir=app --label "dev.dt.pid=$$" --label "dev.dt.host=$(hostname)")
while IFS= read -r line; do
  [[ $line == DT_* || $line == PYTHONDONTWRITEBYTECODE=* ]] && same+=(-e "$line")
done <<<"$dt_env"
[[ " ${same[*]} " == *" -e DT_WORKSPACE=$ws "* ]] || die "dt's container has no DT_WORKSPACE=$ws; the options compared would not be the same"
# Both must work before they are timed.
docker run --rm "${same[@]}" "$image" true || die "docker run ${same[*]} $image true fails"

status=0
for network in default none; do
  net=()
  label="default network"
  if [[ $network == none ]]; then net=(--network none); label="--network none"; fi
  echo "== docker cmd ($label): dt docker cmd -- true vs docker run --rm (same options) $image true ($ROUNDS paired rounds)"
  # hyperfine -N splits words itself: the options carry no spaces (checked paths under /tmp).
  mapfile -t jsons < <(USER=bench paired "docker-cmd-$network" "$ROUNDS" "$ws/app" \
    -n "docker run" "docker run --rm ${net[*]} ${same[*]} $image true" \
    -n "dt docker cmd${net:+ ${net[*]}}" "$DT_BIN docker cmd ${net[*]} -- true")
  ((${#jsons[@]} == ROUNDS)) || die "a hyperfine round failed ($label)"
  compare "docker run" "$TARGET" docker-cmd "${jsons[@]}" || status=1
done
exit $status
