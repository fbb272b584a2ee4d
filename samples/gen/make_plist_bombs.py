#!/usr/bin/env python3
"""Writes the property lists of tests/malformed/plist/, one per rule of formats/plist/parse.cpp.

  reference-bomb.bplist    arrays that each reference the next one ten times, seven deep: 221 bytes
                           that libplist would expand to 10^7 nodes (it copies a shared object at every
                           reference)
  nested-too-deep.bplist   600 arrays each holding the next: libplist reads binary plists recursively
  reference-cycle.bplist   an array that holds itself
  reference-bomb-wide-refs.bplist  the bomb with 9-byte references (libplist reads any width, taking the
                           last 8 bytes of a wider one)
  nested-too-deep.plist    600 nested XML arrays: libplist parses them, but frees its tree recursively

Python's plistlib reads the first and third (it shares objects as the file does).

Usage: make_plist_bombs.py OUT_DIR
"""
import os
import struct
import sys


def bplist(objects, ref, top=0):
    """objects: list of encoded object bytes; references are `ref` bytes wide."""
    body, offsets = b"", []
    for o in objects:
        offsets.append(8 + len(body))
        body += o
    table = 8 + len(body)
    trailer = bytes(6) + bytes([4, ref]) + struct.pack(">QQQ", len(objects), top, table)
    return b"bplist00" + body + b"".join(struct.pack(">I", o) for o in offsets) + trailer


def array(refs, ref=2):
    n = len(refs)
    head = bytes([0xA0 | n]) if n < 15 else bytes([0xAF, 0x11]) + struct.pack(">H", n)
    return head + b"".join(r.to_bytes(ref, "big") for r in refs)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    # object 0 references object 1 ten times, ..., object 7 is the integer 1
    bomb = [array([i + 1] * 10) for i in range(7)] + [bytes([0x10, 1])]
    deep = [array([i + 1]) for i in range(599)] + [array([])]
    cycle = [array([0])]
    wide = [array([i + 1] * 10, 9) for i in range(7)] + [bytes([0x10, 1])]
    for name, objs, ref in (("reference-bomb", bomb, 2), ("nested-too-deep", deep, 2), ("reference-cycle", cycle, 2),
                            ("reference-bomb-wide-refs", wide, 9)):
        with open(os.path.join(out, name + ".bplist"), "wb") as f:
            f.write(bplist(objs, ref))
    with open(os.path.join(out, "nested-too-deep.plist"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0">' + "<array>" * 600 + "</array>" * 600 +
                "</plist>\n")


if __name__ == "__main__":
    main()
