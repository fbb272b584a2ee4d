#!/usr/bin/env bash
# Kernel-collection benchmark: the kext inventory `upscope ls KC --json` (every fileset entry read in
# place: header, load commands, __PRELINK_INFO plist with ID/IDREF, SHA-256 code hash of every entry)
# vs `llvm-objdump-16 --macho --private-headers` (the container's load commands only) on a generated
# Boot KC of ~300 MB with 600 entries (samples/gen/make_kc.py --single). The same hyperfine run also
# times `ls --json --no-code-hash` (the listing without reading the entries' code). Prints the medians,
# the ratios (peer / upscope: > 1 means upscope is faster) and peak RSS from /usr/bin/time -v.
# Usage: bench/bench_kc.sh [BUILD_DIR] [KEXTS] [SIZE_MB]   (default: build 599 300)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
kexts=${2:-599}
size_mb=${3:-300}
upscope=$build/tools/upscope
work=${TMPDIR:-/tmp}/upscope-bench-kc
mkdir -p "$work"
peer=$(command -v llvm-objdump-16 || true)
[ -n "$peer" ] || { echo "llvm-objdump-16 not found (apt-get install llvm-16; llvm-14 rejects MH_FILESET)"; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine not found"; exit 2; }

input=$work/boot-$kexts-$size_mb.kc
[ -f "$input" ] || python3 "$root/samples/gen/make_kc.py" --single "$input" --kexts "$kexts" --size-mb "$size_mb"
echo "input: $input ($(stat -c %s "$input") bytes, $((kexts + 1)) fileset entries)"
"$upscope" ls --json "$input" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("upscope lists", d["entry_count"], "entries,", d["kext_count"], "kexts")'
hyperfine -N --warmup 2 --runs 10 --export-json "$work/result.json" \
  -n upscope "$upscope ls --json $input -o /dev/null" \
  -n upscope-no-code-hash "$upscope ls --json --no-code-hash $input -o /dev/null" \
  -n llvm-objdump "$peer --macho --private-headers $input"
python3 - "$work/result.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"median upscope {r['upscope']*1000:.1f} ms, llvm-objdump {r['llvm-objdump']*1000:.1f} ms, "
      f"ratio (llvm-objdump / upscope) = {r['llvm-objdump'] / r['upscope']:.2f}")
n = r['upscope-no-code-hash']
print(f"median upscope --no-code-hash {n*1000:.1f} ms, ratio (llvm-objdump / upscope --no-code-hash) = "
      f"{r['llvm-objdump'] / n:.2f}")
PY
for cmd in "$upscope ls --json $input -o /dev/null" "$upscope ls --json --no-code-hash $input -o /dev/null" "$peer --macho --private-headers $input"; do
  rss=$( { /usr/bin/time -v $cmd >/dev/null; } 2>&1 | awk -F': ' '/Maximum resident set size/ {print $2}')
  flag=""; [[ $cmd == *--no-code-hash* ]] && flag=" --no-code-hash"
  echo "peak RSS ${rss} KiB: $(basename "${cmd%% *}")$flag"
done
