#!/usr/bin/env bash
# LZFSE decoding: upscope's own decoder against Apple's reference `lzfse -decode` (lzfse/lzfse),
# single-threaded, on the same inputs:
#   - lzfse/text.lzfse and lzfse/apfs.lzfse from the samples (MANIFEST §8),
#   - a ~100 MB stream made here with the reference encoder from system files (binaries + text).
# Ours runs as bench/lzfse_decode_bench.cpp (same I/O pattern as the reference CLI: read all, decode
# into 4x the input size, grow on overflow, write the output), compiled here with g++ against the
# build tree's static libraries; `upscope decompress` is timed as well when the binary exists.
# Each input also gets an in-process speed row (MB/s of the decode loop, as `lzfse -v` reports it),
# which leaves out process start-up and file I/O.
#
# The reference is never vendored. It is built from a source tree given as LZFSE_SRC (a checkout,
# or a bare git dir of github.com/lzfse/lzfse) into bench/peers/lzfse
# (git-ignored), with -O3. Without it the script prints why and exits 0.
# Usage: bench/bench_lzfse.sh [BUILD_DIR]      (RUNS=n, BIG_MB=n to change the defaults)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
samples=${UPSCOPE_SAMPLES:-$here/../../shared/samples}
runs=${RUNS:-10}
big_mb=${BIG_MB:-100}
work=${TMPDIR:-/tmp}/upscope-bench-lzfse
peer_dir=$here/peers/lzfse
mkdir -p "$work"

# 1. The reference lzfse CLI.
ref=$peer_dir/build/bin/lzfse
if [ ! -x "$ref" ]; then
  src=${LZFSE_SRC:-}
  if [ ! -e "$src" ]; then
    echo "bench_lzfse: reference lzfse not found (set LZFSE_SRC to a checkout of github.com/lzfse/lzfse); skipped" >&2
    exit 0
  fi
  rm -rf "$peer_dir" && mkdir -p "$peer_dir"
  if [ -f "$src/Makefile" ]; then
    cp -r "$src"/. "$peer_dir"/
  else
    git --git-dir="$src" archive HEAD | tar -x -C "$peer_dir"
  fi
  make -C "$peer_dir" -j2 \
    CFLAGS="-O3 -Wall -Wno-unknown-pragmas -Wno-unused-variable -DNDEBUG -D_POSIX_C_SOURCE -std=c99" >/dev/null
fi
[ -x "$ref" ] || { echo "bench_lzfse: building the reference lzfse failed; skipped" >&2; exit 0; }

# 2. Our decoder as a tiny executable.
lib_formats=$(find "$build" -name libupscope_formats.a | head -1)
lib_inspect=$(find "$build" -name liblibinspect.a | head -1)
[ -n "$lib_formats" ] && [ -n "$lib_inspect" ] || { echo "bench_lzfse: no static libraries under $build; build first" >&2; exit 2; }
ours=$work/lzfse_decode_bench
g++ -std=c++20 -O2 -DNDEBUG -I"$here/../libinspect/include" -I"$here/../formats" \
  "$here/lzfse_decode_bench.cpp" "$lib_formats" "$lib_inspect" -lfmt -o "$ours"

# 3. Inputs. The big one: a deterministic tar of system binaries and documentation, cut to size.
big=$work/big.lzfse
if [ ! -f "$big" ]; then
  tar -cf - --sort=name /usr/lib/x86_64-linux-gnu /usr/share/doc /usr/bin 2>/dev/null | head -c "${big_mb}M" > "$work/big.raw" || true
  "$ref" -encode -i "$work/big.raw" -o "$big"
  rm -f "$work/big.raw"
fi
inputs=("$samples/lzfse/text.lzfse" "$samples/lzfse/apfs.lzfse" "$big")

upscope=$build/tools/upscope
for in in "${inputs[@]}"; do
  [ -f "$in" ] || { echo "bench_lzfse: missing $in" >&2; continue; }
  name=$(basename "$in")
  # Both decoders must agree before they are timed.
  "$ref" -decode -i "$in" -o "$work/ref.out"
  "$ours" "$in" "$work/ours.out"
  cmp -s "$work/ref.out" "$work/ours.out" || { echo "bench_lzfse: outputs differ on $name" >&2; exit 1; }
  size=$(stat -c %s "$work/ref.out")
  # In-process decode speed as both tools report it with -v (no process start-up or file I/O):
  # the median of 5 runs each, and the ratio ours/reference (>1 = upscope faster).
  speed() { for _ in 1 2 3 4 5; do "$@" 2>&1 >/dev/null | grep -o '[0-9.]* MB/s' | cut -d' ' -f1; done | sort -g | sed -n 3p; }
  s_ours=$(speed "$ours" "$in" "$work/ours.out" -v)
  s_ref=$(speed "$ref" -decode -v -i "$in" -o "$work/ref.out")
  echo "| lzfse decode speed $name | ${s_ours} MB/s | ${s_ref} MB/s | $(/usr/bin/python3 -c "print(f'{$s_ours/$s_ref:.2f}x')") |"
  "$here/compare.sh" "lzfse decode $name ($((size / 1000000)) MB out) vs lzfse -decode" "$runs" \
    "$ours $in $work/ours.out" "$ref -decode -i $in -o $work/ref.out"
  if [ -x "$upscope" ] && "$upscope" decompress "$in" -o "$work/cli.out" >/dev/null 2>&1 &&
     cmp -s "$work/ref.out" "$work/cli.out"; then
    "$here/compare.sh" "upscope decompress $name vs lzfse -decode" "$runs" \
      "$upscope decompress $in -o $work/cli.out" "$ref -decode -i $in -o $work/ref.out"
  fi
done
rm -f "$work/ref.out" "$work/ours.out" "$work/cli.out"
