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

# compare REF TARGET LABEL JSON...: judge every command against REF; one JSON per hyperfine run.
compare() {
  local args=(--ref "$1" --target "$2" --bench "$3") f
  shift 3
  for f in "$@"; do args+=(--json "$f"); done
  [[ -n ${BENCH_SUMMARY:-} ]] && args+=(--summary "$BENCH_SUMMARY")
  "$BUN" "$BENCH_ROOT/bench/compare.ts" "${args[@]}"
}
