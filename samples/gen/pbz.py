"""pbz* chunked stream writer shared by the fixture scripts (python3 stdlib only).

Layout (docs/formats/pbzx.md §1): 4-byte magic, u64 BE block size, then chunks
{u64 BE raw size, u64 BE stored size, stored bytes}. A chunk whose compressed form is not smaller
is stored raw (stored == raw), as Apple's writers do.
"""
import lzma
import struct
import zlib

XZ_FILTERS = None  # default xz preset


def _compress(codec, data, preset):
    if codec == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=preset)
    if codec == "zlib":
        return zlib.compress(data, 5)
    if codec == "lzbitmap":
        import lzbitmap  # samples/gen/lzbitmap.py, beside this file
        return lzbitmap.encode(data)
    raise ValueError("codec %s has no writer here" % codec)


MAGIC = {"xz": b"pbzx", "zlib": b"pbzz", "lzbitmap": b"pbzb"}


def pbz_wrap(data, codec="xz", block_size=0x100000, preset=6, force_raw=False):
    out = bytearray(MAGIC[codec] + struct.pack(">Q", block_size))
    for off in range(0, len(data), block_size):
        raw = bytes(data[off:off + block_size])
        comp = raw if force_raw else _compress(codec, raw, preset)
        if len(comp) >= len(raw):
            comp = raw
        out += struct.pack(">QQ", len(raw), len(comp)) + comp
    return bytes(out)


def pbzx(data, block_size=0x100000, preset=6):
    return pbz_wrap(data, "xz", block_size, preset)
