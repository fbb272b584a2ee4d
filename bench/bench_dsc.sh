#!/usr/bin/env bash
# dyld shared cache benchmark: list every image and every export of a synthetic split cache with N
# images (samples/gen/make_dyld_cache.py --images N; main + .01 + .symbols) with
# `upscope dsc images --exports --no-hash` vs a python3 stdlib reference reader
# (bench/dsc_reference_read.py): no dyld-cache peer tool is packaged here (radare2 is not in Debian 12,
# ipsw/dyld_shared_cache_util are not installable). Also times the full listing with code hashes.
# Prints hyperfine medians and the ratio (reference / upscope: > 1 means upscope is faster).
# Usage: bench/bench_dsc.sh [BUILD_DIR] [IMAGES]   (default: build, 2000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-2000}
upscope=$build/tools/upscope
work=${TMPDIR:-/tmp}/upscope-bench-dsc
command -v hyperfine >/dev/null || { echo "hyperfine not found"; exit 2; }
rm -rf "$work" && mkdir -p "$work"
python3 "$root/samples/gen/make_dyld_cache.py" --images "$n" "$work" >/dev/null
cache=$work/dyld_shared_cache_arm64e
echo "input: $n images, $(du -cb "$cache"* | tail -1 | cut -f1) bytes in $(ls "$cache"* | wc -l) files"
# Same output on both sides (path, export address, name), checked before timing.
"$upscope" dsc images --exports --no-hash "$cache" | awk -F'\t' 'NF==3' | sort > "$work/upscope.txt"
python3 "$root/bench/dsc_reference_read.py" "$cache" | sort > "$work/reference.txt"
cmp "$work/upscope.txt" "$work/reference.txt" && echo "outputs agree: $(wc -l < "$work/upscope.txt") exports"
hyperfine -N --warmup 2 --runs 10 --export-json "$work/result.json" \
  -n upscope "$upscope dsc images --exports --no-hash $cache" \
  -n reference "python3 $root/bench/dsc_reference_read.py $cache" \
  -n upscope-hash "$upscope dsc images $cache"
python3 - "$work/result.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"median upscope {r['upscope']*1000:.1f} ms, python reference {r['reference']*1000:.1f} ms, "
      f"ratio (reference / upscope) = {r['reference'] / r['upscope']:.2f}; "
      f"upscope with code hashes {r['upscope-hash']*1000:.1f} ms")
PY
