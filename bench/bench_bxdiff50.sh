#!/usr/bin/env bash
# Apply a large generated BXDIFF50 patch with `upscope patch apply` vs Debian's `bspatch` applying
# the equivalent BSDIFF40 patch (same triples, diff and extra bytes; bzip2 instead of pbzx/xz).
# Both outputs are checked against the generated new file first. Prints the ratio of medians.
# usage: bench/bench_bxdiff50.sh [SIZE_BYTES]   (default 134217728 = 128 MiB)
# needs: hyperfine, bspatch (apt-get install bsdiff), python3, a built upscope (UPSCOPE=path), GNU time
# Also prints the peak RSS of both (bench/peak_rss.py splits upscope's into heap and mapped-file pages).
set -euo pipefail
SIZE=${1:-134217728}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
UPSCOPE=${UPSCOPE:-$ROOT/build/tools/upscope}
WORK=${BENCH_DIR:-/tmp/upscope-bench-bxdiff50}
mkdir -p "$WORK"
cd "$WORK"
if [ ! -f "p50.$SIZE" ]; then
  echo "generating a ${SIZE}-byte old/new pair and both patches..." >&2
  python3 "$ROOT/samples/gen/make_bxdiff50.py" synth --size "$SIZE" "old.$SIZE" "new.$SIZE" "p50.$SIZE" "p40.$SIZE"
fi
ls -l "old.$SIZE" "new.$SIZE" "p50.$SIZE" "p40.$SIZE" >&2
"$UPSCOPE" --overwrite -q patch apply "p50.$SIZE" "old.$SIZE" -o out50 >/dev/null
bspatch "old.$SIZE" out40 "p40.$SIZE"
cmp out50 "new.$SIZE" && cmp out40 "new.$SIZE" && echo "outputs verified" >&2
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine --warmup 1 --runs ${RUNS:-5} --export-json bench.json \
  -n upscope "$UPSCOPE --overwrite -q patch apply p50.$SIZE old.$SIZE -o out50" \
  -n bspatch "bspatch old.$SIZE out40 p40.$SIZE"
python3 - <<'PY'
import json
r = {x["command"]: x for x in json.load(open("bench.json"))["results"]}
u, b = r["upscope"]["median"], r["bspatch"]["median"]
print(f"median upscope {u:.3f} s, bspatch {b:.3f} s, ratio upscope/bspatch = {u / b:.2f} "
      f"(speed bspatch/upscope = {b / u:.2f}x)")
for k in ("upscope", "bspatch"):
    print(f"  {k}: CPU user+sys {r[k]['user'] + r[k]['system']:.2f} s (mean)")
PY
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
python3 "$ROOT/bench/peak_rss.py" --label "upscope patch apply ($SIZE)" -- "$UPSCOPE" --overwrite -q patch apply "p50.$SIZE" "old.$SIZE" -o out50 >/dev/null
/usr/bin/time -f "bspatch ($SIZE): max RSS %M KiB" bspatch "old.$SIZE" out40 "p40.$SIZE"
rm -f out50 out40
