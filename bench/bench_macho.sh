#!/usr/bin/env bash
# Mach-O reader benchmark: `upscope inspect --json` vs `llvm-objdump --macho --private-headers --syms`
# on a large real Mach-O (the esbuild arm64 executable from npm, ~10 MB, Go-built, signed; or its
# x86_64 build, whose code hash runs the x86-64 length decoder), or, when offline, on a generated
# image with 200k functions (samples/gen/make_macho.py --symbols 50000).
# Prints hyperfine medians and their ratio (peer / upscope: > 1 means upscope is faster).
# Usage: bench/bench_macho.sh [BUILD_DIR] [esbuild|esbuild-x64|gen]   (default: build esbuild)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
upscope=$build/tools/upscope
work=${TMPDIR:-/tmp}/upscope-bench-macho
mkdir -p "$work"
peer=$(command -v llvm-objdump-16 || command -v llvm-objdump-15 || command -v llvm-objdump-14 || command -v llvm-objdump || true)
[ -n "$peer" ] || { echo "llvm-objdump not found (apt-get install llvm-16)"; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine not found"; exit 2; }

mode=${2:-esbuild}
arch=arm64
[ "$mode" = esbuild-x64 ] && arch=x64
input=$work/$arch/package/bin/esbuild
if [ "$mode" != gen ] && [ ! -f "$input" ]; then
  mkdir -p "$work/$arch"
  (cd "$work/$arch" && timeout 90 npm pack "@esbuild/darwin-$arch" --silent >/dev/null 2>&1 &&
    tar xzf esbuild-darwin-$arch-*.tgz) || true
fi
if [ "$mode" = gen ] || [ ! -f "$input" ]; then
  [ "$mode" = gen ] || echo "npm unavailable"
  echo "using a generated Mach-O with 50000 functions"
  python3 "$root/samples/gen/make_macho.py" --symbols 50000 "$work/gen" >/dev/null
  input=$work/gen/thin-arm64
fi
echo "input: $input ($(stat -c %s "$input") bytes)"
# Same work on both sides: headers, load commands and the full symbol table.
hyperfine -N --warmup 3 --runs 20 --export-json "$work/result.json" \
  -n upscope "$upscope inspect --json $input" \
  -n llvm-objdump "$peer --macho --private-headers --syms $input"
python3 - "$work/result.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
print(f"median upscope {r['upscope']*1000:.1f} ms, llvm-objdump {r['llvm-objdump']*1000:.1f} ms, "
      f"ratio (llvm-objdump / upscope) = {r['llvm-objdump'] / r['upscope']:.2f}")
PY
