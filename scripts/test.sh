#!/usr/bin/env bash
# The project's test command, locally and in CI:
#
#   bash scripts/test.sh [bun test args...]     e.g. bash scripts/test.sh test/unit
#
# Set-up: installs dependencies, sets up the test bed (scripts/testbed.sh), builds the host
# binary the e2e tests run (dist/dt-linux-x64). Tests: `bun test` with the bed's environment,
# test files spread over several worker processes, slowest first (test/timings.json). Checks:
# a full run (no arguments) also builds every release binary in the background meanwhile, and
# every run ends by checking that its tests left no container, network or volume behind
# (scripts/leftovers.ts). Ends with the plain line `N passed, N failed` that CI reads, summing
# bun's tests and these checks. Exits non-zero when anything failed.
#
#   DT_TEST_JOBS=N             bun test worker processes (default: cores + 1, at most 4)
#   DT_TEST_UPDATE_TIMINGS=1   write this run's per-file durations to test/timings.json
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
STATE=${DT_TESTBED_DIR:-/tmp/dt-testbed}
LOG=${DT_TEST_LOG:-$STATE/logs/bun-test.log}

say() { printf 'test.sh: %s\n' "$*" >&2; }

# A step that fails before the tests ran counts as one failure, so CI never reads a
# broken set-up as "ran no test".
setup_failed() {
  say "$1 failed"
  echo "0 passed, 1 failed"
  exit 1
}

install_deps() {
  if [ -f package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund >&2
  else
    say "npm install"
    npm install --no-audit --no-fund >&2
  fi
}

# Counts from bun's summary (" 12 pass", " 1 fail", " 1 error"), colours stripped.
count() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E "^ *[0-9]+ $2\$" | tail -n 1 | grep -oE '[0-9]+'
}

# Seconds since $1 (a $SECONDS value).
since() { echo "$((SECONDS - $1))"; }

default_jobs() {
  local cores
  cores=$(nproc 2>/dev/null || echo 2)
  # e2e tests mostly wait on the engine, so one worker more than cores keeps both busy; more
  # than 4 only queue up behind the one engine.
  echo $((cores + 1 > 4 ? 4 : cores + 1))
}

main() {
  local full=0 started=$SECONDS t
  [ "$#" -eq 0 ] && full=1

  t=$SECONDS
  install_deps || setup_failed "installing dependencies"
  local t_deps; t_deps=$(since "$t")
  t=$SECONDS
  bash scripts/testbed.sh || setup_failed "the test bed (scripts/testbed.sh)"
  local t_bed; t_bed=$(since "$t")
  t=$SECONDS
  say "bun scripts/build.ts --target linux-x64 (the binary the e2e tests run)"
  node_modules/.bin/bun scripts/build.ts --target linux-x64 >&2 || setup_failed "the build of dist/dt-linux-x64"
  local t_build; t_build=$(since "$t")
  say "set-up took $(since "$started") s (npm ci ${t_deps} s, test bed ${t_bed} s, host build ${t_build} s)"

  # The tests find the engine, registries and images through these variables.
  set -a
  # shellcheck disable=SC1091
  . "$STATE/env"
  set +a

  # Everything this run makes lives below RUN_DIR: the tests' workspaces (TMPDIR), so that the
  # leftover check can tell this run's containers from those of a run beside it; the release
  # build; the log, read back only by this run.
  local run_dir
  run_dir=$(mktemp -d /tmp/dt-suite-XXXXXX) || setup_failed "making the run dir"
  # Tests run dt as another uid in their workspaces: the path must be open to it, like /tmp.
  chmod 755 "$run_dir" && mkdir -m 1777 "$run_dir/tmp" || setup_failed "making the run dir"
  local run_log=$run_dir/bun-test.log

  # The release binaries (every target of scripts/build.ts) are built on a full run, beside the
  # tests: they cost a few seconds of CPU and no test needs them, so nobody waits for them.
  local release_pid='' t_release=$SECONDS
  if [ "$full" = 1 ]; then
    say "bun scripts/build.ts --outdir $run_dir/release (every release target, in the background)"
    node_modules/.bin/bun scripts/build.ts --outdir "$run_dir/release" >"$run_dir/release.log" 2>&1 &
    release_pid=$!
  fi

  # What the registries hold before the tests: the sweep after them removes every other tag.
  node_modules/.bin/bun scripts/registry-sweep.ts snapshot "$run_dir/registry-before.json" >&2 ||
    say "could not list the registries' tags; their sweep after the tests is skipped"

  local jobs=${DT_TEST_JOBS:-$(default_jobs)} timing_args=(--timings=test/timings.json)
  [ "${DT_TEST_UPDATE_TIMINGS:-}" = 1 ] && timing_args+=(--update-timings)
  t=$SECONDS
  say "bun test --parallel=$jobs $* (log: $LOG)"
  # bun 1.4 ignores `timeout` in bunfig.toml and defaults to 5 s per test, too short for
  # e2e tests on a loaded 2-core machine. An explicit --timeout in "$@" comes later and wins.
  # --parallel runs each file in a worker; a worker that crashes is one failure in bun's count.
  TMPDIR=$run_dir/tmp node_modules/.bin/bun test --timeout=120000 --parallel="$jobs" "${timing_args[@]}" "$@" 2>&1 | tee "$run_log"
  local rc=${PIPESTATUS[0]}
  local t_tests; t_tests=$(since "$t")

  local passed failed errors
  passed=$(count "$run_log" pass)
  failed=$(count "$run_log" fail)
  errors=$(count "$run_log" error)
  if [ -z "$passed" ] || [ -z "$failed" ]; then
    say "could not read bun's summary (exit $rc): counted as one failure"
    passed=${passed:-0}
    failed=1
  fi
  # bun counts a file that does not load in "fail" and in "error"; make sure it counts at least once.
  [ -n "$errors" ] && [ "$errors" -gt "$failed" ] && failed=$errors
  # This only keeps the closing line honest if the runner fails some other way.
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  say "tests took ${t_tests} s (bun test, $jobs workers): $passed passed, $failed failed"

  if [ -n "$release_pid" ]; then
    if wait "$release_pid"; then
      say "release build passed, $(since "$t_release") s after its start ($(tail -n 1 "$run_dir/release.log" | tr -s ' ' | sed 's/^ //'))"
      passed=$((passed + 1))
    else
      say "release build FAILED; its output:"
      cat "$run_dir/release.log" >&2
      failed=$((failed + 1))
    fi
  fi

  # Tags the tests pushed: removed whatever the tests' outcome (a failing sweep is one failure).
  if [ -f "$run_dir/registry-before.json" ]; then
    if node_modules/.bin/bun scripts/registry-sweep.ts sweep "$run_dir/registry-before.json" >&2; then
      passed=$((passed + 1))
    else
      say "the registry sweep failed: counted as one failure"
      failed=$((failed + 1))
    fi
  fi

  # One check per kind of engine object; each leftover is named, then removed.
  local checks lo_passed lo_failed
  checks=$(node_modules/.bin/bun scripts/leftovers.ts "$run_dir/tmp" 2>&1)
  printf '%s\n' "$checks" | grep -v '^leftovers: [0-9]* passed' >&2
  lo_passed=$(printf '%s\n' "$checks" | sed -n 's/^leftovers: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  lo_failed=$(printf '%s\n' "$checks" | sed -n 's/^leftovers: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  if [ -z "$lo_passed" ] || [ -z "$lo_failed" ]; then
    say "the leftover check did not finish: counted as one failure"
    printf '%s\n' "$checks" >&2
    lo_passed=0 lo_failed=1
  fi
  say "leftover check: $lo_passed kinds clean, $lo_failed with leftovers"
  passed=$((passed + lo_passed))
  failed=$((failed + lo_failed))

  mkdir -p "$(dirname "$LOG")" && cp "$run_log" "$LOG.$$" && mv "$LOG.$$" "$LOG"
  # CI keeps only the end of the output; bun prints a failure's message and diff far above it.
  [ "$failed" -gt 0 ] && failure_recap "$run_log" >&2
  rm -rf "$run_dir"
  say "the whole run took $(since "$started") s"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
}

# Each failed test again, with what bun printed for it (the lines since the test before it,
# at most 40, colours stripped): the message, the diff, the stack.
failure_recap() {
  say "the failures again, with what bun printed for each:"
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
    /^\(pass\)|^\(skip\)|^\(todo\)|^[^ ]+\.test\.ts:$/ { n = 0; next }
    /^\(fail\)/ { print "----"; for (i = (n > 40 ? n - 40 : 0); i < n; i++) print buf[i % 40]; print; n = 0; next }
    { buf[n % 40] = $0; n++ }
  '
  echo "----"
}

main "$@"
