#!/usr/bin/env bash
# APFS `upscope ls IMG --hash sha256` against its own floor (issue 28: within 1.3x of it). On a
# system-volume-shaped image (make_apfs.py --shape system: 5,000 files, 512 MB of data, >= 80% of the
# files decmpfs LZVN/LZFSE), the hyperfine median of the whole ls process (open, metadata walk, reads of
# the image, decode, hash) against the median of bench/apfs_floor_bench.cpp decoding and SHA-256-ing the
# same files from memory through the same decoder and hasher (no walk, no image reads, no process
# start). Before timing, the floor's digest of every file must equal ls's. Prints one line: both
# medians, the ratio upscope/floor (target <= 1.3) and upscope's peak RSS (bench/peak_rss.py).
# The image is generated once into bench/work/ (git-ignored; ~2-8 minutes) and reused; IMAGE= takes
# another. JOBS= is passed to both as their thread count (default every core).
# Usage: bench/bench_apfs_floor.sh [BUILD_DIR]   (env: IMAGE= RUNS=5 JOBS=0 GEN_JOBS=2)
#   the build needs the apfs_floor_bench target: cmake --build BUILD_DIR --target upscope apfs_floor_bench
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
upscope=$build/tools/upscope floor=$build/tools/apfs_floor_bench
runs=${RUNS:-5} jobs=${JOBS:-0} gen_jobs=${GEN_JOBS:-2}
for b in "$upscope" "$floor"; do
  [ -x "$b" ] || { echo "$b is missing: cmake --build $build --target upscope apfs_floor_bench" >&2; exit 2; }
done
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (apt-get install hyperfine)" >&2; exit 2; }
work=$here/work
mkdir -p "$work"

img=${IMAGE:-$work/apfs_floor_system.img}
if [ ! -e "$img" ]; then
  [ -z "${IMAGE:-}" ] || { echo "IMAGE=$img does not exist" >&2; exit 2; }
  echo "generating $img (5,000 files, 512 MB, system shape) ..." >&2
  # Written under another name first: an interrupted run leaves no half image to reuse.
  python3 "$here/../samples/gen/make_apfs.py" --shape system --files 5000 --total-size 512M --jobs "$gen_jobs" \
    "$img.part"
  mv "$img.part" "$img"
fi
ls -l "$img" >&2

# Correctness first: the floor hashes what ls hashes (apfs_floor_bench --check exits 1 on a difference).
"$upscope" -j "$jobs" --json ls "$img" --hash sha256 > "$work/apfs_floor_ls.json"
"$floor" "$img" -r "$runs" -j "$jobs" --check "$work/apfs_floor_ls.json" | tee "$work/apfs_floor.txt" >&2

hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$work/apfs_floor_upscope.json" \
  -n upscope "$(printf '%q ' "$upscope" -j "$jobs" ls "$img" --hash sha256)" >&2
python3 "$here/peak_rss.py" --label "upscope ls --hash sha256" -- "$upscope" -j "$jobs" ls "$img" --hash sha256 \
  2> "$work/apfs_floor_rss.txt" >/dev/null
cat "$work/apfs_floor_rss.txt" >&2

/usr/bin/python3 - "$work/apfs_floor_upscope.json" "$work/apfs_floor.txt" "$work/apfs_floor_rss.txt" <<'PY'
import json, re, statistics, sys
ours = statistics.median(json.load(open(sys.argv[1]))["results"][0]["times"]) * 1000
text = open(sys.argv[2]).read()
floor = float(re.search(r"^median wall ms ([0-9.]+)", text, re.M).group(1))
files = re.search(r"^files (\d+)", text, re.M).group(1)
mb = int(re.search(r"^decoded bytes (\d+)", text, re.M).group(1)) / 1e6
rss = re.search(r"VmHWM\) ([0-9.]+) MiB", open(sys.argv[3]).read()).group(1)
ratio = ours / floor
print(f"apfs ls --hash sha256, {files} files, {mb:.0f} MB decoded: upscope {ours:.1f} ms, floor {floor:.1f} ms, "
      f"upscope/floor {ratio:.2f} (target <= 1.3: {'met' if ratio <= 1.3 else 'NOT met'}), peak RSS {rss} MiB")
PY
