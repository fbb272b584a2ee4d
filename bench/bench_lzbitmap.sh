#!/usr/bin/env bash
# LZBITMAP decode throughput (MB of output per second, in-process, single thread, median of RUNS):
#   - the streams made by Apple's library in $UPSCOPE_LZBITMAP_VECTORS (libzbitmap's test/files;
#     018-compressed is the large one: 3.1 MB -> 6.8 MB of HTML), when set,
#   - streams written by samples/gen/lzbitmap.py: text-like data from make_pbzx.py's generator and a
#     slice of system binaries (the writer is slow Python: GEN_MB, default 4, keeps it to a minute),
#   - `upscope decompress` of the largest input, end to end (with hyperfine, when installed).
# There is no other LZBITMAP decoder on Linux to compare against; this only measures.
# Usage: bench/bench_lzbitmap.sh [BUILD_DIR]      (RUNS=n, GEN_MB=n)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
runs=${RUNS:-9}
gen_mb=${GEN_MB:-4}
work=${TMPDIR:-/tmp}/upscope-bench-lzbitmap
mkdir -p "$work"

lib_formats=$(find "$build" -name libupscope_formats.a | head -1)
lib_inspect=$(find "$build" -name libinspect.a -o -name liblibinspect.a | head -1)
[ -n "$lib_formats" ] && [ -n "$lib_inspect" ] || { echo "bench_lzbitmap: no static libraries under $build; build first" >&2; exit 2; }
ours=$work/lzbitmap_decode_bench
g++ -std=c++20 -O2 -DNDEBUG -I"$here/../libinspect/core/include" -I"$here/../formats" \
  "$here/lzbitmap_decode_bench.cpp" "$lib_formats" "$lib_inspect" -lfmt -lcrypto -lxxhash -o "$ours"

gen=$here/../samples/gen
if [ ! -f "$work/text.zbm" ]; then
  python3 - "$gen" "$work/text.raw" "$gen_mb" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from make_pbzx import make_block
size = int(sys.argv[3]) << 20
with open(sys.argv[2], "wb") as f:
    for i in range(0, size, 1 << 20):
        f.write(make_block(i >> 20, min(1 << 20, size - i), 1))
PY
  python3 "$gen/lzbitmap.py" encode "$work/text.raw" "$work/text.zbm"
fi
if [ ! -f "$work/bin.zbm" ]; then
  tar -cf - --sort=name /usr/bin 2>/dev/null | head -c "${gen_mb}M" > "$work/bin.raw" || true
  python3 "$gen/lzbitmap.py" encode "$work/bin.raw" "$work/bin.zbm"
fi

inputs=("$work/text.zbm" "$work/bin.zbm")
if [ -n "${UPSCOPE_LZBITMAP_VECTORS:-}" ] && [ -d "$UPSCOPE_LZBITMAP_VECTORS" ]; then
  for v in 007 012 014 018; do
    [ -f "$UPSCOPE_LZBITMAP_VECTORS/$v-compressed" ] && inputs+=("$UPSCOPE_LZBITMAP_VECTORS/$v-compressed")
  done
else
  echo "bench_lzbitmap: UPSCOPE_LZBITMAP_VECTORS not set: Apple-made streams skipped" >&2
fi
largest=
for in in "${inputs[@]}"; do
  "$ours" "$in" "$runs"
  if [ -z "$largest" ] || [ "$(stat -c %s "$in")" -gt "$(stat -c %s "$largest")" ]; then largest=$in; fi
done

upscope=$build/tools/upscope
if [ -x "$upscope" ] && [ -n "$largest" ] && command -v hyperfine >/dev/null; then
  hyperfine --style basic --warmup 1 --runs "$runs" -n "upscope decompress $(basename "$largest")" \
    "$upscope --overwrite decompress $largest -o $work/cli.out -q"
  rm -f "$work/cli.out"
fi
