#!/usr/bin/env python3
"""An independent pbzx/pbzz reader (python3 stdlib: struct + lzma/zlib), used by the tests to check
upscope's reader and make_pbzx.py's writer against code that shares nothing with either.

  pbzx_reference_decode.py IN OUT [--offset O --length L]

Writes the decoded bytes to OUT; prints "chunks N" on stdout. Exit 1 on any framing error.
"""
import argparse
import lzma
import struct
import sys
import zlib


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--length", type=int, default=-1)
    a = ap.parse_args()
    with open(a.inp, "rb") as f:
        f.seek(a.offset)
        data = f.read() if a.length < 0 else f.read(a.length)
    magic = data[:4]
    if magic not in (b"pbzx", b"pbzz"):
        sys.exit("not pbzx/pbzz")
    pos, chunks = 12, 0
    with open(a.out, "wb") as out:
        while pos < len(data):
            raw, stored = struct.unpack(">QQ", data[pos:pos + 16])
            payload = data[pos + 16:pos + 16 + stored]
            if len(payload) != stored or stored > raw:
                sys.exit("bad chunk %d" % chunks)
            if stored == raw:
                dec = payload
            elif magic == b"pbzx":
                dec = lzma.decompress(payload, format=lzma.FORMAT_XZ)
            else:
                dec = zlib.decompress(payload)
            if len(dec) != raw:
                sys.exit("chunk %d size mismatch" % chunks)
            out.write(dec)
            pos += 16 + stored
            chunks += 1
    print("chunks", chunks)


if __name__ == "__main__":
    main()
