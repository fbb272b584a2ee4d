#!/usr/bin/env python3
"""Synthetic OTA / RSR update packages for upscope's tests. python3 stdlib only.

Layout from docs/formats/ota.md §1-§3 (MobileAsset zip): Info.plist (asset attributes under
MobileAssetProperties), META-INF/com.apple.ZipMetadata.plist, AssetData/Info.plist (update
description), AssetData/boot/ (BuildManifest, kernelcache, firmware), AssetData/payloadv2/
(payload.NNN = pbzx-wrapped Apple Archives, patches/ = BXDIFF50 per-file patches, image_patches/ =
RIDIFF10 cryptex patches with -rev partners, removed.txt, ecc_data/). The payload, patch and image
writers are the existing make_aa / make_bxdiff50 / make_ridiff10 (imported). The zip writer is our
own (stored + deflate, optional zip64 records everywhere) so that python's zipfile and 7-Zip stay
independent readers of what it writes.

NOT checked against a real Apple package: the member names follow the notes; their exact set in
real RSRs is unconfirmed (docs/formats/ota.md §1).

Kinds:
  full   payload archives write a kernel collection, a kernel, system files; kernelcache + firmware
         in boot/; full-replacement cryptex image patches
  delta  PrerequisiteBuild set; BXDIFF50 patches of a system framework and the boot kernel
         collection; a small payload; removed.txt; one AEA-encrypted boot image
  rsr    SplatOnly true, ProductVersionExtra "(a)", Splat AssetType; only RIDIFF10 patches of the
         OS and App cryptex images (with -rev partners) plus boot personalization files

usage: make_ota.py KIND OUT.zip [--zip64] [--dir DIR]
       make_ota.py all OUTDIR        full.zip delta.zip rsr.zip rsr-zip64.zip full-zip64.zip
"""
import argparse
import hashlib
import os
import plistlib
import random
import struct
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbz import pbzx  # noqa: E402
import make_aa as aa  # noqa: E402
import make_bxdiff50 as bx  # noqa: E402
import make_ridiff10 as ri  # noqa: E402


# ---- zip writer -------------------------------------------------------------------------------

def write_zip(path, members, zip64=False):
    """members: list of (name, data, method) with method 0 (stored) or 8 (deflate). zip64=True
    writes every size/offset through the zip64 extra field and adds the zip64 end records
    (write_zip_files)."""
    if zip64:
        return write_zip_files(path, members)
    out = bytearray()
    central = bytearray()
    for name, data, method in members:
        nb = name.encode()
        crc = zlib.crc32(data) & 0xffffffff
        if method == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            comp = c.compress(data) + c.flush()
        else:
            comp = data
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, method, 0, 0x5421, crc, len(comp), len(data),
                           len(nb), 0) + nb + comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, (3 << 8) | 20, 20, 0, method, 0, 0x5421, crc,
                               len(comp), len(data), len(nb), 0, 0, 0, 0, 0o100644 << 16, offset) + nb
    cd_off = len(out)
    out += central
    n = len(members)
    out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, len(central), cd_off, 0)
    with open(path, "wb") as f:
        f.write(out)


def write_zip_files(path, members):
    """A zip64 archive written member by member, for members too large to hold in memory.
    members: (name, data, method) as for write_zip, where data may also be a file path (str), which
    is stored (method 0) and copied in 8 MiB pieces; its CRC-32 is written into the local header
    once the member has been copied."""
    central = bytearray()
    with open(path, "wb") as out:
        for name, data, method in members:
            nb = name.encode()
            offset = out.tell()
            on_disk = isinstance(data, str)
            if on_disk:
                method, size = 0, os.path.getsize(data)
                comp = None
            else:
                size = len(data)
                if method == 8:
                    c = zlib.compressobj(6, zlib.DEFLATED, -15)
                    comp = c.compress(data) + c.flush()
                else:
                    comp = data
            csize = size if comp is None else len(comp)
            lextra = struct.pack("<HHQQ", 1, 16, size, csize)
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, method, 0, 0x5421, 0, 0xffffffff,
                                  0xffffffff, len(nb), len(lextra)) + nb + lextra)
            crc = 0
            if on_disk:
                with open(data, "rb") as src:
                    while piece := src.read(8 << 20):
                        crc = zlib.crc32(piece, crc)
                        out.write(piece)
            else:
                crc = zlib.crc32(data)
                out.write(comp)
            end = out.tell()
            out.seek(offset + 14)
            out.write(struct.pack("<I", crc & 0xffffffff))
            out.seek(end)
            cextra = struct.pack("<HHQQQ", 1, 24, size, csize, offset)
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, (3 << 8) | 45, 45, 0, method, 0, 0x5421,
                                   crc & 0xffffffff, 0xffffffff, 0xffffffff, len(nb), len(cextra), 0, 0, 0,
                                   0o100644 << 16, 0xffffffff) + nb + cextra
        cd_off = out.tell()
        out.write(central)
        n = len(members)
        z64 = out.tell()
        out.write(struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, (3 << 8) | 45, 45, 0, 0, n, n, len(central), cd_off))
        out.write(struct.pack("<IIQI", 0x07064b50, 0, z64, 1))
        out.write(struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xffff, 0xffff, 0xffffffff, 0xffffffff, 0))


# ---- package contents --------------------------------------------------------------------------

def plist(d):
    return plistlib.dumps(d, fmt=plistlib.FMT_XML)


def asset_info(props):
    return plist({"CFBundleIdentifier": "com.apple.MobileAsset.MacSoftwareUpdate", "MobileAssetProperties": props})


def aa_file(path, data, mode=0o644):
    return aa.entry([aa.f_uint("TYP", ord("F"), 1), aa.f_str("PAT", path), aa.f_uint("MOD", mode, 2),
                     aa.f_hash("SH2", hashlib.sha256(data).digest()), aa.f_blob("DAT", len(data), 4)], [data])


def aa_dir(path):
    return aa.entry([aa.f_uint("TYP", ord("D"), 1), aa.f_str("PAT", path), aa.f_uint("MOD", 0o755, 2)])


def aa_link(path, target):
    return aa.entry([aa.f_uint("TYP", ord("L"), 1), aa.f_str("PAT", path), aa.f_str("LNK", target)])


def payload(entries):
    return pbzx(b"".join(entries), 0x10000)


def bxdiff(old, new):
    triples, diff, extra = bx.greedy_triples(old, new)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "p")
        bx.write_bxdiff50(p, triples, diff, extra, hashlib.sha1(old).digest(), hashlib.sha1(new).digest(), len(new))
        return open(p, "rb").read()


def common(props, update):
    return [("Info.plist", asset_info(props), 8),
            ("META-INF/com.apple.ZipMetadata.plist", plist({"ZipMetadataVersion": 1}), 8),
            ("AssetData/Info.plist", plist(update), 8)]


def cryptex_patches(seed):
    out = []
    for i, name in enumerate(["cryptex-app", "cryptex-system-arm64e"]):
        out.append(("AssetData/payloadv2/image_patches/" + name, ri.build(1, "pbzx", 4 + i + seed, 3 + i), 0))
        out.append(("AssetData/payloadv2/image_patches/" + name + "-rev", ri.build(1, "pbzx", 2 + i, 2), 0))
    return out


def full():
    rnd = random.Random(1)
    kc = b"\xcf\xfa\xed\xfe" + rnd.randbytes(40000)
    members = common({"AssetType": "com.apple.MobileAsset.MacSoftwareUpdate", "Build": "22E261",
                      "OSVersion": "9.9.13.3.1", "SplatOnly": False, "SupportedDevices": ["J314sAP", "J316sAP"],
                      "RestoreVersion": "22.5.261.0.0,0"},
                     {"ProductVersion": "13.3.1", "Build": "22E261", "PackageVersion": "2.0", "ProductType": "Mac14,5"})
    members += [
        ("AssetData/boot/BuildManifest.plist", plist({"ProductVersion": "13.3.1", "ProductBuildVersion": "22E261"}), 8),
        ("AssetData/boot/kernelcache.release.mac14j", b"IM4P" + rnd.randbytes(3000), 0),
        ("AssetData/boot/Firmware/all_flash/iBoot.j314s.RELEASE.im4p", b"IM4P" + rnd.randbytes(500), 0),
        ("AssetData/payloadv2/payload.000", payload([
            aa_dir(""), aa_dir("System"), aa_dir("System/Library"),
            aa_file("System/Library/KernelCollections/BootKernelExtensions.kc", kc),
            aa_file("System/Library/Kernels/kernel.release.t6000", b"\xcf\xfa\xed\xfe" + rnd.randbytes(5000)),
            aa_file("System/Library/CoreServices/SystemVersion.plist", plist({"ProductVersion": "13.3.1"})),
        ]), 0),
        ("AssetData/payloadv2/payload.001", payload([
            aa_file("usr/lib/libupscope_demo.dylib", b"\xcf\xfa\xed\xfe" + rnd.randbytes(2000), 0o755),
            aa_link("usr/lib/libupscope_demo.1.dylib", "libupscope_demo.dylib"),
            aa_file("System/Applications/Calculator.app/Contents/MacOS/Calculator", rnd.randbytes(1000), 0o755),
        ]), 0),
        ("AssetData/payloadv2/ecc_data/payload.000.ecc", rnd.randbytes(256), 0),
    ]
    members += cryptex_patches(0)
    return members


def delta():
    rnd = random.Random(2)
    old_fw = rnd.randbytes(30000)
    new_fw = bytearray(old_fw)
    for i in range(0, len(new_fw), 997):
        new_fw[i] ^= 0x5a
    new_fw = bytes(new_fw[:20000]) + rnd.randbytes(300) + bytes(new_fw[20000:])
    old_kc = rnd.randbytes(20000)
    new_kc = old_kc[:5000] + b"kernel fix" + old_kc[5000:]
    members = common({"AssetType": "com.apple.MobileAsset.MacSoftwareUpdate", "Build": "22E261",
                      "PrerequisiteBuild": "22E252", "PrerequisiteOSVersion": "13.3", "OSVersion": "13.3.1",
                      "SupportedDevices": ["J314sAP"]},
                     {"ProductVersion": "13.3.1", "Build": "22E261", "PackageVersion": "2.0", "ProductType": "Mac14,5"})
    members += [
        ("AssetData/boot/BuildManifest.plist", plist({"ProductVersion": "13.3.1"}), 8),
        ("AssetData/boot/090-00001-001.dmg.aea", b"AEA1" + struct.pack("<I", 1) + rnd.randbytes(600), 0),
        ("AssetData/payloadv2/patches/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit",
         bxdiff(old_fw, new_fw), 0),
        ("AssetData/payloadv2/patches/System/Library/KernelCollections/BootKernelExtensions.kc",
         bxdiff(old_kc, new_kc), 0),
        ("AssetData/payloadv2/payload.000", payload([aa_file("usr/share/upscope/new.txt", b"new file\n")]), 0),
        ("AssetData/payloadv2/removed.txt", b"/usr/lib/libobsolete.dylib\n", 8),
    ]
    return members


def rsr():
    members = common({"AssetType": "com.apple.MobileAsset.MacSplatSoftwareUpdate", "Build": "22E772610a",
                      "PrerequisiteBuild": "22E261", "OSVersion": "13.3.1", "ProductVersionExtra": "(a)",
                      "SplatOnly": True, "SupportedDevices": ["J314sAP"],
                      "RestoreVersionInfo": {"RestoreVersion": "22.5.772610.0.0,0", "IsSeed": False}},
                     {"ProductVersion": "13.3.1", "Build": "22E772610a", "PackageVersion": "2.0",
                      "ProductType": "Mac14,5"})
    members += [
        ("AssetData/boot/BuildManifest.plist", plist({"ProductVersion": "13.3.1", "ProductBuildVersion": "22E772610a"}), 8),
        ("AssetData/boot/os.dmg.trustcache", random.Random(3).randbytes(200), 0),
    ]
    members += cryptex_patches(5)
    return members


KINDS = {"full": full, "delta": delta, "rsr": rsr}


def extract(members, root):
    for name, data, _ in members:
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=list(KINDS) + ["all"])
    ap.add_argument("out")
    ap.add_argument("--zip64", action="store_true")
    ap.add_argument("--dir", help="also write the package extracted into this directory")
    a = ap.parse_args()
    if a.kind == "all":
        os.makedirs(a.out, exist_ok=True)
        for k, fn in KINDS.items():
            write_zip(os.path.join(a.out, k + ".zip"), fn())
        write_zip(os.path.join(a.out, "rsr-zip64.zip"), rsr(), zip64=True)
        write_zip(os.path.join(a.out, "full-zip64.zip"), full(), zip64=True)
        return
    members = KINDS[a.kind]()
    write_zip(a.out, members, a.zip64)
    if a.dir:
        extract(members, a.dir)


if __name__ == "__main__":
    main()
