#!/usr/bin/env python3
"""Chunklist (CNKL) writer for upscope's tests. python3 stdlib only.

Layout from docs/formats/chunklist.md: a 36-byte little-endian header {"CNKL", u32 header size 36,
u8 file version 1, u8 chunk method 1 (SHA-256), u8 signature method, u8 0, u64 chunk count, u64
chunk-table offset, u64 signature offset}, then one {u32 size, SHA-256} per chunk of the image in
order, then the signature. We cannot sign as Apple does: the signature is filler of the right
length (256 bytes for method 1), derived from the header and table so the output is deterministic.

Commands:
  data OUT --size N [--seed S]            a deterministic pseudo-random file to chunk
  chunklist IMAGE OUT [--chunk-size N]    the chunklist of IMAGE (Apple uses 10 MiB chunks)
      Overrides for malformed fixtures (each breaks one rule; the chunks stay those of IMAGE):
      --header-size H --version V --chunk-method M --signature-method M --signature-length L
      --count C --table-offset T --signature-offset S --truncate N (keep only the first N bytes)
"""
import argparse
import hashlib
import random
import struct
import sys

HEADER = struct.Struct("<4sIBBBBQQQ")
CHUNK = struct.Struct("<I32s")
SIGNATURE_LENGTH = {1: 256, 3: 808}


def data(out, size, seed):
    rng = random.Random(seed)
    with open(out, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(rng.randbytes(n))
            left -= n


def chunk_table(image, chunk_size):
    rows = []
    with open(image, "rb") as f:
        while True:
            block = f.read(chunk_size)
            if not block:
                break
            rows.append(CHUNK.pack(len(block), hashlib.sha256(block).digest()))
    return rows


def chunklist(a):
    rows = chunk_table(a.image, a.chunk_size)
    table_offset = HEADER.size if a.table_offset is None else a.table_offset
    table = b"".join(rows)
    sig_offset = table_offset + len(table) if a.signature_offset is None else a.signature_offset
    header = HEADER.pack(b"CNKL", a.header_size, a.version, a.chunk_method, a.signature_method, 0,
                         len(rows) if a.count is None else a.count, table_offset, sig_offset)
    sig_len = a.signature_length if a.signature_length is not None else SIGNATURE_LENGTH.get(a.signature_method, 256)
    # Filler, not a signature: SHA-256 of what a real signature covers, repeated.
    body = bytearray(header)
    if table_offset > len(body):
        body += bytes(table_offset - len(body))
    body[table_offset:table_offset + len(table)] = table
    if sig_offset > len(body):
        body += bytes(sig_offset - len(body))
    seed = hashlib.sha256(bytes(body[:sig_offset])).digest()
    signature = (seed * (sig_len // 32 + 1))[:sig_len]
    out = bytes(body[:max(sig_offset, HEADER.size)]) + signature
    if a.truncate is not None:
        out = out[:a.truncate]
    with open(a.out, "wb") as f:
        f.write(out)
    print(f"{a.out}: {len(rows)} chunks, {sum(CHUNK.unpack(r)[0] for r in rows)} bytes")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data")
    d.add_argument("out")
    d.add_argument("--size", type=int, required=True)
    d.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("chunklist")
    c.add_argument("image")
    c.add_argument("out")
    c.add_argument("--chunk-size", type=int, default=10 << 20)
    c.add_argument("--header-size", type=int, default=HEADER.size)
    c.add_argument("--version", type=int, default=1)
    c.add_argument("--chunk-method", type=int, default=1)
    c.add_argument("--signature-method", type=int, default=1)
    c.add_argument("--signature-length", type=int)
    c.add_argument("--count", type=int)
    c.add_argument("--table-offset", type=int)
    c.add_argument("--signature-offset", type=int)
    c.add_argument("--truncate", type=int)
    a = p.parse_args()
    if a.cmd == "data":
        data(a.out, a.size, a.seed)
    else:
        if a.chunk_size <= 0 or a.chunk_size >= 1 << 32:
            sys.exit("--chunk-size must be 1 .. 2^32-1")
        chunklist(a)


if __name__ == "__main__":
    main()
