#!/usr/bin/env bash
# Big dyld shared cache benchmark: generates a realistic multi-GB split cache once (default 3,000
# images of ~1 MiB generated arm64 code over main + 4 subcaches .01-.04 + .symbols, ~3 GB; written
# streaming by samples/gen/make_dyld_cache.py) in a temp dir outside the repo (removed on exit), then:
#  (a) `upscope ls CACHE --json --no-code-hash`: wall time and peak RSS (/usr/bin/time -v);
#      targets < 1 s and < 100 MB.
#  (b) `upscope ls CACHE --json` (every image's code hash): code bytes hashed per second, against
#      `sha256sum` (and `xxhsum -H3` when installed) of the same files, single-threaded, times the
#      number of cores; target >= 80 %.
# The files are read once before timing so every run sees a warm page cache.
# Usage: bench/bench_dsc_big.sh [BUILD_DIR] [IMAGES] [SUBCACHES] [TEXT_KB]   (default: build 3000 4 1000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-3000}
k=${3:-4}
kb=${4:-1000}
upscope=$build/tools/upscope
command -v hyperfine >/dev/null || { echo "hyperfine not found"; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time not found"; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/upscope-bench-dsc-big.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$(date +%s.%N)
python3 "$root/samples/gen/make_dyld_cache.py" --images "$n" --subcaches "$k" --text-kb "$kb" --manifest /dev/null "$work" >/dev/null
t1=$(date +%s.%N)
cache=$work/dyld_shared_cache_arm64e
total=$(cat "$cache"* | wc -c)
cores=$(nproc)
echo "input: $n images, $total bytes in $(ls "$cache"* | wc -l) files (generated in $(echo "$t1 - $t0" | bc) s); $cores cores"
cat "$cache"* >/dev/null

# (a) fast listing
/usr/bin/time -v "$upscope" --overwrite ls "$cache" --json --no-code-hash -o "$work/ls.json" 2>"$work/time-a.txt"
rss_a=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time-a.txt")
rows=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['images']))" "$work/ls.json")
[ "$rows" = "$n" ] || { echo "ls listed $rows images, expected $n"; exit 1; }
# (b) code hashes
/usr/bin/time -v "$upscope" --overwrite ls "$cache" --json -o "$work/ls-hash.json" 2>"$work/time-b.txt"
rss_b=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time-b.txt")
code_bytes=$(python3 -c "import json,sys; print(sum(i['code_bytes'] for i in json.load(open(sys.argv[1]))['images']))" "$work/ls-hash.json")

peers=(-n sha256sum "sha256sum $cache $cache.01 $cache.02 $cache.03 $cache.04 $cache.symbols")
if command -v xxhsum >/dev/null; then peers+=(-n xxh3 "xxhsum -H3 $cache $cache.01 $cache.02 $cache.03 $cache.04 $cache.symbols"); fi
[ "$k" = 4 ] || peers=(-n sha256sum "sh -c 'sha256sum $cache*'")
hyperfine -N --warmup 1 --runs 5 --export-json "$work/result.json" \
  -n ls-fast "$upscope ls $cache --json --no-code-hash -o /dev/null" \
  -n ls-code-hash "$upscope ls $cache --json -o /dev/null" \
  "${peers[@]}" >/dev/null
python3 - "$work/result.json" "$total" "$code_bytes" "$cores" "$rss_a" "$rss_b" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
total, code, cores, rss_a, rss_b = (int(v) for v in sys.argv[2:7])
mb = 1e6
print(f"(a) ls --json --no-code-hash: median {r['ls-fast']*1000:.0f} ms (target < 1000 ms), "
      f"peak RSS {rss_a/1024:.1f} MB (target < 100 MB)")
ours = code / r["ls-code-hash"] / mb
print(f"(b) ls --json with code hashes: median {r['ls-code-hash']*1000:.0f} ms for {code/mb:.0f} MB of code "
      f"= {ours:.0f} MB/s on {cores} cores, peak RSS {rss_b/1024:.1f} MB")
for peer in ("sha256sum", "xxh3"):
    if peer in r:
        single = total / r[peer] / mb
        print(f"    {peer}: {single:.0f} MB/s single-threaded x {cores} cores = {single*cores:.0f} MB/s; "
              f"upscope code hash = {100*ours/(single*cores):.0f} % of that (target >= 80 %)")
PY
