#!/usr/bin/env python3
"""Trust cache writer for upscope's tests: raw modules (versions 0, 1, 2) and the same wrapped in an
IM4P or an IMG4. python3 stdlib only.

Layout from docs/formats/trustcache.md: a little-endian header {u32 version, 16-byte UUID, u32
entry count}, then the entries: version 0 a 20-byte cdhash; version 1 cdhash, u8 hash type, u8
flags; version 2 adds u8 constraint category, u8 reserved. Versions 1 and 2 are sorted by cdhash.
Wrapped (§3): DER SEQUENCE { IA5String "IM4P", IA5String type, IA5String description, OCTET STRING
module }, optionally inside SEQUENCE { IA5String "IMG4", IM4P, [0] IM4M } where the IM4M is a
placeholder SEQUENCE { "IM4M", INTEGER 0 } (no signature: nothing here can sign as Apple does).

  make_trustcache.py OUT [--version V] [--uuid UUID] [--entry HEX[:TYPE[:FLAGS[:CATEGORY]]]]...
                         [--random N --seed S] [--wrap im4p|img4] [--type trbb] [--description D]
      Overrides for malformed fixtures: --count C (header count), --unsorted (keep the given order),
      --truncate N (keep only the first N bytes of the module), --append N (N zero bytes after it).
"""
import argparse
import random
import struct
import sys
import uuid as uuidlib

ENTRY_SIZE = {0: 20, 1: 22, 2: 24}


def der(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([tag, n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([tag, 0x80 | len(b)]) + b
    return head + content


def ia5(s):
    return der(0x16, s.encode())


def parse_entry(text, version):
    parts = text.split(":")
    cdhash = bytes.fromhex(parts[0])
    if len(cdhash) != 20:
        sys.exit(f"--entry {text}: a cdhash is 20 bytes")
    fields = [int(x, 0) for x in parts[1:]] + [2, 0, 0][len(parts) - 1:]
    return (cdhash, fields[0], fields[1], fields[2])


def raw_module(version, uuid_bytes, entries):
    """A raw module: entries are (cdhash, hash type, flags, constraint category), written as given."""
    out = bytearray(struct.pack("<I16sI", version, uuid_bytes, len(entries)))
    for cdhash, hash_type, flags, category in entries:
        out += cdhash
        if version >= 1:
            out += bytes([hash_type, flags])
        if version >= 2:
            out += bytes([category, 0])
    return bytes(out)


def module(a):
    rng = random.Random(a.seed)
    entries = [parse_entry(e, a.version) for e in a.entry]
    for _ in range(a.random):
        entries.append((rng.randbytes(20), 2, rng.choice([0, 0, 1, 2]), rng.randrange(0, 8)))
    if not a.unsorted:
        entries.sort(key=lambda e: e[0])
    out = bytearray(struct.pack("<I16sI", a.version, uuidlib.UUID(a.uuid).bytes,
                                len(entries) if a.count is None else a.count))
    for cdhash, hash_type, flags, category in entries:
        out += cdhash
        if a.version >= 1:
            out += bytes([hash_type, flags])
        if a.version >= 2:
            out += bytes([category, 0])
    if a.truncate is not None:
        out = out[:a.truncate]
    return bytes(out) + bytes(a.append), len(entries)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--version", type=int, default=1)
    p.add_argument("--uuid", default="00112233-4455-6677-8899-AABBCCDDEEFF")
    p.add_argument("--entry", action="append", default=[])
    p.add_argument("--random", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--wrap", choices=["none", "im4p", "img4"], default="none")
    p.add_argument("--type", default="trst")
    p.add_argument("--description", default="1")
    p.add_argument("--count", type=int)
    p.add_argument("--unsorted", action="store_true")
    p.add_argument("--truncate", type=int)
    p.add_argument("--append", type=int, default=0)
    a = p.parse_args()
    if a.version not in ENTRY_SIZE and a.count is None:
        print(f"note: version {a.version} is not 0, 1 or 2; entries are written as version 2", file=sys.stderr)
    body, n = module(a)
    if a.wrap != "none":
        body = der(0x30, ia5("IM4P") + ia5(a.type) + ia5(a.description) + der(0x04, body))
    if a.wrap == "img4":
        manifest = der(0x30, ia5("IM4M") + der(0x02, b"\x00"))
        body = der(0x30, ia5("IMG4") + body + der(0xA0, manifest))
    with open(a.out, "wb") as f:
        f.write(body)
    print(f"{a.out}: trust cache v{a.version}, {n} entries, {len(body)} bytes ({a.wrap})")


if __name__ == "__main__":
    main()
