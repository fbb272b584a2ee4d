#!/usr/bin/env bash
# Extracting a large zlib UDIF (.dmg): `upscope extract` vs `7zz x` and `dmg2img` on the same
# generated image (samples/gen/make_udif.py), with hyperfine; prints the ratio of medians.
#   bench/bench_udif.sh [BUILD_DIR] [SIZE]      (defaults: build, 1G)
# Needs: hyperfine, python3; optional peers: 7zz (Debian 7zip), dmg2img (Debian dmg2img).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
size="${2:-1G}"
upscope="$build/tools/upscope"
work="${UPSCOPE_BENCH_DIR:-/tmp/upscope-bench-udif}"
# Outputs go to tmpfs when there is one, so the disk's write speed does not hide the decoder's.
out="${UPSCOPE_BENCH_OUT:-/dev/shm/upscope-bench-udif}"
mkdir -p "$work" "$out" || { out="$work"; }
trap 'rm -rf "$out/out-upscope.img" "$out/out-7zz" "$out/out-dmg2img.img"' EXIT
img="$work/zlib-$size.dmg"
[[ -x "$upscope" ]] || { echo "no upscope binary at $upscope" >&2; exit 2; }
if [[ ! -f "$img" ]]; then
  python3 "$here/samples/gen/make_udif.py" "$img" --size "$size" --codec zlib --level 1 --jobs 2
fi
ls -l "$img"

cmds=(-n upscope "$upscope --overwrite -q -j2 -o $out/out-upscope.img extract $img")
if command -v 7zz >/dev/null; then
  cmds+=(-n 7zz "rm -rf $out/out-7zz && 7zz x -tdmg -y -mmt2 -o$out/out-7zz $img >/dev/null")
else
  echo "7zz not installed (apt-get install 7zip): skipped" >&2
fi
if command -v dmg2img >/dev/null; then
  cmds+=(-n dmg2img "dmg2img -s $img $out/out-dmg2img.img")
else
  echo "dmg2img not installed (apt-get install dmg2img): skipped" >&2
fi
hyperfine --warmup 1 --runs "${RUNS:-3}" --export-json "$work/bench.json" "${cmds[@]}"

# All three must have produced the same disk (7-Zip writes one file per blkx: concatenate them).
python3 - "$work" "$out" <<'EOF'
import hashlib, json, os, statistics, sys
work, out = sys.argv[1], sys.argv[2]
def digest_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 22), b""):
            h.update(b)
    return h.hexdigest()
digests = {"upscope": digest_file(os.path.join(out, "out-upscope.img"))}
d7 = os.path.join(out, "out-7zz")
if os.path.isdir(d7):
    h = hashlib.sha256()
    for name in sorted(os.listdir(d7), key=lambda n: int(n.split(".")[0])):
        with open(os.path.join(d7, name), "rb") as f:
            for b in iter(lambda: f.read(1 << 22), b""):
                h.update(b)
    digests["7zz"] = h.hexdigest()
if os.path.exists(os.path.join(out, "out-dmg2img.img")):
    digests["dmg2img"] = digest_file(os.path.join(out, "out-dmg2img.img"))
for k, v in digests.items():
    print(f"{k:8} sha256 {v}")
print("outputs identical" if len(set(digests.values())) == 1 else "OUTPUTS DIFFER")
res = {r["command"]: statistics.median(r["times"]) for r in json.load(open(os.path.join(work, "bench.json")))["results"]}
base = res["upscope"]
for k, v in res.items():
    print(f"median {k:8} {v:7.3f} s   ratio {k}/upscope = {v / base:5.2f}")
EOF
