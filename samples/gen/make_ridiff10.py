#!/usr/bin/env python3
"""Synthetic RIDIFF10 files for upscope's tests. python3 stdlib only.

BUILT FROM PUBLIC NOTES ONLY (docs/formats/ridiff10.md §2-§5 and §7, which follow
blacktop/ipsw's RawImageDiff.bt and raw.go). It has NOT been checked against Apple's tool or a
real RSR patch: no real RIDIFF10 sample was available. The metadata and controls contents follow
blacktop's partial reading (metadata prefix: digest[32], total_bytes, unknown, extent_count,
fork_count, extents{offset,size}[], then fork bytes we do not understand; controls: {u64 offset,
u64 size} x control_count) so that the reader's handling of those hypotheses can be tested.

Header (packed LE): "RIDIFF10", u16 variants V, u64 flags, u64 control_count, u32 excess_space,
u64 metadata_offset, u64 controls_offset, u64 patch_data_offset[V], u64 patch_size.

usage: make_ridiff10.py OUT [--variants N] [--codec pbzx|pbzm|xz] [--controls N] [--extents N]
"""
import argparse
import hashlib
import lzma
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbz import pbzx  # noqa: E402


def stream(data, codec):
    if codec == "pbzx":
        return pbzx(data, 0x10000)
    if codec == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ)
    if codec == "pbzm":  # LZRaven: no public encoder; framing with opaque chunk bytes
        body = bytes(random.Random(3).randbytes(max(1, len(data) // 3)))
        return b"pbzm" + struct.pack(">Q", 0x100000) + struct.pack(">QQ", len(data), len(body)) + body
    raise ValueError(codec)


def build(variants=1, codec="pbzx", controls=4, extents=3, flags=0, excess=4096, image_size=1 << 20):
    rnd = random.Random(11)
    ext = [(i * 0x10000, 0x1000 * (i + 1)) for i in range(extents)]
    image_digest = hashlib.sha256(b"synthetic image").digest()
    forks = rnd.randbytes(40)
    meta = image_digest + struct.pack("<QQQQ", image_size, 7, len(ext), 2) + \
        b"".join(struct.pack("<QQ", o, s) for o, s in ext) + forks
    ctrl = b"".join(struct.pack("<QQ", i * 0x2000, 0x800) for i in range(controls))
    datas = [bytes(rnd.randbytes(5000)) + bytes(20000) for _ in range(variants)]
    ms, cs = stream(meta, codec), stream(ctrl, codec)
    ds = [stream(d, codec) for d in datas]
    hsize = 46 + 8 * variants + 8
    meta_off = hsize
    ctrl_off = meta_off + len(ms)
    pd = []
    off = ctrl_off + len(cs)
    for d in ds:
        pd.append(off)
        off += len(d)
    patch_size = off
    hdr = b"RIDIFF10" + struct.pack("<HQQIQQ", variants, flags, controls, excess, meta_off, ctrl_off) + \
        b"".join(struct.pack("<Q", o) for o in pd) + struct.pack("<Q", patch_size)
    assert len(hdr) == hsize
    return hdr + ms + cs + b"".join(ds)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--variants", type=int, default=1)
    ap.add_argument("--codec", default="pbzx", choices=["pbzx", "pbzm", "xz"])
    ap.add_argument("--controls", type=int, default=4)
    ap.add_argument("--extents", type=int, default=3)
    a = ap.parse_args()
    with open(a.out, "wb") as f:
        f.write(build(a.variants, a.codec, a.controls, a.extents))


if __name__ == "__main__":
    main()
