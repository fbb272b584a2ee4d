#!/usr/bin/env python3
"""A small program image in the shape clang and ld64 give one (python3 stdlib only), for the diff tests:
the same program written at another layout, with another call, string or entitlement.

    make_program.py OUT [--arch arm64|x86_64] [--shift-pages N] [--uuid HEX32] [--call NAME]
                    [--string TEXT] [--entitlements JSON] [--strip-locals] [--extra-function]

MH_EXECUTE with __PAGEZERO; __TEXT (__text, __stubs, __cstring); __DATA_CONST (__got: binds); __DATA
(__data: a pointer to a function and one to a string, rebased, and an int); __LINKEDIT holding chained
fixups (DYLD_CHAINED_PTR_64_OFFSET, binds to the imports and rebases), function starts, the export trie,
a symbol table (functions, _counter, the imports), the indirect symbol table naming every stub and GOT
slot, and an ad-hoc code signature (CodeDirectory with special slots, empty requirements, entitlements as
XML and as DER). Code:
  _main    calls --call through its stub with the address of the --string literal, calls _helper, loads
           _counter, returns
  _helper  passes another literal to _strlen through its stub (a tail call)
  (an unnamed function after _helper: returns 1; with --extra-function a second one before it: returns 2)
--shift-pages N inserts N pages before __text: every address moves (a relink), nothing else changes.
--strip-locals leaves _helper and _counter out of the symbol table (as `strip` does).
Checked by an independent reader: llvm-objdump-16 --macho -d (stubs named through the indirect table),
--private-headers, --bind/--rebase (dyld_info-style listings of the chained fixups).
"""
import argparse
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_macho import (CPU_ARM64, CPU_X86_64, LC_BUILD_VERSION, LC_CODE_SIGNATURE, LC_DYSYMTAB,  # noqa: E402
                        LC_FUNCTION_STARTS, LC_LOAD_DYLIB, LC_LOAD_DYLINKER, LC_MAIN, LC_SOURCE_VERSION, LC_SYMTAB,
                        LC_UUID, LC_DYLD_EXPORTS_TRIE, align, cmd, export_trie, lc_str_cmd, section, segment, uleb)

PAGE = 0x4000
LC_DYLD_CHAINED_FIXUPS = 0x80000034
BASE = 0x100000000
IMPORTS = ["_printf", "_puts", "_strcpy", "_strlcpy", "_strlen"]
S_CSTRING, S_NON_LAZY, S_STUBS = 0x2, 0x6, 0x8
PURE = 0x80000400


# ---- arm64 encoders ----------------------------------------------------------------------------
def a_bl(pc, target, link=True):
    off = (target - pc) >> 2
    return struct.pack("<I", (0x94000000 if link else 0x14000000) | (off & 0x3FFFFFF))


def a_adrp(rd, pc, target):
    pages = ((target & ~0xFFF) - (pc & ~0xFFF)) >> 12
    return struct.pack("<I", 0x90000000 | ((pages & 3) << 29) | (((pages >> 2) & 0x7FFFF) << 5) | rd)


def a_add(rd, rn, imm):
    return struct.pack("<I", 0x91000000 | ((imm & 0xFFF) << 10) | (rn << 5) | rd)


def a_ldr64(rt, rn, off):
    return struct.pack("<I", 0xF9400000 | (((off >> 3) & 0xFFF) << 10) | (rn << 5) | rt)


def a_ldr32(rt, rn, off):
    return struct.pack("<I", 0xB9400000 | (((off >> 2) & 0xFFF) << 10) | (rn << 5) | rt)


def a_movz(rd, imm):
    return struct.pack("<I", 0x52800000 | ((imm & 0xFFFF) << 5) | rd)


A_RET, A_BR16 = struct.pack("<I", 0xD65F03C0), struct.pack("<I", 0xD61F0200)
A_STP, A_LDP = struct.pack("<I", 0xA9BF7BFD), struct.pack("<I", 0xA8C17BFD)  # stp/ldp x29, x30, [sp], #16


# ---- x86-64 encoders ---------------------------------------------------------------------------
def x_rel32(opcode, pc, target, length):
    return opcode + struct.pack("<i", target - (pc + length))


def build(a):
    arm = a.arch == "arm64"
    shift = a.shift_pages * PAGE
    text_off = 0x1000 + shift  # header and load commands fit in the first 0x1000 bytes
    strings = [a.string.encode() + b"\0", b"other literal\0"]
    cstring = b"".join(strings)
    stub_size = 12 if arm else 6

    # Function layout: sizes are fixed so the code can be encoded in one pass once addresses are known.
    text_vm = BASE + text_off
    if arm:
        fn_sizes = [("_main", 40), ("_helper", 12)]
    else:
        fn_sizes = [("_main", 30), ("_helper", 12)]
    extra = [("", 8 if arm else 6)] * (2 if a.extra_function else 1)
    layout, at = [], text_vm
    for name, size in fn_sizes + extra:
        layout.append((name, at, size))
        at += size
    text_size = at - text_vm
    stubs_vm = align(at, 4)
    stubs_size = stub_size * len(IMPORTS)
    cstr_vm = stubs_vm + stubs_size
    text_seg_size = align(cstr_vm + len(cstring) - BASE, PAGE)
    dc_vm = BASE + text_seg_size  # __DATA_CONST
    got_vm = dc_vm
    data_vm = dc_vm + PAGE        # __DATA
    linkedit_vm = data_vm + PAGE
    addr = {n: v for n, v, _ in layout}
    stub = {imp: stubs_vm + i * stub_size for i, imp in enumerate(IMPORTS)}
    got = {imp: got_vm + i * 8 for i, imp in enumerate(IMPORTS)}
    str_hello, str_other = cstr_vm, cstr_vm + len(strings[0])
    counter = data_vm + 16

    code = bytearray()
    if arm:
        pc = addr["_main"]
        main = (A_STP + a_adrp(0, pc + 4, str_hello) + a_add(0, 0, str_hello & 0xFFF) + a_bl(pc + 12, stub[a.call]) +
                a_bl(pc + 16, addr["_helper"]) + a_adrp(8, pc + 20, counter) + a_ldr32(9, 8, counter & 0xFFF) +
                a_movz(0, 0) + A_LDP + A_RET)
        pc = addr["_helper"]
        helper = a_adrp(0, pc, str_other) + a_add(0, 0, str_other & 0xFFF) + a_bl(pc + 8, stub["_strlen"], link=False)
        extras = [a_movz(0, 2 if len(extra) == 2 and i == 0 else 1) + A_RET for i in range(len(extra))]
        stubs = b"".join(a_adrp(16, stub[i], got[i]) + a_ldr64(16, 16, got[i] & 0xFFF) + A_BR16 for i in IMPORTS)
    else:
        pc = addr["_main"]
        main = (b"\x55" + b"\x48\x89\xe5" + x_rel32(b"\x48\x8d\x3d", pc + 4, str_hello, 7) +
                x_rel32(b"\xe8", pc + 11, stub[a.call], 5) + x_rel32(b"\xe8", pc + 16, addr["_helper"], 5) +
                x_rel32(b"\x8b\x05", pc + 21, counter, 6) + b"\x5d" + b"\xc3" + b"\x90")
        pc = addr["_helper"]
        helper = x_rel32(b"\x48\x8d\x3d", pc, str_other, 7) + x_rel32(b"\xe9", pc + 7, stub["_strlen"], 5)
        extras = [b"\xb8" + struct.pack("<I", 2 if len(extra) == 2 and i == 0 else 1) + b"\xc3" for i in range(len(extra))]
        stubs = b"".join(x_rel32(b"\xff\x25", stub[i], got[i], 6) for i in IMPORTS)
    for body, (name, _, size) in zip([main, helper] + extras, layout):
        assert len(body) == size, (name, len(body), size)
        code += body

    # ---- LINKEDIT: chained fixups ---------------------------------------------------------------
    # DYLD_CHAINED_PTR_64_OFFSET (6): rebase = target vm offset (36 bits); bind = ordinal (24) | addend (8) << 24
    # | bind bit 63; next (12 bits at 51) in 4-byte strides.
    def rebase(target, nxt):
        return struct.pack("<Q", (target - BASE) | (nxt << 51))

    def bind(ordinal, nxt):
        return struct.pack("<Q", ordinal | (nxt << 51) | (1 << 63))

    got_bytes = b"".join(bind(i, 2 if i + 1 < len(IMPORTS) else 0) for i in range(len(IMPORTS)))
    data_bytes = rebase(addr["_helper"], 2) + rebase(str_other, 0) + struct.pack("<I", 42)
    seg_names = ["__PAGEZERO", "__TEXT", "__DATA_CONST", "__DATA", "__LINKEDIT"]
    starts = struct.pack("<I", len(seg_names))
    offs_pos = len(starts)
    starts += b"\0" * 4 * len(seg_names)
    seg_infos = {}
    for si, vm in ((2, dc_vm), (3, data_vm)):
        seg_infos[si] = len(starts)
        starts += struct.pack("<IHHQIHH", 24, PAGE, 6, vm - BASE, 0, 1, 0)  # size 22 + one page start, padded
    starts = bytearray(starts)
    for si, off in seg_infos.items():
        struct.pack_into("<I", starts, offs_pos + 4 * si, off)
    symbols_pool = b"\0"
    imports = b""
    for name in IMPORTS:
        imports += struct.pack("<I", 1 | (len(symbols_pool) << 9))  # lib ordinal 1 (libSystem)
        symbols_pool += name.encode() + b"\0"
    starts_off = 32
    imports_off = starts_off + len(starts)
    symbols_off = imports_off + len(imports)
    fixups = struct.pack("<7I", 0, starts_off, imports_off, symbols_off, len(IMPORTS), 1, 0) + b"\0" * 4
    fixups += bytes(starts) + imports + symbols_pool
    fixups += b"\0" * (align(len(fixups), 8) - len(fixups))

    # Function starts, exports, symbols.
    starts_list = [v for _, v, _ in layout]
    fstarts = uleb(starts_list[0] - BASE) + b"".join(uleb(b - a_) for a_, b in zip(starts_list, starts_list[1:])) + b"\0"
    fstarts += b"\0" * (align(len(fstarts), 8) - len(fstarts))
    trie = export_trie([("__mh_execute_header", 0), ("_main", addr["_main"] - BASE)])
    trie += b"\0" * (align(len(trie), 8) - len(trie))
    strtab = b" \0"
    syms = []

    def sym(name, ntype, sect, desc, value):
        nonlocal strtab
        syms.append(struct.pack("<IBBHQ", len(strtab), ntype, sect, desc, value))
        strtab += name.encode() + b"\0"

    locals_ = [] if a.strip_locals else [("_helper", 0x0E, 1, addr["_helper"]), ("_counter", 0x0E, 5, counter)]
    for name, t, s, v in locals_:
        sym(name, t, s, 0, v)
    sym("__mh_execute_header", 0x0F, 1, 0x10, BASE)
    sym("_main", 0x0F, 1, 0, addr["_main"])
    for name in IMPORTS:
        sym(name, 0x01, 0, 0x100, 0)
    nlocal, nextdef, nundef = len(locals_), 2, len(IMPORTS)
    strtab += b"\0" * (align(len(strtab), 8) - len(strtab))
    symtab = b"".join(syms)
    # Indirect symbols: stubs then GOT slots, each naming its import's symbol index.
    first_undef = nlocal + nextdef
    indirect = b"".join(struct.pack("<I", first_undef + i) for i in range(len(IMPORTS))) * 2

    le_off = text_seg_size + 2 * PAGE
    fix_off = le_off
    fs_off = fix_off + len(fixups)
    trie_off = fs_off + len(fstarts)
    sym_off = trie_off + len(trie)
    ind_off = sym_off + len(symtab)
    str_off = ind_off + len(indirect)
    sig_off = align(str_off + len(strtab), 16)

    # ---- code signature blobs -------------------------------------------------------------------
    ents = json.loads(a.entitlements) if a.entitlements else {}
    requirements = struct.pack(">III", 0xFADE0C01, 12, 0)
    ent_xml = entitlements_xml(ents)
    ent_blob = struct.pack(">II", 0xFADE7171, 8 + len(ent_xml)) + ent_xml
    der = entitlements_der(ents)
    der_blob = struct.pack(">II", 0xFADE7172, 8 + len(der)) + der
    ident = b"com.example.program\0"
    n_special = 7
    n_slots = (sig_off + 4095) // 4096
    cd_header = 88
    hash_off = cd_header + len(ident) + 32 * n_special
    cd_len = hash_off + 32 * n_slots
    sig_size = align(12 + 8 * 4 + cd_len + len(requirements) + len(ent_blob) + len(der_blob), 16)

    def commands():
        uuid = bytes.fromhex(a.uuid) if a.uuid else hashlib.md5(b"program" + a.arch.encode()).digest()
        le_size = sig_off + sig_size - le_off
        return [
            segment("__PAGEZERO", 0, BASE, 0, 0, 0, 0),
            segment("__TEXT", BASE, text_seg_size, 0, text_seg_size, 5, 5, [
                section("__text", "__TEXT", text_vm, text_size, text_off, 2, PURE),
                section_r("__stubs", "__TEXT", stubs_vm, stubs_size, stubs_vm - BASE, 2, PURE | S_STUBS, 0, stub_size),
                section("__cstring", "__TEXT", cstr_vm, len(cstring), cstr_vm - BASE, 0, S_CSTRING)]),
            segment("__DATA_CONST", dc_vm, PAGE, dc_vm - BASE, PAGE, 3, 3, [
                section_r("__got", "__DATA_CONST", got_vm, 8 * len(IMPORTS), got_vm - BASE, 3, S_NON_LAZY,
                          len(IMPORTS), 0)]),
            segment("__DATA", data_vm, PAGE, data_vm - BASE, PAGE, 3, 3, [
                section("__data", "__DATA", data_vm, len(data_bytes), data_vm - BASE, 3, 0)]),
            segment("__LINKEDIT", linkedit_vm, align(le_size, PAGE), le_off, le_size, 1, 1),
            cmd(LC_DYLD_CHAINED_FIXUPS, struct.pack("<II", fix_off, len(fixups))),
            cmd(LC_DYLD_EXPORTS_TRIE, struct.pack("<II", trie_off, len(trie))),
            cmd(LC_SYMTAB, struct.pack("<IIII", sym_off, len(syms), str_off, len(strtab))),
            cmd(LC_DYSYMTAB, struct.pack("<18I", 0, nlocal, nlocal, nextdef, nlocal + nextdef, nundef, 0, 0, 0, 0,
                                         0, 0, ind_off // 1, len(indirect) // 4, 0, 0, 0, 0)),
            lc_str_cmd(LC_LOAD_DYLINKER, struct.pack("<I", 12), "/usr/lib/dyld"),
            cmd(LC_UUID, uuid),
            cmd(LC_BUILD_VERSION, struct.pack("<IIIIII", 1, 0x000E0000, 0x000E0200, 1, 3, 0x03E80000)),
            cmd(LC_SOURCE_VERSION, struct.pack("<Q", 0)),
            cmd(LC_MAIN, struct.pack("<QQ", addr["_main"] - BASE, 0)),
            lc_str_cmd(LC_LOAD_DYLIB, struct.pack("<IIII", 24, 2, 0x05280000, 0x00010000), "/usr/lib/libSystem.B.dylib"),
            cmd(LC_FUNCTION_STARTS, struct.pack("<II", fs_off, len(fstarts))),
            cmd(LC_CODE_SIGNATURE, struct.pack("<II", sig_off, sig_size)),
        ]

    cmds = commands()
    cputype, sub = (CPU_ARM64, 0) if arm else (CPU_X86_64, 3)
    hdr = struct.pack("<IIIIIIII", 0xFEEDFACF, cputype, sub, 2, len(cmds), sum(len(c) for c in cmds), 0x00200085, 0)
    out = bytearray(sig_off + sig_size)
    blob = hdr + b"".join(cmds)
    assert len(blob) <= 0x1000
    out[0:len(blob)] = blob
    out[text_off:text_off + len(code)] = code
    out[stubs_vm - BASE:stubs_vm - BASE + len(stubs)] = stubs
    out[cstr_vm - BASE:cstr_vm - BASE + len(cstring)] = cstring
    out[got_vm - BASE:got_vm - BASE + len(got_bytes)] = got_bytes
    out[data_vm - BASE:data_vm - BASE + len(data_bytes)] = data_bytes
    for off, b in ((fix_off, fixups), (fs_off, fstarts), (trie_off, trie), (sym_off, symtab), (ind_off, indirect),
                   (str_off, strtab)):
        out[off:off + len(b)] = b
    # Signature: SuperBlob { CodeDirectory, Requirements, Entitlements, DER Entitlements }.
    special = [b"\0" * 32] * n_special  # slots -7 .. -1, stored in that order
    special[n_special - 2] = hashlib.sha256(requirements).digest()   # slot -2
    special[n_special - 5] = hashlib.sha256(ent_blob).digest()       # slot -5
    special[n_special - 7] = hashlib.sha256(der_blob).digest()       # slot -7
    cd = struct.pack(">IIIIIIIIIBBBBIIIIQQQQ", 0xFADE0C02, cd_len, 0x20400, 0x20002, hash_off, cd_header, n_special,
                     n_slots, sig_off, 32, 2, 0, 12, 0, 0, 0, 0, 0, 0, text_seg_size, 1)
    cd += ident + b"".join(special)
    cd += b"".join(hashlib.sha256(bytes(out[i * 4096:min((i + 1) * 4096, sig_off)])).digest() for i in range(n_slots))
    assert len(cd) == cd_len
    blobs = [(0, cd), (2, requirements), (5, ent_blob), (7, der_blob)]
    index, body, pos = b"", b"", 12 + 8 * len(blobs)
    for slot, b in blobs:
        index += struct.pack(">II", slot, pos + len(body))
        body += b
    sb = struct.pack(">III", 0xFADE0CC0, pos + len(body), len(blobs)) + index + body
    assert len(sb) <= sig_size
    out[sig_off:sig_off + len(sb)] = sb
    facts = {"main": addr["_main"], "helper": addr["_helper"], "stubs": stub, "got": got, "cstring": cstr_vm,
             "text_offset": text_off, "cdhash": hashlib.sha256(cd).hexdigest()[:40]}
    return bytes(out), facts


def section_r(sectname, segname, addr, size, offset, align_pow, flags, reserved1, reserved2):
    return struct.pack("<16s16sQQIIIIIIII", sectname.encode(), segname.encode(), addr, size, offset, align_pow, 0, 0,
                       flags, reserved1, reserved2, 0)


def entitlements_xml(ents):
    body = ""
    for k in sorted(ents):
        v = ents[k]
        body += "\t<key>%s</key>\n" % k
        if isinstance(v, bool):
            body += "\t<%s/>\n" % ("true" if v else "false")
        elif isinstance(v, int):
            body += "\t<integer>%d</integer>\n" % v
        elif isinstance(v, list):
            body += "\t<array>\n" + "".join("\t\t<string>%s</string>\n" % x for x in v) + "\t</array>\n"
        else:
            body += "\t<string>%s</string>\n" % v
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
            '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n' + body +
            '</dict>\n</plist>\n').encode()


def der(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + body


def der_value(v):
    if isinstance(v, bool):
        return der(0x01, b"\xff" if v else b"\0")
    if isinstance(v, int):
        return der(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))
    if isinstance(v, list):
        return der(0x30, b"".join(der_value(x) for x in v))
    return der(0x0C, str(v).encode())


def entitlements_der(ents):
    items = b"".join(der(0x30, der(0x0C, k.encode()) + der_value(ents[k])) for k in sorted(ents))
    return der(0x70, der(0x02, b"\x01") + der(0xB0, items))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--arch", choices=("arm64", "x86_64"), default="arm64")
    ap.add_argument("--shift-pages", type=int, default=0)
    ap.add_argument("--uuid", default=None, help="32 hex digits (default: derived from the arch)")
    ap.add_argument("--call", choices=IMPORTS, default="_strcpy", help="what _main calls first (default _strcpy)")
    ap.add_argument("--string", default="Hello, world", help="the literal _main passes (default 'Hello, world')")
    ap.add_argument("--entitlements", default=None, help='JSON object, e.g. \'{"com.apple.security.app-sandbox": true}\'')
    ap.add_argument("--strip-locals", action="store_true")
    ap.add_argument("--extra-function", action="store_true")
    ap.add_argument("--facts", default=None, help="also write the addresses used (JSON) to this file")
    a = ap.parse_args()
    data, facts = build(a)
    with open(a.out, "wb") as f:
        f.write(data)
    if a.facts:
        with open(a.facts, "w") as f:
            json.dump(facts, f, indent=1)


if __name__ == "__main__":
    main()
