#!/usr/bin/env python3
"""Apple Archive (AA01 / YAA1) writer for upscope's tests. python3 stdlib only.

Built from docs/formats/ota.md §6 (Apple's AppleArchive.h field letters): an entry is
magic, u16 LE header_size (whole header), then fields = 3-char key + subtype letter + value:
'*' flag, '1'/'2'/'4'/'8' uint LE, 'A'/'B'/'C' blob size u16/u32/u64 (bytes follow the header,
in field order), 'F'..'J' hashes (CRC32, SHA-1, SHA-256, SHA-384, SHA-512), 'S' u64 seconds,
'T' u64 seconds + u32 ns, 'P' u16 length + bytes. No Apple tool was available to cross-check
(Linux only): the `tiny` command's bytes are also hand-written in tests/unit/test_aa.cpp.

Commands:
  sample OUT [--magic YAA1] [--wrap pbzx|pbzz|pbzb] [--block-size N]   every field type, dirs, files, a symlink
  traversal OUT      entries whose paths must be refused ("../", absolute, NUL) plus one safe file
  tiny OUT           one file entry, 28 bytes (the hand-computed fixture)
"""
import argparse
import hashlib
import os
import random
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbz import pbz_wrap  # noqa: E402


def f_flag(k):
    return k.encode() + b"*"


def f_uint(k, v, size):
    letter = {1: b"1", 2: b"2", 4: b"4", 8: b"8"}[size]
    fmt = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}[size]
    return k.encode() + letter + struct.pack(fmt, v)


def f_str(k, s):
    b = s if isinstance(s, bytes) else s.encode()
    return k.encode() + b"P" + struct.pack("<H", len(b)) + b


def f_blob(k, size, width):
    letter, fmt = {2: (b"A", "<H"), 4: (b"B", "<I"), 8: (b"C", "<Q")}[width]
    return k.encode() + letter + struct.pack(fmt, size)


def f_hash(k, digest):
    letter = {4: b"F", 20: b"G", 32: b"H", 48: b"I", 64: b"J"}[len(digest)]
    return k.encode() + letter + digest


def f_time_s(k, sec):
    return k.encode() + b"S" + struct.pack("<Q", sec)


def f_time_t(k, sec, nsec):
    return k.encode() + b"T" + struct.pack("<QI", sec, nsec)


def entry(fields, blobs=(), magic=b"AA01"):
    body = b"".join(fields)
    return magic + struct.pack("<H", 6 + len(body)) + body + b"".join(blobs)


def xattrs(pairs):
    out = b""
    for name, value in pairs:
        rec = name.encode() + b"\0" + value
        out += struct.pack("<I", 4 + len(rec)) + rec
    return out


def sample(magic):
    rnd = random.Random(7)
    readme = b"upscope Apple Archive fixture\n" * 3
    big = rnd.randbytes(3 * 1024 * 1024 + 17)
    xat = xattrs([("com.apple.quarantine", b"0081;00000000;;")])
    e = []
    e.append(entry([f_uint("TYP", ord("D"), 1), f_str("PAT", ""), f_uint("MOD", 0o755, 2)], magic=magic))
    e.append(entry([f_uint("TYP", ord("D"), 1), f_str("PAT", "docs"), f_uint("UID", 501, 4), f_uint("GID", 20, 4),
                    f_uint("MOD", 0o755, 2), f_time_t("MTM", 1700000000, 123456789)], magic=magic))
    e.append(entry([f_uint("TYP", ord("F"), 1), f_str("PAT", "docs/readme.txt"), f_uint("UID", 501, 4),
                    f_uint("GID", 20, 4), f_uint("MOD", 0o644, 2), f_uint("FLG", 0x20, 4),
                    f_time_t("MTM", 1700000001, 5), f_time_s("CTM", 1600000000), f_uint("SIZ", len(readme), 8),
                    f_str("UIN", "mobile"), f_flag("ZZF"),
                    f_hash("CKS", struct.pack("<I", zlib.crc32(readme))),
                    f_hash("SH2", hashlib.sha256(readme).digest()),
                    f_hash("SH3", hashlib.sha384(readme).digest()),
                    f_hash("SH5", hashlib.sha512(readme).digest()),
                    f_blob("DAT", len(readme), 2), f_blob("XAT", len(xat), 4)],
                   [readme, xat], magic=magic))
    e.append(entry([f_uint("TYP", ord("L"), 1), f_str("PAT", "docs/link"), f_str("LNK", "readme.txt"),
                    f_uint("MOD", 0o755, 2)], magic=magic))
    e.append(entry([f_uint("TYP", ord("F"), 1), f_str("PAT", "big.bin"), f_uint("MOD", 0o600, 2),
                    f_hash("SH1", hashlib.sha1(big).digest()), f_blob("DAT", len(big), 8)], [big], magic=magic))
    e.append(entry([f_uint("TYP", ord("F"), 1), f_str("PAT", "empty"), f_uint("MOD", 0o644, 2)], magic=magic))
    return b"".join(e)


def traversal():
    ok = b"fine\n"
    e = [entry([f_uint("TYP", ord("F"), 1), f_str("PAT", "../evil"), f_blob("DAT", 4, 2)], [b"evil"]),
         entry([f_uint("TYP", ord("F"), 1), f_str("PAT", "/abs/evil"), f_blob("DAT", 4, 2)], [b"evil"]),
         entry([f_uint("TYP", ord("F"), 1), f_str("PAT", "a/../../evil"), f_blob("DAT", 4, 2)], [b"evil"]),
         entry([f_uint("TYP", ord("F"), 1), f_str("PAT", b"nul\0evil"), f_blob("DAT", 4, 2)], [b"evil"]),
         entry([f_uint("TYP", ord("F"), 1), f_str("PAT", "ok/file"), f_blob("DAT", len(ok), 2)], [ok])]
    return b"".join(e)


def tiny():
    return entry([f_uint("TYP", ord("F"), 1), f_str("PAT", "a/b"), f_blob("DAT", 2, 2)], [b"hi"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["sample", "traversal", "tiny"])
    ap.add_argument("out")
    ap.add_argument("--magic", default="AA01", choices=["AA01", "YAA1"])
    ap.add_argument("--wrap", choices=["pbzx", "pbzz", "pbzb"])
    ap.add_argument("--block-size", type=int, default=1 << 20)
    a = ap.parse_args()
    data = {"sample": lambda: sample(a.magic.encode()), "traversal": traversal, "tiny": tiny}[a.cmd]()
    if a.wrap:
        data = pbz_wrap(data, {"pbzx": "xz", "pbzz": "zlib", "pbzb": "lzbitmap"}[a.wrap], a.block_size)
    with open(a.out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
