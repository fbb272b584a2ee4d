#!/usr/bin/env bash
# Full-build diff (issue #10): `upscope diff OLD NEW` on two generated builds of realistic shape
# (samples/gen/make_big_builds.py: a Boot KC of 600 entries / 300 MB, a 3 GB split dyld cache of
# 3,000 images over 4 subcaches + .symbols, ~10 GB in ~100,000 volume files, OS and App cryptex dmgs)
# against `cat` of every byte of both builds to /dev/null. Targets: <= 1.5x the cat time, <= 2 GB RSS.
# The volume files of NEW are hard links to OLD's (one copy on disk); both commands read them twice.
# Inputs live in a temp dir outside the repo (kept with KEEP=DIR to reuse; removed otherwise).
# Usage: bench/bench_build_diff.sh [BUILD_DIR]
#   env: FILES=100000 VOLUME=10G KEXTS=599 KC_MB=300 IMAGES=3000 SUBCACHES=4 TEXT_KB=1000 RUNS=2 KEEP=
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
upscope=$build/tools/upscope
runs=${RUNS:-2}
command -v hyperfine >/dev/null || { echo "hyperfine not found"; exit 2; }
if [ -n "${KEEP:-}" ]; then
  work=$KEEP
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/upscope-bench-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
if [ ! -d "$work/old" ]; then
  t0=$(date +%s)
  python3 "$root/samples/gen/make_big_builds.py" "$work" --files "${FILES:-100000}" --volume-size "${VOLUME:-10G}" \
    --kexts "${KEXTS:-599}" --kc-mb "${KC_MB:-300}" --images "${IMAGES:-3000}" --subcaches "${SUBCACHES:-4}" \
    --text-kb "${TEXT_KB:-1000}"
  echo "generated in $(( $(date +%s) - t0 )) s" >&2
fi
bytes=$(find "$work/old" "$work/new" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
files=$(find "$work/old" "$work/new" -type f | wc -l)
echo "input: $files files, $bytes bytes in both builds; $(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB RAM"

# Correctness first: what changed must be found, and nothing else.
set +e
"$upscope" --overwrite diff "$work/old" "$work/new" --json -o "$work/diff.json"
rc=$?
set -e
[ "$rc" = 1 ] || { echo "upscope diff exited $rc, expected 1 (differences)"; exit 1; }
python3 - "$work/diff.json" <<'PY'
import collections, json, sys
d = json.load(open(sys.argv[1]))
ch = d["diff"]["changes"]
by = collections.Counter((c["kind"], c["location"]) for c in ch)
print("changes:", dict(by), "not analysed:", len(d["diff"].get("not_analysed", [])), file=sys.stderr)
kinds = {c["kind"] for c in ch}
assert any(c["kind"] == "kext" for c in ch), "the changed kext was not found"
assert any(c["kind"] == "dyld-cache-image" for c in ch), "the changed dyld image was not found"
# Byte truth: images that only moved are changes too, of class relink; exactly one has a code change.
assert sum(c["kind"] == "dyld-cache-image" and c["classes"] != ["relink"] for c in ch) == 1, \
    "not exactly one dyld image with a change other than relink"
print("classes:", d["diff"]["summary"]["classes"], "relink-only:", d["diff"]["summary"]["relink_only"], file=sys.stderr)
PY

/usr/bin/time -v "$upscope" diff "$work/old" "$work/new" --json -o /dev/null 2>"$work/time.txt" || true
echo "upscope diff: peak RSS $(awk -F': ' '/Maximum resident/ {print $2}' "$work/time.txt") KB," \
     "wall $(awk -F': ' '/Elapsed \(wall/ {print $2}' "$work/time.txt")," \
     "user $(awk -F': ' '/User time/ {print $2}' "$work/time.txt") s, sys $(awk -F': ' '/System time/ {print $2}' "$work/time.txt") s"
hyperfine --style basic --warmup 1 --runs "$runs" -i --export-json "$work/hf.json" \
  -n upscope "$upscope diff $work/old $work/new --json -o /dev/null" \
  -n cat "find $work/old $work/new -type f -exec cat {} + > /dev/null" >&2
python3 - "$work/hf.json" <<'PY'
import json, statistics, sys
m = {r["command"]: statistics.median(r["times"]) for r in json.load(open(sys.argv[1]))["results"]}
print(f"| full-build diff vs cat of both builds | upscope {m['upscope']:.1f} s | cat {m['cat']:.1f} s | "
      f"upscope/cat = {m['upscope'] / m['cat']:.2f} (target <= 1.5) |")
PY
