#!/usr/bin/env python3
"""Writes pbz* chunked streams (docs/formats/pbzx.md) of any size, for tests and benchmarks.

  make_pbzx.py OUT --size N [--block-size B] [--magic pbzx|pbzz] [--preset P] [--stored-every K]
               [--raw RAW] [--seed S] [--jobs J]

The payload is deterministic, moderately compressible text-like data (about 4:1 with xz), so the
decoder's speed is representative. Each chunk is a standalone xz stream (pbzx) or zlib stream (pbzz);
a chunk that does not shrink, and every K-th chunk with --stored-every, is stored (stored == raw).
--raw also writes the decoded bytes, so a reader can be checked against them. Python stdlib only.
"""
import argparse
import lzma
import multiprocessing
import random
import struct
import sys
import zlib


def make_block(index, size, seed):
    # Words from a fixed vocabulary in a per-block random order: compressible but not trivial.
    rng = random.Random(seed * 1000003 + index)
    vocab = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(512)]
    parts, n = [], 0
    header = b"block %d\n" % index
    parts.append(header)
    n += len(header)
    while n < size:
        line = b" ".join(rng.choices(vocab, k=12)) + b"\n"
        parts.append(line)
        n += len(line)
    return b"".join(parts)[:size]


def encode(args):
    index, size, seed, magic, preset, stored = args
    raw = make_block(index, size, seed)
    if stored:
        return raw, raw
    if magic == "pbzx":
        data = lzma.compress(raw, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=preset)
    else:
        data = zlib.compress(raw, preset)
    return raw, (raw if len(data) >= len(raw) else data)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--size", type=int, required=True, help="decoded size in bytes")
    ap.add_argument("--block-size", type=int, default=1 << 20)
    ap.add_argument("--magic", choices=["pbzx", "pbzz"], default="pbzx")
    ap.add_argument("--preset", type=int, default=6)
    ap.add_argument("--stored-every", type=int, default=0, help="store every K-th chunk (0: none)")
    ap.add_argument("--raw", help="also write the decoded bytes here")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=1)
    a = ap.parse_args()
    if a.block_size <= 0 or a.size < 0:
        sys.exit("make_pbzx.py: --block-size must be positive and --size non-negative")
    count = (a.size + a.block_size - 1) // a.block_size
    work = [(i, min(a.block_size, a.size - i * a.block_size), a.seed, a.magic, a.preset,
             a.stored_every > 0 and i % a.stored_every == a.stored_every - 1) for i in range(count)]
    raw_out = open(a.raw, "wb") if a.raw else None
    with open(a.out, "wb") as out:
        out.write(a.magic.encode() + struct.pack(">Q", a.block_size))
        pool = multiprocessing.Pool(a.jobs) if a.jobs > 1 else None
        results = pool.imap(encode, work) if pool else map(encode, work)
        for raw, data in results:
            out.write(struct.pack(">QQ", len(raw), len(data)))
            out.write(data)
            if raw_out:
                raw_out.write(raw)
        if pool:
            pool.close()
            pool.join()
    if raw_out:
        raw_out.close()


if __name__ == "__main__":
    main()
