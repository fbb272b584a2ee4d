#!/usr/bin/env bash
# APFS reader: `upscope ls IMAGE --hash sha256` (walk + read + hash every file) against
#   1. python3-fsapfs (libfsapfs) doing the same walk + read + SHA-256 of every file,
#   2. `fsapfsinfo -H` (libfsapfs hierarchy listing only, no content: a lower bound for the peer),
#   3. `7zz t` (7-Zip reads and CRCs every file of the volume).
# on the real samples (no large APFS image can be made here: newfs_apfs is not available and
# apfsprogs cannot add files). Prints one row per pair: medians and peer/upscope (>1 = upscope faster).
# Usage: bench/bench_apfs.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
upscope=$build/tools/upscope
samples=${UPSCOPE_SAMPLES:-$here/../../shared/samples}
runs=${RUNS:-20}
work=${TMPDIR:-/tmp}/upscope-bench-apfs
mkdir -p "$work"
cat > "$work/fsapfs_hash.py" <<'PY'
import hashlib, io, sys, pyfsapfs
path, off = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0
f = open(path, "rb")
if off:
    f = io.BytesIO(f.read()[off:])
c = pyfsapfs.container(); c.open_file_object(f)
def walk(fe, p):
    for i in range(fe.number_of_sub_file_entries):
        s = fe.get_sub_file_entry(i); q = p + "/" + s.name
        if s.file_mode & 0o170000 == 0o100000:
            print(hashlib.sha256(s.read() if s.size else b"").hexdigest(), q)
        walk(s, q)
for i in range(c.number_of_volumes):
    walk(c.get_volume(i).get_root_directory(), "")
PY
have_py=$(/usr/bin/python3 -c 'import pyfsapfs' 2>/dev/null && echo yes || echo no)
for spec in "sr_apfs_content.bin:0" "dfvfs_apfs.raw:0" "r2/apfs.img:20480"; do
  img=$samples/${spec%%:*} off=${spec##*:}
  [ -f "$img" ] || { echo "missing $img" >&2; continue; }
  name=$(basename "$img")
  if [ "$have_py" = yes ]; then
    "$here/compare.sh" "apfs ls --hash sha256 vs python3-fsapfs: $name" "$runs" \
      "$upscope ls $img --hash sha256" "/usr/bin/python3 $work/fsapfs_hash.py $img $off"
  fi
  if command -v fsapfsinfo >/dev/null; then
    "$here/compare.sh" "apfs ls --hash sha256 vs fsapfsinfo -H: $name" "$runs" \
      "$upscope ls $img --hash sha256" "fsapfsinfo -o $off -H $img"
  fi
  # 7zz t exits 2 on the carved sr_apfs_* containers ("Unexpected end of archive"): skip those.
  if command -v 7zz >/dev/null && 7zz t "$img" >/dev/null 2>&1; then
    "$here/compare.sh" "apfs ls --hash sha256 vs 7zz t: $name" "$runs" "$upscope ls $img --hash sha256" "7zz t $img"
  fi
done
