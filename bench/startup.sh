#!/usr/bin/env bash
# Startup cost of the compiled dt: `dt --help` and `dt --version` against a compiled Bun
# hello-world, in one hyperfine run. Target: median of each at most 1.5x the hello-world's.
# Then a check that these paths never load dockerode (they must not pay for the engine client).
#
#   bench/startup.sh   (env: DT_BIN, STARTUP_ROUNDS=5, STARTUP_RUNS=20, STARTUP_TARGET=1.5, BENCH_OUT)
#
# ROUNDS hyperfine runs of RUNS runs per command each; the verdict is the median of the
# per-round ratios (see bench/compare.ts).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need strace
ensure_dt

ROUNDS=${STARTUP_ROUNDS:-5}
RUNS=${STARTUP_RUNS:-20}
TARGET=${STARTUP_TARGET:-1.5}
work=$(mktemp -d /tmp/dt-bench-startup.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The reference: the smallest program `bun build --compile` makes, built by the same Bun.
echo 'console.log("hello")' >"$work/hello.ts"
(cd "$work" && "$BUN" build --compile hello.ts --outfile hello >/dev/null)
[[ $("$work/hello") == hello ]] || die "the hello-world reference does not run"
"$DT_BIN" --version >/dev/null || die "$DT_BIN --version fails"
"$DT_BIN" --help >/dev/null || die "$DT_BIN --help fails"

echo "== startup: dt --help / --version vs compiled hello-world ($ROUNDS rounds x $RUNS runs each)"
jsons=()
for ((i = 1; i <= ROUNDS; i++)); do
  # -N: no intermediate shell, so a few ms of sh startup do not blur a ~20 ms reference.
  (cd "$work" && hyperfine -N --style none --warmup 3 --runs "$RUNS" \
    --export-json "$BENCH_OUT/startup.$i.json" \
    -n hello "$work/hello" \
    -n "dt --help" "$DT_BIN --help" \
    -n "dt --version" "$DT_BIN --version" >/dev/null 2>&1) || die "hyperfine failed (round $i)"
  jsons+=("$BENCH_OUT/startup.$i.json")
done
status=0
compare hello "$TARGET" startup "${jsons[@]}" || status=1

# dockerode must stay unloaded for --help and --version. The compiled binary embeds every
# module, so look at the same entry point run from source: Bun opens each module file it loads,
# and strace sees those opens. The positive control proves the check can see a dockerode load.
echo "== startup: dockerode not loaded by --help / --version (strace of bun src/main.ts)"
HEAVY='node_modules/(dockerode|docker-modem|ssh2|@grpc|protobufjs)/'
trace() { # trace NAME ARGS...: strace the command, print how many heavy-module files it opened
  local out="$work/strace.$1"; shift
  (cd "$BENCH_ROOT" && strace -f -qq -e trace=open,openat,openat2 -o "$out" "$@" >/dev/null 2>&1) ||
    die "strace failed (ptrace not permitted here?): $*"
  grep -cE "$HEAVY" "$out" || true
}
control=$(trace control "$BUN" -e 'await import("dockerode")')
if [[ $control -eq 0 ]]; then
  echo "  FAIL positive control: importing dockerode opened no dockerode file under strace; the check is blind"
  status=1
else
  echo "  ok   positive control: importing dockerode opens $control of its files"
fi
for args in "--help" "--version"; do
  n=$(trace "${args#--}" "$BUN" src/main.ts $args)
  if [[ $n -eq 0 ]]; then verdict=PASS; else verdict=FAIL; status=1; fi
  echo "  $verdict dt $args opens $n dockerode/docker-modem/ssh2/@grpc/protobufjs files"
  [[ -n ${BENCH_SUMMARY:-} ]] && printf 'startup\tdt %s leaves dockerode unloaded\tcheck\t%s dockerode-stack files opened\t\t\t\t%s\n' "$args" "$n" "$verdict" >>"$BENCH_SUMMARY"
done
exit $status
