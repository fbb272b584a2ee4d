#!/usr/bin/env bash
# An IPSW pair end to end (issue 28): `upscope verdict OLD.ipsw NEW.ipsw` against the path a Linux
# user has today: `7zz x` each IPSW, `7zz x` each dmg (7-Zip reads UDIF, ULFO chunks and APFS),
# then `sha256sum` of every file of both trees. Not part of the test suite.
#
#   LZFSE_SRC=<lzfse checkout or bare git dir> bench/bench_ipsw_pair.sh [BUILD_DIR]
#
# The pair (samples/gen/make_big_ipsw.py, ~20 min on two cores) goes to PAIR (default
# bench/work/ipsw-pair) and is kept for the next run; LZFSE_SRC is needed only to make it (the
# reference lzfse encodes the ULFO chunks and the kernelcache). Sizes: FILES (100000),
# VOLUME_SIZE (12G), IMAGES (3000), SUBCACHES (4), KEXTS (599), KC_MB (300).
# Each IPSW: a 12 GB system volume (decmpfs LZVN and LZFSE) in a zlib dmg, an OS cryptex with a
# 3.1 GB split dyld cache in a ULFO dmg shipped as an AEA (profile 1, key given), an App cryptex,
# a Boot KC kernelcache (IM4P, LZFSE), seals and trust caches.
#
# One run of each, in this order, on the same machine (the pair is larger than the page cache
# leaves once the peer has written its trees, so neither runs fully warm):
#   1. upscope verdict, under /usr/bin/time (wall, peak RSS), TMPDIR an empty directory that must
#      stay empty (no temporary files);
#   2. the peer, one build at a time (its trees need ~25 GB under SCRATCH, default PAIR): 7-Zip
#      cannot open AEA, so it is given the OS cryptex's plain dmg (PAIR/old-os.dmg, the decryption is
#      not counted); it cannot decode decmpfs LZFSE either, so those files fail and are not hashed
#      (both in the peer's favour; the count is printed).
# PROFILE=1 then records upscope under `perf record` and prints where its CPU time goes by component
# (zlib, LZFSE/LZVN, SHA-256, AES, disassembly, kernel). VERIFY=1 checks the peer's SHA-256 of every
# system-volume file it extracted against `upscope ls --hash sha256` of the old system dmg and names
# the files that differ. (7-Zip reads a sparse file's holes, extents at physical block 0, as the
# container's block 0, where APFS means zeros: the generated /special/sparse.bin differs for that.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
upscope=$build/tools/upscope
[ -x "$upscope" ] || { echo "bench_ipsw_pair: $upscope not found; build first" >&2; exit 2; }
command -v 7zz >/dev/null || { echo "bench_ipsw_pair: 7zz is not installed (apt-get install 7zip)" >&2; exit 2; }
pair=${PAIR:-$here/work/ipsw-pair}
key=$(printf '11%.0s' $(seq 32))
mkdir -p "$pair"
pair=$(cd "$pair" && pwd)
work=$(mktemp -d "${SCRATCH:-$pair}/bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ ! -f "$pair/new.ipsw" ]; then
  src=${LZFSE_SRC:-}
  if [ -z "$src" ] || [ ! -e "$src" ]; then
    echo "bench_ipsw_pair: no pair in $pair and no reference lzfse to make one (set LZFSE_SRC to a checkout" \
         "or bare git dir of github.com/lzfse/lzfse); skipped" >&2
    exit 0
  fi
  . "$here/lzfse_reference.sh"
  build_lzfse_reference "$src" "$work/ref" || exit 2
  /usr/bin/python3 "$here/../samples/gen/make_big_ipsw.py" "$pair" --lzfse "$ref" --aea-key "$key" \
    --files "${FILES:-100000}" --volume-size "${VOLUME_SIZE:-12G}" --images "${IMAGES:-3000}" \
    --subcaches "${SUBCACHES:-4}" --kexts "${KEXTS:-599}" --kc-mb "${KC_MB:-300}"
fi
ls -l "$pair"/*.ipsw "$pair"/*-os.dmg >&2

field() { awk -F': ' -v k="$2" '$1 ~ k {print $2}' "$1"; }
seconds() {  # h:mm:ss or m:ss.ss -> seconds
  echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'
}

# 1. upscope
mkdir "$work/tmp"
set +e
TMPDIR=$work/tmp /usr/bin/time -v "$upscope" verdict --progress never --key "hex:$key" \
  "$pair/old.ipsw" "$pair/new.ipsw" >"$work/verdict.txt" 2>"$work/upscope.time"
rc=$?
set -e
[ "$rc" -le 3 ] || { cat "$work/upscope.time" >&2; echo "bench_ipsw_pair: upscope verdict failed ($rc)" >&2; exit 2; }
head -3 "$work/verdict.txt" >&2
ours=$(seconds "$(field "$work/upscope.time" "Elapsed")")
rss=$(field "$work/upscope.time" "Maximum resident")
left=$(find "$work/tmp" -mindepth 1 | wc -l)
echo "upscope verdict: ${ours} s, peak RSS $((rss / 1024)) MB, exit $rc, temporary files left: $left" >&2

# 2. the peer, one build at a time
t0=$(date +%s.%N)
failed=0
for side in old new; do
  t=$work/$side
  7zz x -y -o"$t/ipsw" "$pair/$side.ipsw" >/dev/null
  for dmg in "$t/ipsw/090-10001-001.dmg" "$pair/$side-os.dmg" "$t/ipsw/090-10003-001.dmg"; do
    out=$t/$(basename "$dmg" .dmg)
    log=$work/7zz-$side-$(basename "$dmg" .dmg).log
    7zz x -y -o"$out" "$dmg" >"$log" 2>&1 || true
    failed=$((failed + $(grep -c "^ERROR: " "$log" || true)))
  done
  (cd "$t" && find . -type f -print0 | xargs -0 -P2 -n 256 sha256sum) >"$work/$side.sha256"
  if [ "${VERIFY:-0}" = 1 ] && [ "$side" = old ]; then cp "$work/old.sha256" "$work/old.keep"; fi
  rm -rf "$t"
done
peer=$(echo "$(date +%s.%N) - $t0" | bc)
files=$(cat "$work/old.sha256" "$work/new.sha256" | wc -l)
echo "peer (7zz x + sha256sum): ${peer} s, ${files} files hashed, ${failed} files 7-Zip could not extract" >&2
ratio=$(echo "scale=2; $peer / $ours" | bc)
echo "| IPSW pair end to end: verdict | $ours s | $peer s | ${ratio}x | peak RSS $((rss / 1024)) MB |"

if [ "${VERIFY:-0}" = 1 ]; then
  7zz e -y -so "$pair/old.ipsw" 090-10001-001.dmg >"$work/system.dmg"
  "$upscope" ls --progress never --hash sha256 --json "$work/system.dmg" -o "$work/ls.json"
  /usr/bin/python3 - "$work/ls.json" "$work/old.keep" "$work/7zz-old-090-10001-001.log" <<'PY'
import json, sys
ours = {}
def walk(o):
    if isinstance(o, dict):
        if "path" in o and "sha256" in o and o["sha256"]:
            ours[o["path"]] = o["sha256"]
        for v in o.values(): walk(v)
    elif isinstance(o, list):
        for v in o: walk(v)
walk(json.load(open(sys.argv[1])))
# Files 7-Zip could not decode (decmpfs LZFSE) are left empty or partial: not compared.
failed = {"/" + l.split(" : ", 1)[1].strip() for l in open(sys.argv[3]) if l.startswith("ERROR: ") and " : " in l}
same, differ = 0, []
for line in open(sys.argv[2]):
    digest, path = line.rstrip("\n").split("  ", 1)
    if not path.startswith("./090-10001-001/"):
        continue
    p = path[len("./090-10001-001"):]
    if p in ours and p not in failed:
        same += ours[p] == digest
        if ours[p] != digest:
            differ.append(p)
print(f"system volume: {same} files with equal SHA-256, {len(differ)} different {differ[:5]}, "
      f"{len(failed)} not extracted by 7-Zip", file=sys.stderr)
PY
fi

if [ "${PROFILE:-0}" = 1 ]; then
  command -v perf >/dev/null || { echo "bench_ipsw_pair: perf is not installed; no profile" >&2; exit 0; }
  perf record -q -F 199 -o "$work/perf.data" "$upscope" verdict --progress never --key "hex:$key" \
    "$pair/old.ipsw" "$pair/new.ipsw" >/dev/null 2>&1 || true
  perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
    /usr/bin/python3 "$here/perf_breakdown.py"
fi
