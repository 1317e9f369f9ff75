#!/usr/bin/env bash
# Packing a 20,000-file build context: dt's collector + packer against GNU tar on the same
# files, in one hyperfine run. Target: median of dt at most 1.5x tar's.
#
#   bench/pack.sh   (env: PACK_ROUNDS=3, PACK_RUNS=10, PACK_TARGET=1.5, BENCH_OUT, DT_BENCH_CACHE)
#
# What runs: bench/pack-context.ts, compiled the way dt is (bytecode, ESM, minified), which calls
# the same collectContext + lentTarChunks as `dt docker build` and writes each chunk as
# src/core/engine-upload.ts writes it to the engine's socket, so Bun's start-up counts against
# dt as it does for users. Both sides write the whole archive into a pipe; not to /dev/null: GNU tar
# notices /dev/null and skips reading the files. tar gets the exact list dt packs (--no-recursion
# -T), so the ignore rules are dt's work only, as they would be for `docker build`. The tree is
# cached (bench/pack-gen.ts). ROUNDS hyperfine runs; the verdict is the median of the per-round
# ratios (bench/compare.ts).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${PACK_ROUNDS:-3}
RUNS=${PACK_RUNS:-10}
TARGET=${PACK_TARGET:-1.5}
work=$(mktemp -d /tmp/dt-bench-pack.XXXXXX)
trap 'rm -rf "$work"' EXIT

tree=$(cd "$BENCH_ROOT" && "$BUN" bench/pack-gen.ts)
(cd "$BENCH_ROOT" && "$BUN" build --compile --bytecode --format=esm --minify bench/pack-context.ts --outfile "$work/pack-context" >/dev/null) ||
  die "could not compile bench/pack-context.ts"
"$work/pack-context" "$tree" --list "$work/list"
echo "== pack: dt's context packer vs tar -c ($(wc -l <"$work/list") entries packed of $(find "$tree" -type f | wc -l) files; $ROUNDS rounds x $RUNS runs)"

# Warm the page cache, and check that both archives hold the same entries.
diff <("$work/pack-context" "$tree" | tar -t | sed 's,/$,,') <(tar -cf - --no-recursion -C "$tree" -T "$work/list" | tar -t | sed 's,/$,,') >/dev/null ||
  die "dt and tar packed different entries"

jsons=()
for ((i = 1; i <= ROUNDS; i++)); do
  hyperfine --style none --warmup 2 --runs "$RUNS" --export-json "$BENCH_OUT/pack.$i.json" \
    -n "tar -c" "tar -cf - --no-recursion -C '$tree' -T '$work/list' | cat >/dev/null" \
    -n "dt pack" "'$work/pack-context' '$tree' | cat >/dev/null" >/dev/null 2>&1 || die "hyperfine failed (round $i)"
  jsons+=("$BENCH_OUT/pack.$i.json")
done
compare "tar -c" "$TARGET" pack "${jsons[@]}"
