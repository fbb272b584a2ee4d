#!/usr/bin/env python3
"""Writes a UDIF (.dmg) disk image, independently of upscope's C++ reader (python3 stdlib only).

Layout follows hdiutil (docs/formats/udif.md §1, §8): data fork from offset 0, then the XML resource plist,
then the 512-byte koly trailer. With --layout gpt the disk holds a protective MBR, a primary GPT
header and table, one partition at LBA 40, and the backup table and header, one blkx each, as
hdiutil writes them; with --layout none one blkx covers the whole disk.

Chunk types: --codec zlib|bzip2|lzma|raw|mixed (mixed cycles zlib, bzip2, lzma, raw, zero and
ignore chunks); LZMA chunks are xz streams as hdiutil writes them, or with --lzma-format alone /
alone-sized the older 13-byte-header LZMA1 form that readers fall back to. Any size: --size
accepts 64M, 2G ... and streams chunks to disk (2 worker processes compress them), so multi-GB
benchmark images need little memory.

  make_udif.py out.dmg --size 8M --codec mixed --layout gpt [--raw-out disk.img]
"""
import argparse
import binascii
import hashlib
import multiprocessing
import os
import plistlib
import random
import struct
import sys
import uuid
import zlib
import bz2
import lzma

SECTOR = 512
ZERO, RAW, IGNORE, ZLIB, BZIP2, LZMA = 0, 1, 2, 0x80000005, 0x80000006, 0x80000008
LZFSE = 0x80000007  # ULFO; bvx2 blocks from lzfse_fse.py (docs/formats/udif.md §6)
TERMINATOR = 0xFFFFFFFF
APFS_GUID = "7C3457EF-0000-11AA-AA11-00306543ECAC"
HFS_GUID = "48465300-0000-11AA-AA11-00306543ECAC"


def parse_size(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text[-1].upper() in mult:
        return int(float(text[:-1]) * mult[text[-1].upper()])
    return int(text)


def guid_bytes(text):
    return uuid.UUID(text).bytes_le  # GPT's mixed-endian layout


def crc32(data, crc=0):
    return binascii.crc32(data, crc) & 0xFFFFFFFF


# ---- payload: deterministic, compressible, different in every chunk ----
_WORDS = [b"apple", b"disk", b"image", b"sector", b"chunk", b"volume", b"upscope", b"koly", b"mish",
          b"blkx", b"partition", b"zlib", b"bzip2", b"lzma", b"\x00\x00\x00\x00", b"\xff\xfe"]


def payload(seed, size):
    """About 2:1 compressible like real disk contents: each 4 KiB block is 1.5 KiB of
    pseudo-random bytes (SHAKE-128 of the seed) and 2.5 KiB of word soup."""
    rnd = random.Random(seed)
    text = bytearray()
    while len(text) < 2560 * 4:
        text += rnd.choice(_WORDS) + bytes([rnd.randrange(256)])
    noise = hashlib.shake_128(struct.pack(">Q", seed)).digest((size // 4096 + 1) * 1536)
    parts = []
    for i in range(size // 4096 + 1):
        t = (i * 997) % (len(text) - 2560)
        parts.append(noise[i * 1536:(i + 1) * 1536])
        parts.append(bytes(text[t:t + 2560]))
    return b"".join(parts)[:size]


def lzma_chunk(data, level, container):
    """An LZMA chunk: an xz stream as hdiutil writes it, or the older "lzma alone" form (13-byte
    header: properties byte, dictionary size, u64 decoded size) with the size unknown (all ones,
    what xz --format=lzma writes) or stated ("alone-sized"); both end with an end marker."""
    preset = 0 if level <= 1 else 6
    if container == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ, preset=preset)
    if container == "alone":
        return lzma.compress(data, format=lzma.FORMAT_ALONE, preset=preset)
    dict_size = 1 << 20
    filt = {"id": lzma.FILTER_LZMA1, "preset": preset, "dict_size": dict_size, "lc": 3, "lp": 0, "pb": 2}
    body = lzma.compress(data, format=lzma.FORMAT_RAW, filters=[filt])
    props = (2 * 5 + 0) * 9 + 3  # (pb * 5 + lp) * 9 + lc
    return struct.pack("<BIQ", props, dict_size, len(data)) + body


def encode(job):
    kind, seed, nbytes, level, container = job
    if kind in (ZERO, IGNORE):
        return kind, b"", None
    data = payload(seed, nbytes)
    if kind == RAW:
        return kind, data, data
    if kind == ZLIB:
        return kind, zlib.compress(data, level), data
    if kind == BZIP2:
        return kind, bz2.compress(data, 9 if level > 1 else 1), data
    if kind == LZFSE:
        return kind, _lzfse(data), data
    if kind == LZMA:
        return kind, lzma_chunk(data, level, container), data
    raise ValueError(kind)


class Blkx:
    def __init__(self, name, first, count, ordinal, bid):
        self.name, self.first, self.count, self.ordinal, self.id = name, first, count, ordinal, bid
        self.chunks = []  # (type, rel sector, sectors, offset, length)
        self.crc = 0
        self.has_crc = True

    def mish(self):
        n = len(self.chunks) + 1
        out = bytearray(b"mish" + struct.pack(">IQQQII", 1, self.first, self.count, 0,
                                               2056 if any(c[0] & 0x80000000 for c in self.chunks) else 0,
                                               self.ordinal))
        out += b"\x00" * 24
        out += struct.pack(">II", 2 if self.has_crc else 0, 32 if self.has_crc else 0)
        out += struct.pack(">I", self.crc if self.has_crc else 0) + b"\x00" * 124
        out += struct.pack(">I", n)
        for t, s, c, off, ln in self.chunks:
            out += struct.pack(">IIQQQQ", t, 0, s, c, off, ln)
        out += struct.pack(">IIQQQQ", TERMINATOR, 0, self.count, 0, 0, 0)
        return bytes(out)


def gpt_structures(total, part_first, part_last, type_guid, name):
    entries = bytearray(128 * 128)
    e = guid_bytes(type_guid) + uuid.UUID(int=0x1234567890ABCDEF1234567890ABCDEF).bytes_le
    e += struct.pack("<QQQ", part_first, part_last, 0) + name.encode("utf-16-le").ljust(72, b"\x00")
    entries[0:128] = e
    table_crc = crc32(bytes(entries))

    def header(my, alt, entries_lba):
        h = bytearray(b"EFI PART" + struct.pack("<IIII", 0x10000, 92, 0, 0))
        h += struct.pack("<QQQQ", my, alt, 34, total - 34)
        h += uuid.UUID(int=0xFEEDFACE0000111122223333444455).bytes_le
        h += struct.pack("<QIII", entries_lba, 128, 128, table_crc)
        h[16:20] = struct.pack("<I", crc32(bytes(h)))
        return bytes(h).ljust(SECTOR, b"\x00")

    mbr = bytearray(SECTOR)
    mbr[446:462] = struct.pack("<B3sB3sII", 0, b"\x00\x02\x00", 0xEE, b"\xff\xff\xff", 1,
                               min(total - 1, 0xFFFFFFFF))
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr), header(1, total - 1, 2), bytes(entries), header(total - 1, 1, total - 33)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--size", default="4M", help="decoded disk size (rounded up to whole chunks of the partition)")
    ap.add_argument("--codec", default="zlib", choices=["zlib", "bzip2", "lzma", "lzfse", "raw", "mixed"])
    ap.add_argument("--layout", default="gpt", choices=["gpt", "none"])
    ap.add_argument("--chunk-sectors", type=int, default=2048)
    ap.add_argument("--level", type=int, default=6, help="compression effort (1 = fast)")
    ap.add_argument("--fs", default="none", choices=["none", "apfs", "hfs"],
                    help="stamp a file-system signature at the partition start (NXSB@32 / H+@1024)")
    ap.add_argument("--data-fork-crc", action="store_true", help="also store a data-fork CRC32 in the koly")
    ap.add_argument("--raw-out", help="also write the decoded disk here (for comparisons)")
    ap.add_argument("--lzma-format", default="xz", choices=["xz", "alone", "alone-sized"],
                    help="container of LZMA chunks: xz (hdiutil), or an LZMA1 'lzma alone' stream")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()

    cs = a.chunk_sectors
    want = max(parse_size(a.size) // SECTOR, 1)
    # Partition sectors: a whole number of chunks.
    if a.layout == "gpt":
        part_sectors = max(cs, (want - 40 - 33 + cs - 1) // cs * cs)
        total = 40 + part_sectors + 33
        part_first = 40
    else:
        part_sectors = max(cs, (want + cs - 1) // cs * cs)
        total = part_sectors
        part_first = 0
    nchunks = part_sectors // cs
    cycle = {"zlib": [ZLIB], "bzip2": [BZIP2], "lzma": [LZMA], "lzfse": [LZFSE], "raw": [RAW],
             "mixed": [ZLIB, BZIP2, ZERO, LZMA, RAW, IGNORE]}[a.codec]

    out = open(a.output, "wb")
    raw = open(a.raw_out, "wb") if a.raw_out else None
    data_fork_crc = 0
    pos = 0  # data fork position
    blkxs = []

    def emit_plain(name, first, data, bid):
        nonlocal pos, data_fork_crc
        b = Blkx(name, first, len(data) // SECTOR, len(blkxs), bid)
        comp = zlib.compress(data, 6)
        b.chunks.append((ZLIB, 0, len(data) // SECTOR, pos, len(comp)))
        b.crc = crc32(data)
        out.write(comp)
        data_fork_crc = crc32(comp, data_fork_crc)
        pos += len(comp)
        if raw:
            raw.seek(first * SECTOR)
            raw.write(data)
        blkxs.append(b)

    ptype = HFS_GUID if a.fs == "hfs" else APFS_GUID
    pname = "Apple_HFS" if a.fs == "hfs" else "Apple_APFS"
    if a.layout == "gpt":
        mbr, hdr, table, bhdr = gpt_structures(total, 40, 40 + part_sectors - 1, ptype, "disk image")
        emit_plain("Protective Master Boot Record (MBR : 0)", 0, mbr, "-1")
        emit_plain("GPT Header (Primary GPT Header : 1)", 1, hdr, "0")
        emit_plain("GPT Partition Data (Primary GPT Table : 2)", 2, table, "1")
        free = Blkx(" (Apple_Free : 3)", 34, 6, len(blkxs), "2")
        free.chunks.append((IGNORE, 0, 6, pos, 0))
        free.has_crc = True
        free.crc = 0
        blkxs.append(free)

    part = Blkx(f"disk image ({pname} : {len(blkxs)})", part_first, part_sectors, len(blkxs),
                str(len(blkxs) - 1))
    stamp = {"apfs": (32, b"NXSB"), "hfs": (1024, b"H+\x00\x04"), "none": None}[a.fs]
    jobs = ((cycle[i % len(cycle)], i + 1, cs * SECTOR, a.level, a.lzma_format) for i in range(nchunks))
    pool = multiprocessing.Pool(a.jobs) if a.jobs > 1 and nchunks > 4 else None
    results = pool.imap(encode, jobs, chunksize=4) if pool else map(encode, jobs)
    crc = 0
    for i, (kind, comp, data) in enumerate(results):
        rel = i * cs
        if i == 0 and stamp and data is not None:
            # Put the signature in the first chunk (re-encode it).
            d = bytearray(data)
            d[stamp[0]:stamp[0] + len(stamp[1])] = stamp[1]
            data = bytes(d)
            kind, comp, _ = kind, encode_data(kind, data, a.level, a.lzma_format), None
        if kind in (ZERO, IGNORE):
            part.chunks.append((kind, rel, cs, pos, 0))
            if kind == ZERO:
                crc = zero_crc(crc, cs * SECTOR)
            if raw:
                raw.seek((part_first + rel + cs) * SECTOR - 1)
                raw.write(b"\x00")
            continue
        part.chunks.append((kind, rel, cs, pos, len(comp)))
        out.write(comp)
        data_fork_crc = crc32(comp, data_fork_crc)
        pos += len(comp)
        crc = crc32(data, crc)
        if raw:
            raw.seek((part_first + rel) * SECTOR)
            raw.write(data)
    if pool:
        pool.close()
        pool.join()
    part.crc = crc
    blkxs.append(part)

    if a.layout == "gpt":
        emit_plain(f"GPT Partition Data (Backup GPT Table : {len(blkxs)})", total - 33, table, str(len(blkxs) - 1))
        emit_plain(f"GPT Header (Backup GPT Header : {len(blkxs)})", total - 1, bhdr, str(len(blkxs) - 1))
    if raw:
        raw.truncate(total * SECTOR)
        raw.close()

    data_fork_len = pos
    plist = {"resource-fork": {
        "blkx": [{"Attributes": "0x0050", "CFName": b.name, "Data": b.mish(), "ID": b.id, "Name": b.name}
                 for b in blkxs],
        "plst": [{"Attributes": "0x0050", "Data": bytes(1032), "ID": "0", "Name": ""}],
    }}
    xml = plistlib.dumps(plist, fmt=plistlib.FMT_XML)
    out.write(xml)
    master = 0
    for b in blkxs:
        if b.has_crc:
            master = crc32(struct.pack(">I", b.crc), master)
    koly = bytearray(512)
    koly[0:4] = b"koly"
    struct.pack_into(">IIIQQQQQII", koly, 4, 4, 512, 1, 0, 0, data_fork_len, 0, 0, 1, 1)
    if a.data_fork_crc:
        struct.pack_into(">III", koly, 80, 2, 32, data_fork_crc)
    struct.pack_into(">QQ", koly, 216, data_fork_len, len(xml))
    struct.pack_into(">III", koly, 352, 2, 32, master)
    struct.pack_into(">IQ", koly, 488, 1, total)
    out.write(koly)
    out.close()
    print(f"{a.output}: {total} sectors, {len(blkxs)} blkx, partition {nchunks} chunks, "
          f"data fork {data_fork_len} bytes, master crc {master:08x}", file=sys.stderr)


def _lzfse(data):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import lzfse_fse
    return lzfse_fse.encode(data)


def encode_data(kind, data, level, container):
    if kind == RAW:
        return data
    if kind == LZFSE:
        return _lzfse(data)
    if kind == ZLIB:
        return zlib.compress(data, level)
    if kind == BZIP2:
        return bz2.compress(data, 9 if level > 1 else 1)
    if kind == LZMA:
        return lzma_chunk(data, level, container)
    return b""


_ZERO_MIB = bytes(1 << 20)


def zero_crc(crc, n):
    while n:
        k = min(n, len(_ZERO_MIB))
        crc = crc32(_ZERO_MIB[:k], crc)
        n -= k
    return crc


if __name__ == "__main__":
    main()
