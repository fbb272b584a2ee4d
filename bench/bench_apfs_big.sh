#!/usr/bin/env bash
# APFS at scale: a generated container (samples/gen/make_apfs.py; default ~1 GB in ~10,000 files,
# lognormal sizes, several extents per large file) read whole by `upscope ls IMG --hash sha256`,
# against
#   1. python3-fsapfs (libfsapfs) walking the volume and SHA-256-ing every file (target: >= 5x),
#   2. `sha256sum IMG`, one sequential pass over the image file (target: upscope <= 1.5x its time),
# plus upscope's peak RSS (/usr/bin/time -v). The image lives in a temp dir outside the repo and is
# removed at exit. Before timing, upscope's listing is checked against the writer's manifest.
# SHAPE=system makes a volume shaped like a macOS system volume instead (make_apfs.py --shape system:
# >= 80% of the files decmpfs LZVN/LZFSE, so the run measures decompression too; JOBS generator
# processes). python3-fsapfs has no LZFSE: its walk then hashes only the files it can decode (counted
# before timing), so that peer's time covers less work than upscope's. CODECS=lzvn (with SHAPE=system)
# makes every decmpfs file LZVN (the same files, contents and sizes), so both read every file: the
# comparison on the files both can read. DISTINCT=N (with SHAPE=system) makes and encodes only N
# files and repeats their contents (make_apfs.py --distinct): a 10 GB image in minutes instead of
# hours of Python encoding; every copy is still stored apart and read, decoded and hashed on its own.
# When BUILD_DIR has tools/apfs_floor_bench, the run ends with upscope against its decode + SHA-256
# floor on the same image (bench/apfs_floor_bench.cpp; target upscope/floor <= 1.3).
# DMG=1 also wraps the image in a GPT disk inside a zlib UDIF dmg (make_apfs.py's wrapper, as
# `make_apfs.py --udif` writes it) and times `ls --hash` through it, with its peak RSS; the listing
# must equal the raw image's.
# Usage: bench/bench_apfs_big.sh [BUILD_DIR]
#   (env: SIZE=1G FILES=10000 RUNS=3 SEED=42 SHAPE=bulk JOBS=2 CODECS=mixed DISTINCT=0 IMAGE= DMG=)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
upscope=$build/tools/upscope
size=${SIZE:-1G} files=${FILES:-10000} runs=${RUNS:-3} seed=${SEED:-42} shape=${SHAPE:-bulk} jobs=${JOBS:-2}
codecs=${CODECS:-mixed} distinct=${DISTINCT:-0}
case $shape in bulk|system) ;; *) echo "SHAPE must be bulk or system" >&2; exit 2 ;; esac
case $codecs in mixed|lzvn) ;; *) echo "CODECS must be mixed or lzvn" >&2; exit 2 ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/upscope-bench-apfs-big.XXXXXX")
trap 'rm -rf "$work"' EXIT
img=$work/big.img

if [ -n "${IMAGE:-}" ]; then
  # An image made earlier with make_apfs.py ... --manifest IMAGE.json (kept; the variables above
  # only label the output then).
  img=$IMAGE
  cp "$IMAGE.json" "$work/big.json"
else
  echo "generating $size in $files files (shape $shape, codecs $codecs) ..." >&2
  shape_args=()
  [ "$shape" = system ] && shape_args=(--shape system --jobs "$jobs" --system-codecs "$codecs" --distinct "$distinct")
  /usr/bin/time -f "make_apfs.py: %e s, %M KB peak RSS" \
    python3 "$here/../samples/gen/make_apfs.py" "$img" --files "$files" --total-size "$size" --seed "$seed" \
    --no-specials "${shape_args[@]}" --manifest "$work/big.json"
fi
ls -l "$img" >&2

# Correctness first: every file with the writer's size and SHA-256. The JSON is written while the
# volume is hashed, so its peak RSS is reported too.
/usr/bin/time -f "%M %e" -o "$work/time-json.txt" "$upscope" ls "$img" --hash sha256 --json > "$work/ours.json"
read -r json_rss json_wall < "$work/time-json.txt"
echo "upscope ls --hash sha256 --json peak RSS: $json_rss KB, wall ${json_wall}s" >&2
/usr/bin/python3 - "$work/big.json" "$work/ours.json" <<'PY'
import json, sys
man = json.load(open(sys.argv[1]))["volumes"][0]["files"]
ours = {f["path"]: f for f in json.load(open(sys.argv[2]))["volumes"][0]["files"]}
bad = [m["path"] for m in man if m["type"] == "file" and
       (ours.get(m["path"], {}).get("sha256") != m["sha256"] or ours[m["path"]]["size"] != m["size"] or
        (ours[m["path"]].get("compression") or {}).get("type") != m.get("decmpfs_type"))]
n = sum(1 for m in man if m["type"] == "file")
packed = sum(1 for m in man if m["type"] == "file" and "decmpfs_type" in m)
print(f"upscope ls: {n} files ({packed} decmpfs) checked against the manifest, {len(bad)} differ", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

/usr/bin/time -v "$upscope" ls "$img" --hash sha256 2> "$work/time.txt" >/dev/null
echo "upscope ls --hash sha256 peak RSS: $(grep 'Maximum resident' "$work/time.txt" | awk '{print $NF}') KB," \
     "wall $(grep 'Elapsed (wall' "$work/time.txt" | awk '{print $NF}')" >&2

if /usr/bin/python3 -c 'import pyfsapfs' 2>/dev/null; then
  if [ "$shape" = system ]; then
    /usr/bin/python3 "$here/../samples/gen/apfs_reference_list.py" --json "$img" > "$work/theirs.json"
    /usr/bin/python3 - "$work/theirs.json" <<'PY'
import json, sys
files = [f for f in json.load(open(sys.argv[1]))[0]["files"] if f["type"] == "file"]
err = sum(1 for f in files if f["sha256"].startswith("error"))
print(f"python3-fsapfs decodes {len(files) - err} of {len(files)} files ({err} LZFSE it cannot read)", file=sys.stderr)
PY
  fi
  "$here/compare.sh" "apfs ls --hash sha256 vs python3-fsapfs walk+sha256: $size in $files files" "$runs" \
    "$upscope ls $img --hash sha256" \
    "/usr/bin/python3 $here/../samples/gen/apfs_reference_list.py $img"
else
  echo "python3-fsapfs not installed: peer 1 skipped" >&2
fi
"$here/compare.sh" "apfs ls --hash sha256 vs sha256sum of the image: $size in $files files" "$runs" \
  "$upscope ls $img --hash sha256" "sha256sum $img"

if [ -n "${DMG:-}" ]; then
  t0=$(date +%s)
  (cd "$here/../samples/gen" &&
    /usr/bin/python3 -c 'import sys, make_apfs; make_apfs.wrap_gpt_udif(sys.argv[1], sys.argv[2])' "$img" "$work/big.dmg")
  echo "wrapped in a zlib UDIF dmg in $(( $(date +%s) - t0 )) s: $(stat -c %s "$work/big.dmg") bytes" >&2
  "$upscope" ls "$img" --hash sha256 > "$work/raw.txt"
  /usr/bin/time -f "%M %e" -o "$work/time-dmg.txt" "$upscope" ls "$work/big.dmg" --hash sha256 > "$work/dmg.txt"
  cmp -s "$work/raw.txt" "$work/dmg.txt" || { echo "ls through the dmg differs from the raw image's" >&2; exit 1; }
  read -r dmg_rss dmg_wall < "$work/time-dmg.txt"
  echo "upscope ls --hash sha256 through the dmg: wall ${dmg_wall}s, peak RSS $dmg_rss KB" \
    "(listing equal to the raw image's)" >&2
  rm -f "$work/big.dmg"
fi

floor=$build/tools/apfs_floor_bench
if [ -x "$floor" ]; then
  "$floor" "$img" -r "$runs" --check "$work/ours.json" > "$work/floor.txt"
  cat "$work/floor.txt" >&2
  hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$work/ls.json" \
    "$(printf '%q ' "$upscope" ls "$img" --hash sha256)" >&2
  /usr/bin/python3 - "$work/ls.json" "$work/floor.txt" <<'PY'
import json, re, statistics, sys
ours = statistics.median(json.load(open(sys.argv[1]))["results"][0]["times"]) * 1000
floor = float(re.search(r"^median wall ms ([0-9.]+)", open(sys.argv[2]).read(), re.M).group(1))
print(f"apfs ls --hash sha256 vs its decode + SHA-256 floor: upscope {ours:.0f} ms, floor {floor:.0f} ms, "
      f"upscope/floor {ours / floor:.2f} (target <= 1.3)")
PY
fi
