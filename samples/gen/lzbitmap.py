#!/usr/bin/env python3
"""LZBITMAP ("ZBM") writer for tests and benchmarks (python3 stdlib only), after
docs/formats/lzbitmap.md. It writes the whole format: stored and compressed chunks of at most
32 KiB, literal / distance / bitmap / token areas, the 12-entry bitmap table and run-length counts.
Its match search is simple (one hash probe or two per 8-byte group, plus the previous distance),
so its output is larger than Apple's, but every stream it writes follows the rules Apple's do, and
an incompressible chunk is stored as Apple stores it (so its framing matches Apple's byte for byte).

  lzbitmap.py encode IN OUT                    a raw ZBM stream
  lzbitmap.py pbzb IN OUT [--block-size B]     a pbzb chunked stream, each chunk a ZBM stream

As a module: encode(data) -> bytes.
"""
import argparse
import struct
import sys
import zlib
from collections import Counter

from pbz import pbz_wrap  # beside this file: the pbz* framing

MAGIC = b"ZBM\x09"
END = b"\x06\x00\x00\x00\x00\x00"   # end-of-stream chunk: length 6, decoded length 0
CHUNK = 0x8000                       # decoded bytes per chunk
MAX_DISTANCE = 0xFFFF
TABLE_ENTRIES = 12


def u24(v):
    return struct.pack("<I", v)[:3]


def _distance_code(d, prev):
    """Size code of a group's distance: 0 keeps the previous one, 1 or 2 bytes otherwise."""
    if d == prev:
        return 0
    return 1 if d < 256 else 2


class _Encoder:
    def __init__(self, data):
        self.data = data
        self.last = {}   # 4-byte string -> its last start position (all chunks so far)

    def _remember(self, start, end):
        data, last = self.data, self.last
        for i in range(start, min(end, len(data) - 3)):
            last[data[i:i + 4]] = i

    def _bitmap(self, p, n, d):
        """Bit i set = literal; clear = byte p+i equals the byte d back (within the stream)."""
        data = self.data
        bitmap = 0
        for i in range(n):
            j = p + i
            if j - d < 0 or data[j] != data[j - d]:
                bitmap |= 1 << i
        return bitmap

    def _group(self, p, n, prev):
        """(bitmap, distance, size code) of the cheapest candidate for the group at p."""
        data = self.data
        candidates = {prev}
        for k in (0, 4):
            if p + k + 4 <= len(data):
                q = self.last.get(data[p + k:p + k + 4])
                if q is not None and 0 < p + k - q <= MAX_DISTANCE:
                    candidates.add(p + k - q)
        best = None
        for d in sorted(candidates, key=lambda x: (x != prev, x)):
            bitmap = self._bitmap(p, n, d)
            full = (1 << n) - 1
            if bitmap == full:   # no copy: keep the distance as it is
                d = prev
            code = _distance_code(d, prev)
            cost = bin(bitmap).count("1") + code
            if best is None or cost < best[0]:
                best = (cost, bitmap, d, code)
        return best[1], best[2], best[3]

    def chunk(self, start, end):
        """The compressed chunk for data[start:end], or None when storing it is no larger."""
        data = self.data
        n_total = end - start
        literals, distances, groups = bytearray(), bytearray(), []
        prev = 8   # every chunk starts with distance 8
        p = start
        while p < end:
            n = min(8, end - p)
            bitmap, d, code = self._group(p, n, prev)
            for i in range(n):
                if bitmap >> i & 1:
                    literals.append(data[p + i])
            if code == 1:
                distances.append(d)
            elif code == 2:
                distances += struct.pack("<H", d)
            prev = d
            # A short last group: bits past its end are literals that are never read.
            groups.append((bitmap | (0xFF << n & 0xFF), code))
            self._remember(p, p + n)
            p += n
        # The 12 most frequent (bitmap, code) pairs go in the table; the rest name their bitmap in
        # the bitmap area with tokens 0-2.
        table = [g for g, _ in Counter(groups).most_common(TABLE_ENTRIES)]
        index = {g: i for i, g in enumerate(table)}
        bitmaps, tokens = bytearray(), []
        for g in groups:
            if g in index:
                tokens.append(3 + index[g])
            else:
                bitmaps.append(g[0])
                tokens.append(g[1])
        nibbles = _run_lengths(tokens)
        if len(nibbles) % 2:
            nibbles.append(0)
        token_bytes = bytes(nibbles[i] | nibbles[i + 1] << 4 for i in range(0, len(nibbles), 2))
        packed = 0
        for i, (bitmap, code) in enumerate(table):
            packed |= (bitmap | code << 8) << (10 * i)
        a = 15 + len(literals)
        b = a + len(distances)
        c = b + len(bitmaps)
        length = c + len(token_bytes) + 17
        if length >= n_total + 6:
            return None
        return (u24(length) + u24(n_total) + u24(a) + u24(b) + u24(c) + bytes(literals) + bytes(distances) +
                bytes(bitmaps) + token_bytes + packed.to_bytes(17, "little"))


def _run_lengths(tokens):
    """Tokens as nibbles: a run of 4 or more equal tokens is the token, 0xF, and (run - 4) written
    as 0xF nibbles plus a last nibble below 0xF (docs/formats/lzbitmap.md §3.2)."""
    out = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j] == tokens[i]:
            j += 1
        run = j - i
        if run >= 4:
            out.append(tokens[i])
            out.append(15)
            rest = run - 4
            while rest >= 15:
                out.append(15)
                rest -= 15
            out.append(rest)
        else:
            out += [tokens[i]] * run
        i = j
    return out


def encode(data):
    data = bytes(data)
    enc = _Encoder(data)
    out = bytearray(MAGIC)
    for start in range(0, len(data), CHUNK):
        end = min(len(data), start + CHUNK)
        # Data zlib cannot shrink is stored at once (Apple stores random data too): the match
        # search is slow in Python and would find nothing.
        body = None if len(zlib.compress(data[start:end], 1)) >= end - start else enc.chunk(start, end)
        if body is None:
            out += u24(end - start + 6) + u24(end - start) + data[start:end]
        else:
            out += body
    out += END
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["encode", "pbzb"])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--block-size", type=int, default=0x100000, help="pbzb: decoded bytes per chunk")
    a = ap.parse_args()
    if a.block_size <= 0:
        sys.exit("lzbitmap.py: --block-size must be positive")
    with open(a.input, "rb") as f:
        data = f.read()
    out = encode(data) if a.mode == "encode" else pbz_wrap(data, "lzbitmap", a.block_size)
    with open(a.output, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
