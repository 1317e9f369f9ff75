# Shared by the bench scripts: sourced, not run.
#   DT_BIN        the dt binary to measure (default: dist/dt-linux-x64, built if missing)
#   BENCH_OUT     where hyperfine JSON and the summary go (default: a fresh temp dir)
#   BENCH_SUMMARY tab-separated PASS/FAIL records are appended here (set by run.sh)
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUN=${BUN:-$BENCH_ROOT/node_modules/.bin/bun}
DT_BIN=${DT_BIN:-$BENCH_ROOT/dist/dt-linux-x64}
BENCH_OUT=${BENCH_OUT:-$(mktemp -d /tmp/dt-bench-out.XXXXXX)}
mkdir -p "$BENCH_OUT"

die() { echo "bench: $*" >&2; exit 2; }

need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed (Debian: apt-get install -y $1)"
}

need hyperfine
need git
[[ -x $BUN ]] || die "no bun at $BUN (run npm install / bun install first)"

ensure_dt() {
  if [[ ! -x $DT_BIN ]]; then
    [[ $DT_BIN == "$BENCH_ROOT/dist/dt-linux-x64" ]] || die "DT_BIN=$DT_BIN is not an executable"
    echo "bench: building $DT_BIN" >&2
    (cd "$BENCH_ROOT" && "$BUN" scripts/build.ts --target linux-x64 >&2)
  fi
}

# compare REF TARGET LABEL [--command NAME] [--info] JSON...: judge every command (or only NAME)
# against REF; one JSON per hyperfine run.
compare() {
  local args=(--ref "$1" --target "$2" --bench "$3") f
  shift 3
  while [[ ${1:-} == --* ]]; do
    if [[ $1 == --command ]]; then args+=("$1" "$2"); shift 2; else args+=("$1"); shift; fi
  done
  for f in "$@"; do args+=(--json "$f"); done
  [[ -n ${BENCH_SUMMARY:-} ]] && args+=(--summary "$BENCH_SUMMARY")
  "$BUN" "$BENCH_ROOT/bench/compare.ts" "${args[@]}"
}

# The test bed (engine, registries, base images): scripts/testbed.sh sets it up.
load_testbed() {
  local env=${DT_TESTBED_DIR:-/tmp/dt-testbed}/env
  [[ -f $env ]] || (cd "$BENCH_ROOT" && bash scripts/testbed.sh >&2) || die "the test bed (scripts/testbed.sh) failed"
  set -a
  # shellcheck disable=SC1090
  . "$env"
  set +a
}

# local_tag DIR USER: dt's local floating tag for the workspace at DIR (SPEC, image identity):
# local-USER-KEY, KEY the first 8 hex digits of the sha256 of the workspace's realpath.
local_tag() {
  printf 'local-%s-%s' "$2" "$(realpath "$1" | tr -d '\n' | sha256sum | cut -c1-8)"
}

# gitq DIR ARGS...: git with a fixed identity and no user config, quietly.
gitq() {
  local dir=$1
  shift
  GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@dt.invalid \
    GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@dt.invalid git -C "$dir" "$@" >/dev/null
}

# runnable_ws DIR NAMES...: a git workspace with one runnable dir per name, each with a test
# file from $TEST_BODY (default: one passing test), on the offline Python base image.
runnable_ws() {
  local ws=$1 name
  shift
  rm -rf "$ws"
  mkdir -p "$ws"
  printf 'name: bench\nbase_image: %s\n' "$DT_TEST_PYBASE" >"$ws/dt.yaml"
  for name in "$@"; do
    mkdir -p "$ws/$name/devops/docker_build" "$ws/$name/tests"
    printf '# %s-1.0.0\n- 2026-11-20\n- bench\n' "$name" >"$ws/$name/changelog.txt"
    printf '' >"$ws/$name/devops/docker_build/os_packages.txt"
    printf '[pytest]\nmarkers =\n    slow: slow\n    superslow: superslow\n' >"$ws/$name/pytest.ini"
    printf '%s\n' "${TEST_BODY:-def test_ok():
    assert True}" >"$ws/$name/tests/test_$name.py"
  done
  gitq "$ws" init -q -b main
  gitq "$ws" add -A
  gitq "$ws" commit -q -m bench
}

# paired LABEL ROUNDS DIR -n REF_NAME REF_CMD -n NAME CMD: ROUNDS hyperfine runs in DIR of the two
# commands back to back, RUNS_PER_ROUND runs each (default 1) after one warm-up run each, the
# order swapped every round; prints one JSON file per round. Why: on these machines the second
# command of a hyperfine block runs 8-40% slower than the first, whichever it is (two identical
# `git status` in one block measured 1.08-1.40x), so long blocks in a fixed order measure their
# position; short alternating rounds compare runs taken moments apart, from both positions.
# Output goes to a pipe for both, as where a script reads it (`eval "$(dt setenv)"`): on
# /dev/null, hyperfine's default, dt cannot replay a remembered answer (docs/design.md).
paired() {
  local label=$1 rounds=$2 dir=$3 i
  shift 3
  local ref=("$1" "$2" "$3") cmd=("$4" "$5" "$6")
  for ((i = 1; i <= rounds; i++)); do
    local order=("${ref[@]}" "${cmd[@]}")
    ((i % 2)) || order=("${cmd[@]}" "${ref[@]}")
    (cd "$dir" && hyperfine -N --style none --output=pipe --warmup 1 --runs "${RUNS_PER_ROUND:-1}" --export-json "$BENCH_OUT/$label.$i.json" "${order[@]}" >/dev/null 2>&1) ||
      { echo "bench: hyperfine failed ($label, round $i)" >&2; return 2; }
    echo "$BENCH_OUT/$label.$i.json"
  done
}
