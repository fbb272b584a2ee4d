#!/usr/bin/env python3
"""BXDIFF50 (and BSDIFF40) patch writer for upscope's tests and benchmarks. python3 stdlib only.

Layout from docs/formats/ota.md §5: an 88-byte LE header {magic "BXDIFF50", u64 version,
u64 patched_size, u64 control_size, u64 extra_size, u8[20] output SHA-1, u64 diff_size, u8[20]
input SHA-1}, then the control, diff and extra sections (in that order), each a pbzx stream of XZ
chunks (or a bare XZ stream with --section-format xz). Control = triples of sign-magnitude u64
(mix_len, copy_len, seek_len), bsdiff semantics.

Commands:
  diff OLD NEW -o PATCH [--bsdiff40 P40]   compute triples with a simple greedy matcher
  from-bsdiff40 P40 --old OLD --new NEW -o PATCH
                                           re-wrap the triples/sections of a classic BSDIFF40 patch
                                           made by Debian's `bsdiff` (checks the writer independently)
  synth --size N OLD NEW PATCH P40         large old/new pair plus both patches, triples known by
                                           construction (benchmarks)
"""
import argparse
import bz2
import hashlib
import lzma
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pbz import pbzx  # noqa: E402


def offtin(x):
    return struct.pack("<Q", (-x) | (1 << 63) if x < 0 else x)


def offtout(b, off=0):
    v = struct.unpack_from("<Q", b, off)[0]
    mag = v & ((1 << 63) - 1)
    return -mag if v >> 63 else mag


def encode_control(triples):
    return b"".join(offtin(m) + offtin(c) + offtin(s) for m, c, s in triples)


def section(data, fmt, block_size):
    if fmt == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ)
    return pbzx(data, block_size)


def write_bxdiff50(path, triples, diff, extra, old_sha1, new_sha1, new_size, fmt="pbzx",
                   block_size=0x100000, version=1):
    ctrl = section(encode_control(triples), fmt, block_size)
    d = section(bytes(diff), fmt, block_size)
    e = section(bytes(extra), fmt, block_size)
    hdr = b"BXDIFF50" + struct.pack("<QQQQ", version, new_size, len(ctrl), len(e)) + new_sha1 + \
        struct.pack("<Q", len(d)) + old_sha1
    assert len(hdr) == 88
    with open(path, "wb") as f:
        f.write(hdr + ctrl + d + e)


def write_bsdiff40(path, triples, diff, extra, new_size):
    ctrl = bz2.compress(encode_control(triples))
    d = bz2.compress(bytes(diff))
    e = bz2.compress(bytes(extra))
    with open(path, "wb") as f:
        f.write(b"BSDIFF40" + offtin(len(ctrl)) + offtin(len(d)) + offtin(new_size) + ctrl + d + e)


def greedy_triples(old, new, key=8):
    """A simple matcher: index every `key`-byte window of old, extend matches forward and keep
    going across isolated changed bytes (those become nonzero diff bytes, as in bsdiff)."""
    index = {}
    for i in range(len(old) - key + 1):
        index.setdefault(old[i:i + key], i)
    matches = []  # (new_start, old_start, length)
    pos = 0
    while pos + key <= len(new):
        o = index.get(new[pos:pos + key])
        if o is None:
            pos += 1
            continue
        n = 0
        while pos + n < len(new) and o + n < len(old):
            if new[pos + n] == old[o + n]:
                n += 1
                continue
            # tolerate one changed byte when the next `key` bytes match again
            if new[pos + n + 1:pos + n + 1 + key] == old[o + n + 1:o + n + 1 + key] and \
                    pos + n + 1 + key <= len(new):
                n += 1
                continue
            break
        matches.append((pos, o, n))
        pos += n
    triples, diff, extra = [], bytearray(), bytearray()
    old_pos = 0
    new_pos = 0
    if not matches or matches[0][0] > 0:
        first = matches[0] if matches else (len(new), 0, 0)
        extra += new[0:first[0]]
        triples.append((0, first[0], first[1] if matches else 0))
        old_pos = first[1] if matches else 0
        new_pos = first[0]
    for i, (ns, os_, ln) in enumerate(matches):
        assert ns == new_pos and os_ == old_pos
        diff += bytes((new[ns + k] - old[os_ + k]) & 0xff for k in range(ln))
        nxt = matches[i + 1] if i + 1 < len(matches) else (len(new), os_ + ln, 0)
        lit = new[ns + ln:nxt[0]]
        extra += lit
        seek = nxt[1] - (os_ + ln)
        triples.append((ln, len(lit), seek))
        old_pos = nxt[1]
        new_pos = nxt[0]
    return triples, diff, extra


def parse_bsdiff40(blob):
    if blob[:8] != b"BSDIFF40":
        raise SystemExit("not a BSDIFF40 patch")
    clen, dlen, nsize = offtout(blob, 8), offtout(blob, 16), offtout(blob, 24)
    ctrl = bz2.decompress(blob[32:32 + clen])
    diff = bz2.decompress(blob[32 + clen:32 + clen + dlen])
    extra = bz2.decompress(blob[32 + clen + dlen:])
    triples = [(offtout(ctrl, i), offtout(ctrl, i + 8), offtout(ctrl, i + 16)) for i in range(0, len(ctrl), 24)]
    return triples, diff, extra, nsize


def synth(size, seed=1):
    """old: pseudo-random bytes; new: old with sparse byte edits, a few inserted and a few
    dropped blocks. Triples follow from the construction, so no diffing of 100+ MB is needed."""
    rnd = random.Random(seed)
    # randbytes() of more than 256 MiB overflows; 64 MiB pieces give the same bytes (whole words).
    old = b"".join(rnd.randbytes(min(64 << 20, size - i)) for i in range(0, size, 64 << 20))
    triples, diff_parts, extra_parts = [], [], []
    old_pos = 0
    run = 4 << 20
    while old_pos < size:
        mix = min(run, size - old_pos)
        d = bytearray(mix)
        for _ in range(64):  # sparse edits
            d[rnd.randrange(mix)] = rnd.randrange(1, 256)
        diff_parts.append(bytes(d))
        ins = rnd.randbytes(rnd.randrange(0, 64 << 10))
        extra_parts.append(ins)
        skip = rnd.randrange(0, 16 << 10) if old_pos + mix < size else 0
        skip = min(skip, size - old_pos - mix)
        triples.append((mix, len(ins), skip))
        old_pos += mix + skip
    diff = b"".join(diff_parts)
    extra = b"".join(extra_parts)
    # Build new by applying (fast path: copy old, then patch the sparse nonzero diff bytes).
    new = bytearray()
    op = 0
    dp = 0
    ep = 0
    for mix, cp, sk in triples:
        seg = bytearray(old[op:op + mix])
        dd = diff[dp:dp + mix]
        for k in (i for i, b in enumerate(dd) if b):
            seg[k] = (seg[k] + dd[k]) & 0xff
        new += seg
        new += extra[ep:ep + cp]
        op += mix + sk
        dp += mix
        ep += cp
    return old, bytes(new), triples, diff, extra


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("diff")
    a.add_argument("old")
    a.add_argument("new")
    a.add_argument("-o", required=True)
    a.add_argument("--bsdiff40")
    a.add_argument("--section-format", choices=["pbzx", "xz"], default="pbzx")
    a.add_argument("--block-size", type=int, default=0x100000)
    b = sub.add_parser("from-bsdiff40")
    b.add_argument("patch40")
    b.add_argument("--old", required=True)
    b.add_argument("--new", required=True)
    b.add_argument("-o", required=True)
    b.add_argument("--block-size", type=int, default=0x100000)
    c = sub.add_parser("synth")
    c.add_argument("--size", type=int, required=True)
    c.add_argument("old")
    c.add_argument("new")
    c.add_argument("patch")
    c.add_argument("patch40")
    args = ap.parse_args()

    if args.cmd == "diff":
        old = open(args.old, "rb").read()
        new = open(args.new, "rb").read()
        triples, diff, extra = greedy_triples(old, new)
        write_bxdiff50(args.o, triples, diff, extra, hashlib.sha1(old).digest(), hashlib.sha1(new).digest(),
                       len(new), args.section_format, args.block_size)
        if args.bsdiff40:
            write_bsdiff40(args.bsdiff40, triples, diff, extra, len(new))
    elif args.cmd == "from-bsdiff40":
        triples, diff, extra, nsize = parse_bsdiff40(open(args.patch40, "rb").read())
        old = open(args.old, "rb").read()
        new = open(args.new, "rb").read()
        write_bxdiff50(args.o, triples, diff, extra, hashlib.sha1(old).digest(), hashlib.sha1(new).digest(),
                       nsize, "pbzx", args.block_size)
    else:
        old, new, triples, diff, extra = synth(args.size)
        open(args.old, "wb").write(old)
        open(args.new, "wb").write(new)
        write_bxdiff50(args.patch, triples, diff, extra, hashlib.sha1(old).digest(), hashlib.sha1(new).digest(),
                       len(new), "pbzx", 0x100000)
        write_bsdiff40(args.patch40, triples, diff, extra, len(new))


if __name__ == "__main__":
    main()
