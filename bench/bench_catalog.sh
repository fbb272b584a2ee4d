#!/usr/bin/env bash
# Build catalogue benchmark: `upscope catalog diff` of two catalogued builds (both inventories loaded
# from SQLite, then the same diff_builds and renderer) vs `upscope diff` of the same two builds read
# from the files. The builds are make_series.py's first two (kernel-only change) with N extra dylibs
# of M functions each (default 2000 x 200: ~2,000 Mach-O files and ~400k functions per build).
# Prints hyperfine medians and their ratio (diff from files / catalog diff: > 1 means the catalogue is faster).
# Usage: bench/bench_catalog.sh [BUILD_DIR] [N] [M]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
n=${2:-2000}
m=${3:-200}
upscope=$build/tools/upscope
work=${TMPDIR:-/tmp}/upscope-bench-catalog
command -v hyperfine >/dev/null || { echo "hyperfine not found"; exit 2; }

series=$work/series-$n-$m
if [ ! -f "$series/SERIES.json" ]; then
  rm -rf "$series"
  python3 "$root/samples/gen/make_series.py" --builds 2 --extra "$n" --functions "$m" "$series"
fi
a=$series/01-13.3 b=$series/02-13.3.1
db=$work/catalog-$n-$m.db
rm -f "$db" "$db-wal" "$db-shm"
/usr/bin/time -f "catalog add of both builds: %e s, %M KB max RSS" "$upscope" -q catalog add --db "$db" "$a" "$b" >/dev/null
echo "builds: $(find "$a" -type f | wc -l) files, $(du -sb "$a" | cut -f1) bytes each; catalogue $(stat -c %s "$db") bytes"

# Same output on both sides (checked here, not assumed).
cmp <("$upscope" diff --json "$a" "$b") <("$upscope" catalog diff --json --db "$db" 13.3 13.3.1) \
  || { echo "catalog diff and diff differ"; exit 1; }

hyperfine -N --warmup 1 --runs 5 -i --export-json "$work/result.json" \
  -n catalog "$upscope catalog diff --json --db $db 13.3 13.3.1" \
  -n files "$upscope diff --json $a $b"
python3 - "$work/result.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"median catalog diff {r['catalog']*1000:.1f} ms, diff from files {r['files']*1000:.1f} ms, "
      f"ratio (files / catalog) = {r['files'] / r['catalog']:.1f}")
PY
