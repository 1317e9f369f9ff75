#!/usr/bin/env bash
# Packing a 20,000-file build context: dt's collector + packer against GNU tar on the same
# files, in one hyperfine run. Target: dt at most 1.5x tar.
#
#   bash bench/pack.sh [--runs N] [--export-json FILE]
#
# Fair play: both sides start a process (bun's start-up counts against dt) and both write the
# whole archive into a pipe. Not to /dev/null: GNU tar notices /dev/null and skips reading the
# files. tar gets the exact list dt packs (--no-recursion -T), so the ignore rules are dt's
# work only, as they would be for `docker build`. The tree is cached (bench/pack-gen.ts).
set -euo pipefail

cd "$(dirname "$0")/.."
bun=node_modules/.bin/bun
runs=10
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --export-json) extra+=(--export-json "$2"); shift 2 ;;
    *) echo "usage: bash bench/pack.sh [--runs N] [--export-json FILE]" >&2; exit 2 ;;
  esac
done

command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 3; }
tree=$("$bun" bench/pack-gen.ts)
list=$(mktemp /tmp/dt-bench-pack-list.XXXXXX)
trap 'rm -f "$list"' EXIT
"$bun" bench/pack-context.ts "$tree" --list "$list"
echo "tree: $tree ($(wc -l <"$list") entries packed; $(find "$tree" -type f | wc -l) files on disk)" >&2

# Warm the page cache and check that both archives hold the same entries.
diff <("$bun" bench/pack-context.ts "$tree" | tar -t | sed 's,/$,,') <(tar -cf - --no-recursion -C "$tree" -T "$list" | tar -t | sed 's,/$,,') >/dev/null ||
  { echo "dt and tar packed different entries" >&2; exit 1; }

# Other work on the machine skews the ratio (dt's runtime has more threads to schedule).
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs" >&2
hyperfine --warmup 2 --runs "$runs" "${extra[@]}" \
  -n "dt pack" "$bun bench/pack-context.ts '$tree' | cat >/dev/null" \
  -n "tar -c" "tar -cf - --no-recursion -C '$tree' -T '$list' | cat >/dev/null"
