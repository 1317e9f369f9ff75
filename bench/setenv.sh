#!/usr/bin/env bash
# The shell-start cost of dt: `bash -c 'eval "$(dt setenv)"'` against what it cannot avoid,
# `bash -c true` plus `dt --version`, in one hyperfine run. Target: median at most 3x the sum
# (run by run) of those two. Measured in a runnable dir of a workspace with a sub-repo, so
# setenv does all of its work: target dir, image, version, PATH and PYTHONPATH of both repos,
# completion. The steady state is measured (setenv's cache of dt.yaml/changelog facts is warm,
# as at every shell start after the first); the cold path (cache unwritable) is printed for
# information only.
#
#   bench/setenv.sh   (env: DT_BIN, SETENV_ROUNDS=3, SETENV_RUNS=20, SETENV_TARGET=3, BENCH_OUT,
#                      DT_BENCH_CACHE: where the workspace is cached, default /tmp)
#
# ROUNDS hyperfine runs (warmup 3, RUNS runs per command each); the verdict is the median of the
# per-round ratios (see bench/compare.ts).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need bash
ensure_dt

ROUNDS=${SETENV_ROUNDS:-3}
RUNS=${SETENV_RUNS:-20}
TARGET=${SETENV_TARGET:-3}
CACHE=${DT_BENCH_CACHE:-/tmp}
base=$CACHE/dt-bench-setenv-v1
ws=$base/ws

# The workspace: a super-repo (runnable, plus the runnable dir apps/svc with its own dt.yaml)
# with helpers_root as a real sub-repo holding mylib/ and dev_scripts/. Made once; READY marks
# a complete one, so an interrupted generation is redone, never half-used.
generate() {
  rm -rf "$base.tmp"
  local up=$base.tmp/upstream/helpers w=$base.tmp/ws
  mkdir -p "$up/mylib" "$up/dev_scripts" "$w/devops" "$w/dev_scripts" "$w/apps/svc/devops"
  echo "NAME = 'mylib'" >"$up/mylib/__init__.py"
  printf '#!/bin/sh\necho hello\n' >"$up/dev_scripts/dt-hello"
  chmod +x "$up/dev_scripts/dt-hello"
  gitq "$up" init -q -b main
  gitq "$up" add -A
  gitq "$up" commit -q -m helpers
  printf 'name: bench\nregistry: ghcr.io/acme\nsetenv:\n  path: [dev_scripts]\n  pythonpath: [".", helpers_root]\ntasks:\n  hello: dt-hello\n' >"$w/dt.yaml"
  printf '# bench-1.0.0\n- 2026-11-20\n- bench\n' >"$w/changelog.txt"
  printf '# svc-2.3.4\n- 2026-11-20\n- bench\n' >"$w/apps/svc/changelog.txt"
  printf 'image: svc\n' >"$w/apps/svc/dt.yaml"
  touch "$w/devops/.keep" "$w/apps/svc/devops/.keep" "$w/dev_scripts/.keep"
  gitq "$w" init -q -b main
  gitq "$w" add -A
  gitq "$w" commit -q -m bench
  gitq "$w" -c protocol.file.allow=always submodule add -q "file://$up" helpers_root
  gitq "$w" commit -q -m "add helpers_root"
  mv "$base.tmp" "$base.new" && rm -rf "$base" && mv "$base.new" "$base"
  touch "$base/READY"
}
mkdir -p "$CACHE"
(
  flock 9
  [[ -f $base/READY ]] || generate
) 9>"$CACHE/dt-bench-setenv.lock" || die "could not generate the workspace under $base"

work=$(mktemp -d /tmp/dt-bench-setenv.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/home"
ln -s "$DT_BIN" "$work/bin/dt"
# A plain environment: dt from $work/bin, setenv's cache in $work, no rc files.
export PATH="$work/bin:/usr/local/bin:/usr/bin:/bin" HOME=$work/home XDG_CACHE_HOME=$work/cache USER=bench
unset BASH_ENV ENV PYTHONPATH
cd "$ws/apps/svc"

# What is measured must be right: the sub-repo's dirs on PATH and PYTHONPATH (the target dir
# first), the target's image.
got=$(bash -c 'eval "$(dt setenv)"; printf "%s\n" "$PATH" "$PYTHONPATH" "$DT_IMAGE"; complete -p dt')
want=$(printf '%s\n' "$ws/dev_scripts:$ws/helpers_root/dev_scripts:$PATH" "$ws/apps/svc:$ws:$ws/helpers_root" "ghcr.io/acme/svc:$(local_tag "$ws" bench)")
[[ $got == "$want"* && $got == *_dt_complete* ]] || die "eval \"\$(dt setenv)\" gives the wrong environment:
$got
expected:
$want
complete -F _dt_complete dt"

echo "== setenv: bash -c 'eval \"\$(dt setenv)\"' vs (bash -c true) + (dt --version) ($ROUNDS rounds x $RUNS runs each)"
jsons=()
for ((i = 1; i <= ROUNDS; i++)); do
  # -N: hyperfine splits the words itself; no intermediate shell beyond the bash measured.
  hyperfine -N --style none --warmup 3 --runs "$RUNS" --export-json "$BENCH_OUT/setenv.$i.json" \
    -n "bash -c true" "bash -c true" \
    -n "dt --version" "$work/bin/dt --version" \
    -n 'eval "$(dt setenv)"' "bash -c 'eval \"\$(dt setenv)\"'" >/dev/null 2>&1 || die "hyperfine failed (round $i)"
  jsons+=("$BENCH_OUT/setenv.$i.json")
done
status=0
compare "bash -c true+dt --version" "$TARGET" setenv "${jsons[@]}" || status=1

# For information: the first shell start after dt.yaml or changelog.txt changed (no cache).
hyperfine -N --style none --warmup 2 --runs 10 --export-json "$BENCH_OUT/setenv-cold.json" \
  -n 'eval "$(dt setenv)" (cold, no cache)' "env XDG_CACHE_HOME=/proc/dt-no-cache bash -c 'eval \"\$(dt setenv)\"'" >/dev/null 2>&1 &&
  "$BUN" -e '
    const r = JSON.parse(await Bun.file(process.argv[1]).text()).results[0];
    console.log(`  info ${r.command}: median ${(r.median * 1000).toFixed(1)} ms (not judged)`);
  ' "$BENCH_OUT/setenv-cold.json"
if [[ $status -eq 0 ]]; then echo "PASS setenv"; else echo "FAIL setenv"; fi
exit $status
