#!/usr/bin/env python3
"""Synthetic Mach-O fixtures for the macho tests (python3 stdlib only).

Writes into OUT_DIR:
  thin-arm64      MH_EXECUTE arm64: __PAGEZERO/__TEXT/__LINKEDIT, LC_UUID, LC_BUILD_VERSION, LC_SOURCE_VERSION,
                  LC_LOAD_DYLIB, LC_MAIN, LC_SYMTAB/LC_DYSYMTAB, LC_FUNCTION_STARTS, LC_DYLD_EXPORTS_TRIE and an
                  ad-hoc LC_CODE_SIGNATURE (SuperBlob + CodeDirectory v0x20400, SHA-256 page hashes)
  thin-x86_64     the same for x86_64
  fat             universal file holding both (fat_arch, 2^14 alignment)
  fileset         MH_FILESET arm64e kernel collection: top-level __TEXT/__PRELINK_TEXT/__PRELINK_INFO,
                  3 LC_FILESET_ENTRY (com.apple.kernel, com.example.driver.A, com.example.driver.B) whose
                  embedded headers use KC-absolute file offsets (docs/formats/kc.md §1, §7)
  MANIFEST.json   the values the tests assert (uuids, offsets, names, cdhash computed here)

--symbols N makes the thin images carry N functions (symbols, exports, function starts): a large input
for benchmarks. Checked by an independent reader: llvm-objdump --macho (thin and fat).
"""
import argparse
import hashlib
import json
import os
import struct

PAGE = 0x4000
CPU_ARM64, CPU_X86_64 = 0x0100000C, 0x01000007
LC_SEGMENT_64, LC_SYMTAB, LC_DYSYMTAB, LC_LOAD_DYLIB, LC_LOAD_DYLINKER = 0x19, 0x2, 0xB, 0xC, 0xE
LC_UUID, LC_CODE_SIGNATURE, LC_FUNCTION_STARTS, LC_MAIN, LC_SOURCE_VERSION = 0x1B, 0x1D, 0x26, 0x80000028, 0x2A
LC_BUILD_VERSION, LC_DYLD_EXPORTS_TRIE, LC_FILESET_ENTRY = 0x32, 0x80000033, 0x80000035


def align(n, a):
    return (n + a - 1) // a * a


def uleb(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def cmd(kind, body):
    size = align(8 + len(body), 8)
    return struct.pack("<II", kind, size) + body + b"\0" * (size - 8 - len(body))


def section(sectname, segname, addr, size, offset, align_pow, flags):
    return struct.pack("<16s16sQQIIIIIIII", sectname.encode(), segname.encode(), addr, size, offset, align_pow, 0, 0,
                       flags, 0, 0, 0)


def segment(name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot, sections=()):
    body = struct.pack("<16sQQQQIIII", name.encode(), vmaddr, vmsize, fileoff, filesize, maxprot, initprot,
                       len(sections), 0)
    return cmd(LC_SEGMENT_64, body + b"".join(sections))


def lc_str_cmd(kind, fixed, s):
    return cmd(kind, fixed + s.encode() + b"\0")


def export_trie(exports):
    """exports: list of (name, address). Returns trie bytes (terminal flags 0 = regular)."""
    root = {}
    for name, addr in exports:
        node = root
        for ch in name:
            node = node.setdefault(ch, {})
        node[None] = addr

    # Compress single-child chains into edge strings.
    def build(node):
        term = node.get(None)
        kids = []
        for ch in sorted(k for k in node if k is not None):
            label, child = ch, node[ch]
            while None not in child and len(child) == 1:
                (c2, nxt), = child.items()
                label += c2
                child = nxt
            kids.append((label, build(child)))
        return {"term": term, "kids": kids}

    tree = build(root)
    order = []

    def walk(n):
        order.append(n)
        for _, k in n["kids"]:
            walk(k)

    walk(tree)
    for n in order:
        n["off"] = 0
    while True:  # offsets are ULEB-encoded, so iterate until the layout is stable
        off, changed = 0, False
        for n in order:
            if n["off"] != off:
                n["off"], changed = off, True
            off += len(node_bytes(n))
        if not changed:
            break
    return b"".join(node_bytes(n) for n in order)


def node_bytes(n):
    info = b"" if n["term"] is None else uleb(0) + uleb(n["term"])
    out = uleb(len(info)) + info + bytes([len(n["kids"])])
    for label, k in n["kids"]:
        out += label.encode() + b"\0" + uleb(k["off"])
    return out


def code_directory(ident, data, code_limit, exec_limit):
    """Ad-hoc CodeDirectory v0x20400 with SHA-256 page hashes of data[:code_limit]."""
    n_slots = (code_limit + 4095) // 4096
    header_size = 88
    ident_b = ident.encode() + b"\0"
    hash_off = header_size + len(ident_b)
    length = hash_off + 32 * n_slots
    cd = struct.pack(">IIIIIIIIIBBBBIIIIQQQQ", 0xFADE0C02, length, 0x20400, 0x20002, hash_off, header_size, 0, n_slots,
                     code_limit, 32, 2, 0, 12, 0, 0, 0, 0, 0, 0, exec_limit, 1)
    assert len(cd) == header_size
    hashes = b"".join(hashlib.sha256(data[i * 4096:min((i + 1) * 4096, code_limit)]).digest() for i in range(n_slots))
    return cd + ident_b + hashes


def super_blob(cd):
    return struct.pack(">III", 0xFADE0CC0, 12 + 8 + len(cd), 1) + struct.pack(">II", 0, 20) + cd


def thin(cputype, cpusubtype, uuid, nfuncs, ident):
    text_vm = 0x100000000
    code_off = 0x1000
    insn = b"\xc0\x03\x5f\xd6" if cputype == CPU_ARM64 else b"\xc3\x90\x90\x90"  # ret
    func_size = 16
    code = insn * (func_size // 4) * nfuncs
    text_size = align(code_off + len(code), PAGE)
    names = ["_main"] + ["_func_%05d" % i for i in range(1, nfuncs)]
    addrs = [code_off + i * func_size for i in range(nfuncs)]

    fstarts = uleb(addrs[0]) + b"".join(uleb(func_size) for _ in range(nfuncs - 1)) + b"\0"
    fstarts += b"\0" * (align(len(fstarts), 8) - len(fstarts))
    trie = export_trie(list(zip(names, addrs)))
    trie += b"\0" * (align(len(trie), 8) - len(trie))
    strtab = b" \0"
    strx = []
    for n in names:
        strx.append(len(strtab))
        strtab += n.encode() + b"\0"
    strtab += b"\0" * (align(len(strtab), 8) - len(strtab))
    # one external defined symbol per function, plus one undefined (dyld_stub_binder)
    strx_undef = len(strtab)
    strtab += b"dyld_stub_binder\0"
    strtab += b"\0" * (align(len(strtab), 16) - len(strtab))
    symtab = b"".join(struct.pack("<IBBHQ", strx[i], 0x0F, 1, 0, text_vm + addrs[i]) for i in range(nfuncs))
    symtab += struct.pack("<IBBHQ", strx_undef, 0x01, 0, 0x100, 0)
    nsyms = nfuncs + 1

    le = text_size
    fs_off = le
    trie_off = fs_off + len(fstarts)
    sym_off = trie_off + len(trie)
    str_off = sym_off + len(symtab)
    sig_off = align(str_off + len(strtab), 16)

    def commands(sig_size):
        le_size = sig_off + sig_size - le
        cmds = [
            segment("__PAGEZERO", 0, text_vm, 0, 0, 0, 0),
            segment("__TEXT", text_vm, text_size, 0, text_size, 5, 5,
                    [section("__text", "__TEXT", text_vm + code_off, len(code), code_off, 2, 0x80000400)]),
            segment("__LINKEDIT", text_vm + text_size, align(le_size, PAGE), le, le_size, 1, 1),
            cmd(LC_DYLD_EXPORTS_TRIE, struct.pack("<II", trie_off, len(trie))),
            cmd(LC_SYMTAB, struct.pack("<IIII", sym_off, nsyms, str_off, len(strtab))),
            cmd(LC_DYSYMTAB, struct.pack("<18I", 0, 0, 0, nfuncs, nfuncs, 1, *([0] * 12))),
            lc_str_cmd(LC_LOAD_DYLINKER, struct.pack("<I", 12), "/usr/lib/dyld"),
            cmd(LC_UUID, uuid),
            cmd(LC_BUILD_VERSION, struct.pack("<IIIIII", 1, 0x000E0000, 0x000E0200, 1, 3, 0x03E80000)),
            cmd(LC_SOURCE_VERSION, struct.pack("<Q", (1 << 40) | (2 << 30) | (3 << 20))),
            cmd(LC_MAIN, struct.pack("<QQ", code_off, 0)),
            lc_str_cmd(LC_LOAD_DYLIB, struct.pack("<IIII", 24, 2, 0x05280000, 0x00010000), "/usr/lib/libSystem.B.dylib"),
            cmd(LC_FUNCTION_STARTS, struct.pack("<II", fs_off, len(fstarts))),
            cmd(LC_CODE_SIGNATURE, struct.pack("<II", sig_off, sig_size)),
        ]
        return cmds

    # The signature's size depends on the page count only: build once with a dummy to size it.
    cd_len = 88 + len(ident) + 1 + 32 * ((sig_off + 4095) // 4096)
    sig_size = align(12 + 8 + cd_len, 16)
    cmds = commands(sig_size)
    hdr = struct.pack("<IIIIIIII", 0xFEEDFACF, cputype, cpusubtype, 2, len(cmds), sum(len(c) for c in cmds),
                      0x00200085, 0)
    out = bytearray(sig_off + sig_size)
    out[0:len(hdr)] = hdr
    out[len(hdr):len(hdr) + sum(len(c) for c in cmds)] = b"".join(cmds)
    assert len(hdr) + sum(len(c) for c in cmds) <= code_off
    out[code_off:code_off + len(code)] = code
    out[fs_off:fs_off + len(fstarts)] = fstarts
    out[trie_off:trie_off + len(trie)] = trie
    out[sym_off:sym_off + len(symtab)] = symtab
    out[str_off:str_off + len(strtab)] = strtab
    cd = code_directory(ident, bytes(out), sig_off, text_size)
    blob = super_blob(cd)
    assert len(blob) <= sig_size
    out[sig_off:sig_off + len(blob)] = blob
    facts = {
        "uuid": uuid_str(uuid), "nsyms": nsyms, "exports": nfuncs, "function_starts": nfuncs,
        "cdhash": hashlib.sha256(cd).hexdigest()[:40], "identifier": ident, "code_limit": sig_off,
        "text_size": text_size, "code_sha256": hashlib.sha256(code).hexdigest(), "code_bytes": len(code),
        "offsets": {"function_starts": fs_off, "exports_trie": trie_off, "symtab": sym_off, "strtab": str_off,
                    "code_signature": sig_off, "linkedit": le, "text_section": code_off},
        "sizes": {"function_starts": len(fstarts), "exports_trie": len(trie), "symtab": len(symtab),
                  "strtab": len(strtab), "code_signature": sig_size},
        "size": len(out),
    }
    return bytes(out), facts


def uuid_str(b):
    h = b.hex().upper()
    return "-".join([h[0:8], h[8:12], h[12:16], h[16:20], h[20:32]])


def fat(slices):
    """slices: list of (cputype, cpusubtype, bytes)."""
    hdr = struct.pack(">II", 0xCAFEBABE, len(slices))
    off = PAGE
    table, body, placed = b"", b"", []
    for cputype, sub, data in slices:
        table += struct.pack(">IIIII", cputype, sub, off, len(data), 14)
        placed.append((off, data))
        off = align(off + len(data), PAGE)
    out = bytearray(off)
    out[0:len(hdr + table)] = hdr + table
    for o, d in placed:
        out[o:o + len(d)] = d
    # the last slice need not be padded
    last_off, last = placed[-1]
    return bytes(out[:last_off + len(last)]), [{"offset": o, "size": len(d)} for o, d in placed]


def fileset():
    base = 0xFFFFFE0007004000
    entries = [("com.apple.kernel", 2, 0x4000), ("com.example.driver.A", 11, 0x8000),
               ("com.example.driver.B", 11, 0xC000)]
    out = bytearray(0x11000)
    facts = {"entries": []}
    darwin = b"Darwin Kernel Version 23.0.0: Fri Sep 15 14:41:43 PDT 2023; root:xnu-10002.1.1~1/RELEASE_ARM64_T8103\0"
    for idx, (name, ftype, off) in enumerate(entries):
        vm = base + off
        uuid = bytes([0x10 + idx] * 16)
        sects = [section("__const", "__TEXT", vm + 0x1000, len(darwin), off + 0x1000, 0, 0)]
        code = b""
        if ftype == 2:
            code = b"\x1f\x20\x03\xd5" * 8 + b"\xc0\x03\x5f\xd6"  # nop x8; ret
            sects.append(section("__text", "__TEXT", vm + 0x2000, len(code), off + 0x2000, 2, 0x80000400))
        cmds = [segment("__TEXT", vm, 0x4000, off, 0x4000, 5, 5, sects), cmd(LC_UUID, uuid),
                cmd(LC_BUILD_VERSION, struct.pack("<IIIIII", 1, 0x000E0000, 0x000E0000, 0, 0, 0)[0:16])]
        hdr = struct.pack("<IIIIIIII", 0xFEEDFACF, CPU_ARM64, 0x80000002, ftype, len(cmds), sum(len(c) for c in cmds),
                          0x00200001 if ftype == 2 else 0, 0)
        blob = hdr + b"".join(cmds)
        out[off:off + len(blob)] = blob
        out[off + 0x1000:off + 0x1000 + len(darwin)] = darwin
        if code:
            out[off + 0x2000:off + 0x2000 + len(code)] = code
        facts["entries"].append({"entry_id": name, "fileoff": off, "vmaddr": vm, "uuid": uuid_str(uuid),
                                 "filetype": ftype, "code_sha256": hashlib.sha256(code).hexdigest(),
                                 "code_bytes": len(code)})
    plist = (b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict><key>_PrelinkInfoDictionary</key>'
             b'<array/></dict></plist>\n\0')
    info_off = 0x10000
    out[info_off:info_off + len(plist)] = plist
    kc_uuid = bytes(range(0xA0, 0xB0))
    cmds = [
        segment("__TEXT", base, 0x4000, 0, 0x4000, 1, 1),
        segment("__PRELINK_TEXT", base + 0x4000, 0xC000, 0x4000, 0xC000, 5, 5),
        segment("__PRELINK_INFO", base + 0x10000, 0x1000, 0x10000, 0x1000, 1, 1,
                [section("__info", "__PRELINK_INFO", base + 0x10000, len(plist), info_off, 0, 0)]),
        cmd(LC_UUID, kc_uuid),
        cmd(LC_BUILD_VERSION, struct.pack("<IIII", 1, 0x000E0000, 0x000E0000, 0)),
    ]
    for name, _, off in entries:
        cmds.append(cmd(LC_FILESET_ENTRY, struct.pack("<QQII", base + off, off, 32, 0) + name.encode() + b"\0"))
    hdr = struct.pack("<IIIIIIII", 0xFEEDFACF, CPU_ARM64, 0x80000002, 12, len(cmds), sum(len(c) for c in cmds), 0, 0)
    blob = hdr + b"".join(cmds)
    out[0:len(blob)] = blob
    facts.update({"uuid": uuid_str(kc_uuid), "ncmds": len(cmds), "size": len(out)})
    return bytes(out), facts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--symbols", type=int, default=3, help="functions per thin image (default 3)")
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    arm, arm_f = thin(CPU_ARM64, 0, bytes(range(16)), a.symbols, "com.example.hello")
    x86, x86_f = thin(CPU_X86_64, 3, bytes(range(16, 32)), a.symbols, "com.example.hello")
    fat_b, fat_slices = fat([(CPU_X86_64, 3, x86), (CPU_ARM64, 0, arm)])
    kc, kc_f = fileset()
    for name, data in (("thin-arm64", arm), ("thin-x86_64", x86), ("fat", fat_b), ("fileset", kc)):
        with open(os.path.join(a.out_dir, name), "wb") as f:
            f.write(data)
    manifest = {"thin-arm64": arm_f, "thin-x86_64": x86_f, "fat": {"slices": fat_slices, "size": len(fat_b)},
                "fileset": kc_f}
    with open(os.path.join(a.out_dir, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
