#!/usr/bin/env bash
# pbzx decoding: `upscope decompress -j2` (chunks decoded in parallel) against single-threaded
# `xz -d -T1` on the same chunks as one multi-stream .xz file, and against `upscope -j1`.
# Input: a 256 MiB pbzx stream (16 MiB chunks, xz preset 6) made by samples/gen/make_pbzx.py.
#
#   bench/bench_pbzx.sh [path/to/upscope]      (env: BENCH_DIR, SIZE_MB, BLOCK_MB, RUNS)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
upscope="${1:-$here/build/tools/upscope}"
dir="${BENCH_DIR:-/tmp/upscope-bench-pbzx}"
size_mb="${SIZE_MB:-256}"
block_mb="${BLOCK_MB:-16}"
runs="${RUNS:-5}"
mkdir -p "$dir"
in="$dir/payload-${size_mb}m-${block_mb}m.pbzx"
xzin="$dir/payload-${size_mb}m-${block_mb}m.xz"

if [[ ! -s "$in" ]]; then
  echo "generating $in ..." >&2
  python3 "$here/samples/gen/make_pbzx.py" "$in.tmp" --size $((size_mb << 20)) --block-size $((block_mb << 20)) \
    --preset 6 --jobs 2
  mv "$in.tmp" "$in"
fi
if [[ ! -s "$xzin" ]]; then
  # The same compressed chunks, concatenated: a multi-stream .xz that xz -d reads in one pass.
  python3 - "$in" "$xzin" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "wb") as out:
    pos = 12
    while pos < len(data):
        raw, stored = struct.unpack(">QQ", data[pos:pos + 16])
        assert stored < raw, "stored chunk: not representable as xz"
        out.write(data[pos + 16:pos + 16 + stored])
        pos += 16 + stored
PY
fi
ls -l "$in" "$xzin" >&2

# Correctness first: both decoders must produce the same bytes.
"$upscope" --overwrite -q decompress "$in" -o "$dir/out.upscope"
xz -dc -T1 "$xzin" > "$dir/out.xz"
cmp "$dir/out.upscope" "$dir/out.xz"
rm -f "$dir/out.xz"

hyperfine --warmup 1 --runs "$runs" --export-json "$dir/hyperfine.json" \
  -n "upscope -j2" "$upscope --overwrite -q -j2 decompress $in -o $dir/out.upscope" \
  -n "upscope -j1" "$upscope --overwrite -q -j1 decompress $in -o $dir/out.upscope" \
  -n "xz -d -T1" "xz -dc -T1 $xzin > $dir/out.xz"
rm -f "$dir/out.upscope" "$dir/out.xz"

python3 - "$dir/hyperfine.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
j2, j1, xz = r["upscope -j2"], r["upscope -j1"], r["xz -d -T1"]
print(f"median: upscope -j2 {j2:.3f}s, upscope -j1 {j1:.3f}s, xz -d -T1 {xz:.3f}s")
print(f"speedup of upscope -j2 over xz -d -T1: {xz / j2:.2f}x (ratio of medians)")
print(f"speedup of upscope -j2 over upscope -j1: {j1 / j2:.2f}x")
PY
