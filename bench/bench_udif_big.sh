#!/usr/bin/env bash
# Issue #5's UDIF benchmark: extracting a generated 2 GiB UDZO (zlib) image to a raw file with
# `upscope extract` vs `7zz x` and `dmg2img` (one hyperfine run), the peak RSS of upscope, and a
# raw-chunk (uncompressed) UDIF of the same disk extracted by upscope vs `cat IMG > OUT` (second
# hyperfine run, same output file system). Every output is checked to be the same disk (SHA-256)
# before anything is timed. Prints medians, user+sys CPU, the load average and the ratios.
#   bench/bench_udif_big.sh [BUILD_DIR] [SIZE]      (defaults: build, 2G)
# Env: RUNS (3), UPSCOPE_BENCH_DIR (inputs, /tmp/upscope-bench-udif-big), UPSCOPE_BENCH_OUT (outputs,
# /dev/shm/... when there is a tmpfs, so the disk's write speed does not hide the decoder's),
# KEEP_INPUTS=1 keeps the generated images (about 3 GB) for a re-run; by default they are deleted.
# Needs: hyperfine, python3, GNU time (/usr/bin/time); peers 7zz (Debian 7zip), dmg2img.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
size="${2:-2G}"
upscope="$build/tools/upscope"
work="${UPSCOPE_BENCH_DIR:-/tmp/upscope-bench-udif-big}"
out="${UPSCOPE_BENCH_OUT:-/dev/shm/upscope-bench-udif-big}"
runs="${RUNS:-3}"
[[ -x "$upscope" ]] || { echo "no upscope binary at $upscope" >&2; exit 2; }
mkdir -p "$work"
mkdir -p "$out" 2>/dev/null || out="$work/out"
mkdir -p "$out"
cleanup() {
  rm -rf "$out"
  [[ "${KEEP_INPUTS:-0}" == 1 ]] || rm -f "$work/zlib-$size.dmg" "$work/raw-$size.dmg"
}
trap cleanup EXIT
zimg="$work/zlib-$size.dmg"
rimg="$work/raw-$size.dmg"
# One blkx over the whole disk (--layout none), so dmg2img's output is the whole disk too.
# Both images hold the same disk: make_udif.py's chunk payloads depend only on the chunk number.
[[ -f "$zimg" ]] || python3 "$here/samples/gen/make_udif.py" "$zimg" --size "$size" --codec zlib --level 1 --layout none --jobs 2
[[ -f "$rimg" ]] || python3 "$here/samples/gen/make_udif.py" "$rimg" --size "$size" --codec raw --layout none --jobs 2
ls -l "$zimg" "$rimg"

have7=0; command -v 7zz >/dev/null && have7=1
havedmg2img=0; command -v dmg2img >/dev/null && havedmg2img=1
sha() { sha256sum "$1" | cut -d' ' -f1; }

# ---- correctness first: every tool's output is the same disk ------------------------------------
"$upscope" --overwrite -q -j2 -o "$out/up.img" extract "$zimg"
ref=$(sha "$out/up.img"); rm -f "$out/up.img"
echo "upscope  zlib  sha256 $ref"
"$upscope" --overwrite -q -j2 -o "$out/up.img" extract "$rimg"
s=$(sha "$out/up.img"); rm -f "$out/up.img"; echo "upscope  raw   sha256 $s"; [[ "$s" == "$ref" ]] || { echo "OUTPUTS DIFFER" >&2; exit 1; }
if ((have7)); then
  7zz x -tdmg -y -mmt2 -o"$out/7zz" "$zimg" >/dev/null
  n=$(ls "$out/7zz" | wc -l)
  [[ "$n" == 1 ]] || { echo "7zz wrote $n files, expected 1 (one blkx)" >&2; exit 1; }
  s=$(sha "$out/7zz/"*); rm -rf "$out/7zz"; echo "7zz      zlib  sha256 $s"; [[ "$s" == "$ref" ]] || { echo "OUTPUTS DIFFER" >&2; exit 1; }
else
  echo "7zz not installed (apt-get install 7zip): skipped" >&2
fi
if ((havedmg2img)); then
  dmg2img -s "$zimg" "$out/d2i.img" >/dev/null
  s=$(sha "$out/d2i.img"); rm -f "$out/d2i.img"; echo "dmg2img  zlib  sha256 $s"; [[ "$s" == "$ref" ]] || { echo "OUTPUTS DIFFER" >&2; exit 1; }
else
  echo "dmg2img not installed (apt-get install dmg2img): skipped" >&2
fi
cat "$rimg" > "$out/cat.img"; rm -f "$out/cat.img"
echo "outputs identical"

# ---- peak memory of upscope extract (kernel's max RSS via GNU time; the split via peak_rss.py) ----
for img in "$zimg" "$rimg"; do
  /usr/bin/time -f "$(basename "$img"): upscope extract -j2: max RSS %M KiB, wall %e s, user %U s, sys %S s" \
    "$upscope" --overwrite -q -j2 -o "$out/up.img" extract "$img"
  rm -f "$out/up.img"
  python3 "$here/bench/peak_rss.py" --label "$(basename "$img")" -- "$upscope" --overwrite -q -j2 -o "$out/up.img" extract "$img"
  rm -f "$out/up.img"
done

# ---- timings ------------------------------------------------------------------------------------
# --prepare deletes the previous output so every command writes a new file (not timed).
report() {  # report JSON: median wall, mean user+sys per command, ratios to the first command
  python3 - "$1" <<'EOF'
import json, statistics, sys
res = json.load(open(sys.argv[1]))["results"]
base = statistics.median(res[0]["times"])
for r in res:
    m = statistics.median(r["times"])
    print(f"  {r['command']:9} median {m:7.3f} s  (min {min(r['times']):.3f}, max {max(r['times']):.3f})  "
          f"CPU user+sys {r['user'] + r['system']:6.2f} s  time/{res[0]['command']} = {m / base:5.2f}")
EOF
}
cmds=(-n upscope "$upscope --overwrite -q -j2 -o $out/up.img extract $zimg")
((have7)) && cmds+=(-n 7zz "7zz x -tdmg -y -mmt2 -o$out/7zz $zimg >/dev/null")
((havedmg2img)) && cmds+=(-n dmg2img "dmg2img -s $zimg $out/d2i.img >/dev/null")
echo "load before zlib run: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --style basic --warmup 1 --runs "$runs" --prepare "rm -rf $out/up.img $out/7zz $out/d2i.img" \
  --export-json "$work/zlib.json" "${cmds[@]}"
echo "load after zlib run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "zlib UDIF ($(stat -c %s "$zimg") bytes -> $(stat -c %s "$rimg") raw):"
report "$work/zlib.json"

echo "load before raw run: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --style basic --warmup 1 --runs "$runs" --prepare "rm -f $out/up.img $out/cat.img" \
  --export-json "$work/raw.json" \
  -n upscope "$upscope --overwrite -q -j2 -o $out/up.img extract $rimg" \
  -n cat "cat $rimg > $out/cat.img"
echo "load after raw run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw-chunk UDIF (throughput of upscope = 1 / its time ratio to cat; target >= 0.80):"
report "$work/raw.json"
