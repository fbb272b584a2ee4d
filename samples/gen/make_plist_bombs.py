#!/usr/bin/env python3
"""Writes the binary property lists of tests/malformed/plist/, one per rule of formats/plist/parse.cpp.

  reference-bomb.bplist    arrays that each reference the next one ten times, seven deep: 221 bytes
                           that libplist would expand to 10^7 nodes (it copies a shared object at every
                           reference)
  nested-too-deep.bplist   600 arrays each holding the next: libplist reads binary plists recursively
  reference-cycle.bplist   an array that holds itself

Python's plistlib reads the first and third (it shares objects as the file does).

Usage: make_plist_bombs.py OUT_DIR
"""
import os
import struct
import sys


def bplist(objects, top=0):
    """objects: list of encoded object bytes; references are 1 byte wide when < 256 objects, else 2."""
    body, offsets = b"", []
    for o in objects:
        offsets.append(8 + len(body))
        body += o
    table = 8 + len(body)
    trailer = bytes(6) + bytes([4, REF]) + struct.pack(">QQQ", len(objects), top, table)
    return b"bplist00" + body + b"".join(struct.pack(">I", o) for o in offsets) + trailer


def array(refs):
    n = len(refs)
    head = bytes([0xA0 | n]) if n < 15 else bytes([0xAF, 0x11]) + struct.pack(">H", n)
    return head + b"".join(r.to_bytes(REF, "big") for r in refs)


REF = 2


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    # object 0 references object 1 ten times, ..., object 7 is the integer 1
    bomb = [array([i + 1] * 10) for i in range(7)] + [bytes([0x10, 1])]
    deep = [array([i + 1]) for i in range(599)] + [array([])]
    cycle = [array([0])]
    for name, objs in (("reference-bomb", bomb), ("nested-too-deep", deep), ("reference-cycle", cycle)):
        with open(os.path.join(out, name + ".bplist"), "wb") as f:
            f.write(bplist(objs))


if __name__ == "__main__":
    main()
