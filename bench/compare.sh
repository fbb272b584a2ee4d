#!/usr/bin/env bash
# compare.sh NAME RUNS "UPSCOPE COMMAND" "PEER COMMAND" [PREPARE]
# Times both commands on the same machine in one hyperfine run (warm cache, several repetitions)
# and prints one Markdown table row: name, medians, and the ratio peer/upscope (>1 = upscope faster).
# Results are also appended to bench/work/results.md.
set -euo pipefail
name=$1 runs=$2 ours=$3 peer=$4 prepare=${5:-true}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/work"
command -v hyperfine >/dev/null || { echo "compare.sh: hyperfine is not installed (apt-get install hyperfine)" >&2; exit 2; }
json="$here/work/$name.json"
hyperfine --style basic --warmup 1 --runs "$runs" --prepare "$prepare" --export-json "$json" \
  -n upscope "$ours" -n peer "$peer" >&2
row=$(/usr/bin/python3 - "$json" "$name" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
m = {r["command"]: statistics.median(r["times"]) for r in d["results"]}
ours, peer = m["upscope"], m["peer"]
print(f"| {sys.argv[2]} | {ours*1000:.1f} ms | {peer*1000:.1f} ms | {peer/ours:.2f}x |")
PY
)
echo "$row"
echo "$row" >> "$here/work/results.md"
