#!/usr/bin/env bash
# Runs every bench and prints one summary: each measured command, its reference (measured in the
# same hyperfine run), the ratio of medians, the target and PASS/FAIL. Exits 1 if anything failed.
#
#   bench/run.sh              builds dist/dt-linux-x64 from the current src/ first
#   bench/run.sh --no-build   measures the binary already there (or DT_BIN)
#
# Env: DT_BIN, BENCH_OUT (keeps the hyperfine JSON; default a temp dir), STARTUP_ROUNDS, STARTUP_RUNS,
# LS_ROUNDS, LS_RUNS, BENCHES (default: startup ls real docker-cmd build pack test test-cache release setenv),
# STARTUP_TARGET, LS_TARGET, DT_BENCH_CACHE (where the generated workspace is cached).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=1
for arg in "$@"; do
  case $arg in
    --no-build) build=0 ;;
    -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

export BENCH_OUT=${BENCH_OUT:-$(mktemp -d /tmp/dt-bench-out.XXXXXX)}
mkdir -p "$BENCH_OUT"
export BENCH_SUMMARY=$BENCH_OUT/summary.tsv
: >"$BENCH_SUMMARY"
if [[ $build == 1 && -z ${DT_BIN:-} ]]; then
  (cd "$root" && node_modules/.bin/bun scripts/build.ts --target linux-x64) || { echo "bench: build failed" >&2; exit 2; }
fi

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
failed=()
for bench in ${BENCHES:-startup ls real docker-cmd build pack test test-cache release setenv}; do
  "$here/$bench.sh"
  rc=$?
  # 1 = a target missed (recorded in the summary); anything else = the bench could not run.
  if [[ $rc -eq 1 ]]; then failed+=("$bench"); elif [[ $rc -ne 0 ]]; then failed+=("$bench (error, exit $rc)"); fi
done

echo
echo "== summary (ratio = median / median of the reference in the same hyperfine run)"
awk -F'\t' '$3 == "check" { printf "  %-4s  %-8s %s: %s\n", $8, $1, $2, $4; next } { printf "  %-4s  %-8s %-28s %10s  vs %-34s %10s  ratio %5s  target <= %s\n", $8, $1, $2, $4, $3, $5, $6, $7 }' "$BENCH_SUMMARY"
echo "  (hyperfine JSON in $BENCH_OUT)"
if ((${#failed[@]} > 0)); then
  echo "FAIL: ${failed[*]}"
  exit 1
fi
echo "PASS"
