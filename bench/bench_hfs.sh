#!/usr/bin/env bash
# HFS+ reader: `upscope ls IMAGE --hash sha256` (walk the catalog, read and hash every file) on a
# generated 1 GB HFS+ image against
#   1. `7zz x IMAGE -oDIR` (7-Zip extracts every file: reads the same bytes, writes them out),
#   2. `7zz x` plus `sha256sum` of every extracted file (the same result as upscope's listing).
# Prints one row per pair: medians and peer/upscope (>1 = upscope faster).
# Usage: bench/bench_hfs.sh [BUILD_DIR]   (SIZE=1G RUNS=5 by default)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
upscope=$build/tools/upscope
size=${SIZE:-1G}
runs=${RUNS:-5}
work=${TMPDIR:-/tmp}/upscope-bench-hfs
mkdir -p "$work"
img=$work/bench-$size.hfs
if [ ! -f "$img" ]; then
  python3 "$here/../samples/gen/make_hfs.py" "$img" --bench "$size"
fi
command -v 7zz >/dev/null || { echo "bench_hfs.sh: 7zz is not installed" >&2; exit 2; }
out=$work/x
"$here/compare.sh" "hfs ls --hash sha256 vs 7zz x: $size" "$runs" \
  "$upscope ls $img --hash sha256 -o /dev/null" "7zz x -y -o$out $img" "rm -rf $out"
"$here/compare.sh" "hfs ls --hash sha256 vs 7zz x + sha256sum: $size" "$runs" \
  "$upscope ls $img --hash sha256 -o /dev/null" \
  "sh -c '7zz x -y -o$out $img >/dev/null && find $out -type f -print0 | xargs -0 sha256sum >/dev/null'" "rm -rf $out"
