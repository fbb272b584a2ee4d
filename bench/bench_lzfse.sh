#!/usr/bin/env bash
# LZFSE and LZVN decoding: upscope's own decoders against Apple's reference lzfse (lzfse/lzfse),
# one thread, on the same inputs, one row per block kind. Everything happens in one run, in a
# temporary directory removed at the end: the reference is built there from LZFSE_SRC, the
# corpus is made there, then both decoders are timed. Not part of the test suite.
#
# Inputs (the corpus is REAL_MB MiB, default 96, of real-shaped data in three parts cut to size:
# Debian shared libraries /usr/lib/x86_64-linux-gnu/*.so* 2/3, /usr/share/doc 1/4, and XML
# property lists written here, Info.plist-shaped, the rest):
#   - real.lzfse (bvx2): the corpus through the reference `lzfse -encode`;
#   - real.lzvn.lzfse (bvxn): the corpus in 64 KiB chunks (the decmpfs chunk size), each coded by
#     the reference LZVN encoder (bench/lzvn_chunk_encode.c; the reference CLI writes bvxn only for
#     whole inputs under 4 KiB); a chunk LZVN cannot shrink is stored (bvx-), as the CLI would;
#   - random.lzfse (bvx2, literals only): 32 MiB of random bytes through `lzfse -encode`;
#   - stored.lzfse (bvx-): the same random bytes through lzvn_chunk_encode, every chunk stored;
#   - lzfse/text.lzfse and lzfse/apfs.lzfse from the samples (MANIFEST §8) when UPSCOPE_SAMPLES has them.
# The reference encoder writes no bvx1 blocks, so there is no bvx1 row.
#
# Checks before timing: a round trip of every file the corpus was cut from (each encoded whole by
# the reference library, decoded by upscope, compared with the file), and each input decoded by
# both decoders with equal output.
#
# Timing, RUNS runs each (default 7), median:
#   1. in-process (bench/lzfse_inproc_bench.cpp): both decoders in one process on the same bytes,
#      alternating, into an output buffer already faulted in; MB/s of output by thread CPU time and
#      by wall time. This is the decoders' own speed, and the number issue 28 is about.
#   2. whole process (hyperfine): bench/lzfse_decode_bench.cpp, which does what the reference CLI
#      does (read all, decode into 4x the input size, grow on overflow, write the output), against
#      `lzfse -decode`, both writing to /dev/null (written to a file, the output's disk writes
#      swamp the decode); median wall time and mean user+system CPU time (hyperfine keeps no
#      per-run CPU times), so start-up, reading the input and faulting in the output buffer are in
#      it. WHOLE=0 skips it.
# Ratio = upscope speed / reference speed (above 1: upscope faster).
#
# The reference is never vendored: LZFSE_SRC names a checkout or a bare git dir of
# github.com/lzfse/lzfse; without it the script prints why and exits 0. It is built with -O3.
# Usage: LZFSE_SRC=... bench/bench_lzfse.sh [BUILD_DIR]      (RUNS=n, REAL_MB=n, WHOLE=0)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
samples=${UPSCOPE_SAMPLES:-}
runs=${RUNS:-7}
real_mb=${REAL_MB:-96}
whole=${WHOLE:-1}
src=${LZFSE_SRC:-}
if [ -z "$src" ] || [ ! -e "$src" ]; then
  echo "bench_lzfse: reference lzfse not found (set LZFSE_SRC to a checkout or bare git dir of github.com/lzfse/lzfse); skipped" >&2
  exit 0
fi
lib_formats=$(find "$build" -name libupscope_formats.a | head -1)
lib_inspect=$(find "$build" -name libinspect.a -o -name liblibinspect.a | head -1)
[ -n "$lib_formats" ] && [ -n "$lib_inspect" ] || { echo "bench_lzfse: no static libraries under $build; build first" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/upscope-bench-lzfse.XXXXXX")
trap 'rm -rf "$work"' EXIT

# 1. The reference library and CLI, built in the temporary directory.
. "$here/lzfse_reference.sh"
build_lzfse_reference "$src" "$work/ref" || exit 2

incs=(-I"$here/../libinspect/core/include" -I"$here/../formats")
ours=$work/lzfse_decode_bench inproc=$work/lzfse_inproc_bench
g++ -std=c++20 -O2 -DNDEBUG "${incs[@]}" "$here/lzfse_decode_bench.cpp" "$lib_formats" "$lib_inspect" -lfmt -o "$ours"
g++ -std=c++20 -O2 -DNDEBUG "${incs[@]}" "$here/lzfse_inproc_bench.cpp" "$lib_formats" "$lib_inspect" "$ref_lib" \
  -lfmt -o "$inproc"
gcc -O2 -std=c99 "$here/lzvn_chunk_encode.c" "$ref_lib" -o "$work/lzvn_chunk_encode"

# 3. The corpus. The file lists are sorted so that every run cuts the same bytes.
total=$((real_mb * 1048576))
libs_bytes=$((total * 2 / 3)) doc_bytes=$((total / 4))
find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name '*.so*' -type f -print0 | sort -z > "$work/libs.list"
find /usr/share/doc -type f -print0 | sort -z > "$work/doc.list"
raw=$work/real.raw
{
  tar -cf - --null -T "$work/libs.list" 2>/dev/null | head -c "$libs_bytes" || true
  tar -cf - --null -T "$work/doc.list" 2>/dev/null | head -c "$doc_bytes" || true
  /usr/bin/python3 - "$((total - libs_bytes - doc_bytes))" <<'PY'
# Info.plist-shaped XML property lists, deterministic, until the byte budget is used.
import plistlib, random, sys
budget, rng, out = int(sys.argv[1]), random.Random(28), sys.stdout.buffer
words = ["Kit", "Core", "Foundation", "Services", "Support", "Agent", "Helper", "Framework", "Private", "Daemon"]
n = 0
while budget > 0:
    name = "".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
    doc = {
        "CFBundleIdentifier": f"com.apple.{name.lower()}.{n}",
        "CFBundleName": name,
        "CFBundleShortVersionString": f"{rng.randint(1, 20)}.{rng.randint(0, 9)}",
        "CFBundleVersion": f"{rng.randint(100, 2000)}.{rng.randint(0, 99)}.{rng.randint(0, 9)}",
        "CFBundleExecutable": name,
        "CFBundlePackageType": rng.choice(["FMWK", "APPL", "BNDL", "KEXT"]),
        "LSMinimumSystemVersion": f"{rng.randint(10, 14)}.{rng.randint(0, 6)}",
        "NSHumanReadableCopyright": f"Copyright © {rng.randint(2000, 2024)} Apple Inc. All rights reserved.",
        "BuildMachineOSBuild": f"{rng.randint(19, 23)}{rng.choice('ABCDEFG')}{rng.randint(1, 999)}",
        "DTPlatformVersion": f"{rng.randint(10, 14)}.{rng.randint(0, 6)}",
        "IOKitPersonalities": {f"{name}{i}": {"IOClass": f"Apple{name}{i}", "IOProbeScore": rng.randint(0, 10000),
                                              "IOMatchCategory": rng.choice(words), "CFBundleIdentifier": f"com.apple.{name.lower()}"}
                               for i in range(rng.randint(0, 4))},
        "OSBundleLibraries": {f"com.apple.kpi.{rng.choice(words).lower()}": f"{rng.randint(8, 23)}.0" for _ in range(rng.randint(1, 6))},
        "UIDeviceFamily": [rng.randint(1, 6) for _ in range(rng.randint(1, 4))],
        "Signature": bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 48))),
    }
    b = plistlib.dumps(doc, fmt=plistlib.FMT_XML)[:budget]
    out.write(b)
    budget -= len(b)
    n += 1
PY
} > "$raw"
real=$work/real.lzfse real_lzvn=$work/real.lzvn.lzfse random=$work/random.lzfse stored=$work/stored.lzfse
"$ref" -encode -i "$raw" -o "$real"
"$work/lzvn_chunk_encode" "$raw" "$real_lzvn" 65536
/usr/bin/python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(28).randbytes(32 << 20))' > "$work/random.raw"
"$ref" -encode -i "$work/random.raw" -o "$random"
"$work/lzvn_chunk_encode" "$work/random.raw" "$stored" 65536
inputs=("$real" "$real_lzvn" "$random" "$stored")
for s in "$samples/lzfse/text.lzfse" "$samples/lzfse/apfs.lzfse"; do
  [ -n "$samples" ] && [ -f "$s" ] && inputs+=("$s")
done
# Each input decoded by the reference must give back what was encoded.
for pair in "$real:$raw" "$real_lzvn:$raw" "$random:$work/random.raw" "$stored:$work/random.raw"; do
  "$ref" -decode -i "${pair%%:*}" -o "$work/check.out"
  cmp -s "$work/check.out" "${pair#*:}" || { echo "bench_lzfse: the reference does not round-trip ${pair%%:*}" >&2; exit 1; }
done
rm -f "$raw" "$work/random.raw" "$work/check.out"

# 4. Round trip of every file the corpus was cut from (the files the tar budgets reached, whole).
/usr/bin/python3 - "$work/libs.list" "$libs_bytes" "$work/doc.list" "$doc_bytes" <<'PY' | "$inproc" -roundtrip
import os, sys
a = sys.argv[1:]
for name, budget in zip(a[0::2], a[1::2]):
    left = int(budget)
    for p in open(name, "rb").read().split(b"\0"):
        if p and left > 0 and os.access(p, os.R_OK):
            sys.stdout.buffer.write(p + b"\0")
            left -= 512 + os.path.getsize(p)  # a tar header, then the file
PY

# 5. In-process decode loops (the harness checks that both decoders agree first).
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for in in "${inputs[@]}"; do "$inproc" -r "$runs" "$in"; done > "$work/inproc.txt"
grep -v '^|' "$work/inproc.txt"
echo "| input [block kinds] (one thread, median of $runs) | upscope | reference lzfse | upscope / reference |"
echo "|---|---|---|---|"
grep '^|' "$work/inproc.txt"

# 6. Whole processes.
if [ "$whole" != 0 ]; then
  command -v hyperfine >/dev/null || { echo "bench_lzfse: hyperfine is not installed; whole-process rows skipped" >&2; exit 0; }
  for in in "${inputs[@]}"; do
    name=$(basename "$in")
    "$ref" -decode -i "$in" -o "$work/ref.out"
    "$ours" "$in" "$work/ours.out"
    cmp -s "$work/ref.out" "$work/ours.out" || { echo "bench_lzfse: outputs differ on $name" >&2; exit 1; }
    size=$(stat -c %s "$work/ref.out")
    json=$work/$name.json
    hyperfine --style none --warmup 1 --runs "$runs" --export-json "$json" \
      -n upscope "$ours $in /dev/null" -n peer "$ref -decode -i $in -o /dev/null" >/dev/null
    /usr/bin/python3 - "$json" "$name" "$size" <<'PY'
import json, statistics, sys
d = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
wall = {k: statistics.median(r["times"]) for k, r in d.items()}
cpu = {k: r["user"] + r["system"] for k, r in d.items()}  # hyperfine records their means only
o, p, mb = "upscope", "peer", int(sys.argv[3]) / 1e6
print(f"| whole process {sys.argv[2]} ({mb:.0f} MB out), wall | {mb/wall[o]:.0f} MB/s ({wall[o]*1000:.0f} ms) | "
      f"{mb/wall[p]:.0f} MB/s ({wall[p]*1000:.0f} ms) | {wall[p]/wall[o]:.2f}x |")
print(f"| whole process {sys.argv[2]}, mean user+sys CPU | {cpu[o]*1000:.0f} ms | {cpu[p]*1000:.0f} ms | {cpu[p]/cpu[o]:.2f}x |")
PY
  done
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
