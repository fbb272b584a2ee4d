#!/usr/bin/env bash
# The catalogue at team scale, SQLite and PostgreSQL side by side, on a generated series
# (bench/catalog_series.hpp): BUILDS builds of COMPONENTS components each, every build changing 1%
# of them. Measures, for each backend:
#   - ingest: component rows per second per writer (bench/catalog_bench.cpp times Catalog::add, the
#     call `catalog add` makes once it has read a build), for the first build (every row new) and the
#     rest (1% new, the rest found by digest);
#   - storage: bytes of the first build and per later build;
#   - `upscope history COMPONENT` latency (median and p95 over 20 components x 3 runs) and
#     `upscope catalog diff --json` of two consecutive builds and of the first and last;
#   - scaling: 1, 2 and 4 concurrent writers adding 8 more builds to a catalogue holding build 0.
# PostgreSQL is a throwaway local server with durable writes (fsync on), reached by a Unix socket.
# Usage: bench/bench_catalog_pg.sh [BUILD_DIR] [BUILDS] [COMPONENTS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
builds=${2:-100}
comps=${3:-100000}
cmake --build "$build" --target catalog_bench upscope >/dev/null
bench=$build/catalog/catalog_bench
upscope=$build/tools/upscope
work=${TMPDIR:-/tmp}/upscope-bench-catalog-pg
rm -rf "$work"
mkdir -p "$work"
pg=$work/pg
UPSCOPE_PG_DURABLE=1 "$root/tests/pg/pg_server.sh" start "$pg" >/dev/null
[ ! -f "$pg/SKIPPED" ] || { echo "SKIPPED: $(cat "$pg/SKIPPED")"; exit 0; }
trap '"$root/tests/pg/pg_server.sh" stop "$pg"' EXIT
mkdb() {
  psql -X -q "postgresql:///postgres?host=$pg" -c "CREATE DATABASE $1"
  echo "postgresql:///$1?host=$pg"
}
size_of() {  # bytes the catalogue takes: the SQLite file (and its WAL), or PostgreSQL's tables, indexes and TOAST
  case "$1" in
    postgresql:*) psql -X -At "$1" -c "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'" ;;
    *) echo $(( $(stat -c %s "$1") + $( [ -f "$1-wal" ] && stat -c %s "$1-wal" || echo 0) )) ;;
  esac
}
rate() { sed -n 's/^total: .*: \([0-9]*\) rows\/s$/\1/p'; }

echo "machine: $(nproc) cores (shared), $(free -g | awk '/Mem:/ {print $2}') GB; series: $builds builds x $comps components, 1% changed per build"
for backend in sqlite postgres; do
  if [ $backend = sqlite ]; then db=$work/series.db; else db=$(mkdb series); fi
  "$bench" "$db" 0 0 1 "$comps" 10 >/dev/null  # the schema alone
  empty=$(size_of "$db")
  first=$("$bench" "$db" 0 1 1 "$comps" 10 | rate)
  one=$(size_of "$db")
  rest=$("$bench" "$db" 1 $((builds - 1)) 1 "$comps" 10 | rate)
  all=$(size_of "$db")
  echo "$backend: ingest first build $first rows/s, next $((builds - 1)) builds $rest rows/s (one writer)"
  echo "$backend: size first build $((one - empty)) bytes, then $(( (all - one) / (builds - 1) )) bytes per build; $all bytes for $builds builds"
  python3 - "$upscope" "$db" "$comps" "$builds" <<'PY'
import random, statistics, subprocess, sys, time
up, db, comps, builds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def timed(args):
    t = time.perf_counter()
    r = subprocess.run([up] + args + ["--db", db], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode not in (0, 1):
        sys.exit(f"{args}: {r.stderr.decode()}")
    return time.perf_counter() - t
random.seed(1)
names = [f"/System/Library/Generated/lib{random.randrange(comps):06}.dylib" for _ in range(20)]
h = sorted(timed(["history", n]) for n in names for _ in range(3))
p95 = h[int(0.95 * len(h)) - 1]
print(f"history: median {statistics.median(h)*1000:.0f} ms, p95 {p95*1000:.0f} ms ({len(h)} runs)")
mid = builds // 2
near = sorted(timed(["catalog", "diff", "--json", f"14.{mid - 1}", f"14.{mid}"]) for _ in range(3))
far = sorted(timed(["catalog", "diff", "--json", "14.0", f"14.{builds - 1}"]) for _ in range(3))
print(f"catalog diff --json 14.{mid - 1} 14.{mid}: median {near[1]*1000:.0f} ms; 14.0 14.{builds - 1}: median {far[1]*1000:.0f} ms")
PY
  for writers in 1 2 4; do
    if [ $backend = sqlite ]; then w=$work/scale-$writers.db; else w=$(mkdb scale_$writers); fi
    "$bench" "$w" 0 1 1 "$comps" 10 >/dev/null
    start=$(date +%s.%N)
    for i in $(seq 0 $((writers - 1))); do
      "$bench" "$w" $((1 + i)) $((8 / writers)) "$writers" "$comps" 10 > "$work/w$i.out" &
    done
    wait
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    per=$(for i in $(seq 0 $((writers - 1))); do rate < "$work/w$i.out"; done | paste -sd' ')
    echo "$backend: $writers writer(s): 8 builds in ${secs} s: $(echo "8 * $comps / $secs" | bc) rows/s in all; per writer: $per rows/s"
  done
done
