#!/usr/bin/env bash
# Writes generated seed inputs for the fuzz targets into DIR/<target>/ (default build-fuzz/seeds):
# small fixtures from samples/gen (python3 stdlib only) and the command-line compressors, so targets
# without a real sample (Apple Archive, OTA zip, RIDIFF10, BXDIFF50, pbzx, the codecs, the streaming
# decoders, __PRELINK_INFO) start from valid inputs. Called by run_fuzzers.sh when DIR is missing.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-build-fuzz/seeds}")
gen=samples/gen
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in apple_archive ota_zip bxdiff50 ridiff10 pbzx kc im4p hfs apfs dyld_cache macho udif partition identify \
         prelink_info codec_zlib codec_xz codec_lzma codec_bzip2 stream_decode advisory ipsw build_manifest plist lzbitmap aea; do
  mkdir -p "$out/$t"
done
q() { "$@" >/dev/null 2>&1 || echo "make_seeds: failed: $*" >&2; }
q python3 $gen/make_aa.py sample "$out/apple_archive/sample.aar"
q python3 $gen/make_aa.py --wrap pbzx sample "$out/apple_archive/sample-pbzx.aar"
q python3 $gen/make_ota.py delta "$out/ota_zip/delta.zip"
q python3 $gen/make_ota.py rsr "$out/ota_zip/rsr.zip"
q python3 $gen/make_bxdiff50.py synth "$tmp/old" "$tmp/new" "$out/bxdiff50/synth.patch" "$tmp/patch40" --size 20000
q python3 $gen/make_ridiff10.py "$out/ridiff10/small.ridiff"
q python3 $gen/lzbitmap.py encode SECURITY.md "$out/lzbitmap/security.zbm"
# AEA: the fuzz target opens with the key 11...11 (fuzz_targets.cpp run_aea); needs python3-cryptography.
k=$(printf '11%.0s' $(seq 32))
q python3 $gen/make_aea.py "$out/aea/p0.aea" --profile 0 --size 5000 --segment-size 1024
q python3 $gen/make_aea.py "$out/aea/p1.aea" --profile 1 --key-hex "$k" --size 5000 --segment-size 1024 --checksum 1
q python3 $gen/make_aea.py "$out/aea/p2.aea" --profile 2 --key-hex "$k" --size 3000 --segment-size 1024 --padding 40
q python3 $gen/make_pbzx.py "$out/pbzx/small.pbzx" --size 200000 --block-size 65536
q python3 $gen/make_kc.py "$tmp/kc"
cp "$tmp"/kc/*.kc "$tmp"/kc/kernelcache* "$out/kc/" 2>/dev/null
cp "$tmp"/kc/*.im4p "$out/im4p/" 2>/dev/null
q python3 $gen/make_hfs.py "$out/hfs/small.hfs"
q python3 $gen/make_apfs.py "$out/apfs/small.img" --files 20 --total-size 1M
q python3 $gen/make_dyld_cache.py "$tmp/dsc"
cp "$tmp"/dsc/dyld_shared_cache_* "$out/dyld_cache/" 2>/dev/null
q python3 $gen/make_macho.py "$tmp/macho"
for f in fat fileset thin-arm64 thin-x86_64; do cp "$tmp/macho/$f" "$out/macho/" 2>/dev/null; done
q python3 $gen/make_udif.py "$out/udif/mixed.dmg" --size 1M --codec mixed --chunk-sectors 64 --raw-out "$out/partition/gpt.raw"
cp "$out/udif/mixed.dmg" "$out/hfs/small.hfs" "$out/ota_zip/rsr.zip" "$out/pbzx/small.pbzx" "$out/kc/boot.kc" \
   "$out/macho/fat" "$out/identify/" 2>/dev/null
cp tests/advisories/macos-13.3.1.txt tests/advisories/macos-13.3.1-a.txt tests/advisories/ios-16.4.1.txt "$out/advisory/"
q python3 $gen/make_ipsw.py "$out/ipsw/small.ipsw"
python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("BuildManifest.plist"))' \
  "$out/ipsw/small.ipsw" >"$out/build_manifest/BuildManifest.plist" 2>/dev/null || echo "make_seeds: no BuildManifest.plist" >&2
cp "$out/build_manifest/BuildManifest.plist" tests/malformed/plist/* "$out/plist/" 2>/dev/null
python3 -c 'import plistlib, sys; sys.stdout.buffer.write(plistlib.dumps(plistlib.load(open(sys.argv[1], "rb")), fmt=plistlib.FMT_BINARY))' \
  "$out/build_manifest/BuildManifest.plist" >"$out/plist/BuildManifest.bplist" 2>/dev/null || echo "make_seeds: no binary plist" >&2
head -c 3000 SECURITY.md >"$tmp/text"
python3 - "$tmp/text" "$out" <<'PY'
import bz2, lzma, sys, zlib
d = open(sys.argv[1], "rb").read()
o = sys.argv[2]
open(o + "/codec_zlib/text.zlib", "wb").write(zlib.compress(d))
open(o + "/codec_xz/text.xz", "wb").write(lzma.compress(d))
open(o + "/codec_lzma/text.lzma", "wb").write(lzma.compress(d, format=lzma.FORMAT_ALONE))
open(o + "/codec_bzip2/text.bz2", "wb").write(bz2.compress(d))
open(o + "/prelink_info/ids.xml", "wb").write(
    b'<dict><key>_PrelinkInfoDictionary</key><array><dict ID="1"><key>CFBundleIdentifier</key>'
    b'<string ID="2">com.apple.kpi</string><key>x</key><integer size="64" ID="3">0x10</integer>'
    b'<key>y</key><string IDREF="2"/><key>z</key><integer IDREF="3"/><key>t</key><true/>'
    b'<key>d</key><data>AAEC</data></dict></array></dict>')
PY
# chunklist: a chunklist over a small generated file; trustcache: raw v0-v2 and Image4-wrapped.
mkdir -p "$out/chunklist" "$out/trustcache"
q python3 $gen/make_chunklist.py data "$tmp/chunked" --size 50000
q python3 $gen/make_chunklist.py chunklist "$tmp/chunked" "$out/chunklist/small.chunklist" --chunk-size 8192
for v in 0 1 2; do q python3 $gen/make_trustcache.py "$out/trustcache/v$v.tc" --version $v --random 5; done
q python3 $gen/make_trustcache.py "$out/trustcache/img4.tc" --version 2 --random 3 --wrap img4 --type trbb
# stream_decode: the first byte picks the kind (0 xz, 1 gzip, 2 bzip2, 3 zstd, 4 LZ4 frame).
i=0
for c in "xz -c" "gzip -c" "bzip2 -c" "zstd -q -c" "lz4 -q -c"; do
  command -v "${c%% *}" >/dev/null && { printf "\\x0$i"; $c <"$tmp/text"; } >"$out/stream_decode/seed$i"
  i=$((i + 1))
done
exit 0
