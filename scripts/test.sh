#!/usr/bin/env bash
# The project's test command, locally and in CI:
#
#   bash scripts/test.sh [bun test args...]     e.g. bash scripts/test.sh test/unit
#
# Installs dependencies, sets up the test bed (scripts/testbed.sh), builds when a build
# script exists, runs `bun test` with the bed's environment, and ends with the plain line
# `N passed, N failed` that CI reads. Exits non-zero when anything failed.
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
  sed 's/\x1b\[[0-9;]*m//g' "$LOG" | grep -E "^ *[0-9]+ $1\$" | tail -n 1 | grep -oE '[0-9]+'
}

main() {
  install_deps || setup_failed "installing dependencies"
  bash scripts/testbed.sh || setup_failed "the test bed (scripts/testbed.sh)"
  if [ -f scripts/build.ts ]; then
    say "npm run build"
    npm run build >&2 || setup_failed "the build"
  fi

  # The tests find the engine, registries and images through these variables.
  set -a
  # shellcheck disable=SC1091
  . "$STATE/env"
  set +a

  mkdir -p "$(dirname "$LOG")"
  say "bun test $* (log: $LOG)"
  # bun 1.4 ignores `timeout` in bunfig.toml and defaults to 5 s per test, too short for
  # e2e tests on a loaded 2-core machine. An explicit --timeout in "$@" comes later and wins.
  node_modules/.bin/bun test --timeout=120000 "$@" 2>&1 | tee "$LOG"
  local rc=${PIPESTATUS[0]}

  local passed failed
  passed=$(count pass)
  failed=$(count fail)
  if [ -z "$passed" ] || [ -z "$failed" ]; then
    say "could not read bun's summary (exit $rc)"
    echo "0 passed, 1 failed"
    exit 1
  fi
  # bun already counts an unhandled error (e.g. a file that does not load) as a failure;
  # this only keeps the closing line honest if the runner fails some other way.
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$rc" -eq 0 ]
}

main "$@"
