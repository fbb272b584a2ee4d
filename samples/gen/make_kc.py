#!/usr/bin/env python3
"""Synthetic kernel collections and kernelcaches for the kc tests and benchmarks (python3 stdlib only).

Writes into OUT_DIR (default set):
  boot.kc            MH_FILESET Boot KC: com.apple.kernel + N kexts, __PRELINK_INFO in the kernel's XML dialect
                     (no <plist> wrapper, ID="n"/IDREF="n" values, <integer size="64">), _PrelinkKCID, a codeless kext
  system.kc          System KC: com.apple.* kexts, _BootKCID = boot.kc's LC_UUID
  aux.kc             Aux KC: third-party kexts, _BootKCID + _PageableKCID (= system.kc's LC_UUID)
  kernelcache        legacy prelinked kernel: MH_EXECUTE with __PRELINK_TEXT (whole kext Mach-Os) + __PRELINK_INFO
  kernelcache.im4p   DER IM4P 'krnl' wrapping complzss(LZSS) of `kernelcache`
  boot.im4p          IM4P wrapping an LZFSE stream (one raw `bvx-` block + `bvx$`) of boot.kc
  MANIFEST.json      what the tests assert: UUIDs, entries, versions, code/content SHA-256 computed here

Layout (docs/formats/kc.md §1, §7): top-level __TEXT (header + load commands), __PRELINK_TEXT (every entry's __TEXT:
its mach_header, load commands and __TEXT,__const), __TEXT_EXEC (every entry's __text), __DATA (every entry's
data), __PRELINK_INFO (__info), __LINKEDIT (every entry's function starts, nlist_64 symbols and strings; each
entry's own __LINKEDIT segment covers its slice). Entry segment and LINKEDIT offsets are KC-absolute. An entry's
__text is a run of functions (up to 64, each ending in ret) named _<name>_f<k> in its symbol table and listed
in LC_FUNCTION_STARTS. --size-mb pads code/data to reach a total.

  make_kc.py OUT_DIR                         the default set (small)
  make_kc.py --single FILE --kexts 600 --size-mb 300   one big Boot KC for benchmarks
  make_kc.py --single FILE [--change ENTRY_ID] [--shift-pages N]   the same with one kext rebuilt, or every
                                             entry moved (the diff tests' variants)
  make_kc.py --extract KC ENTRY_ID OUT       copy one fileset entry out into a standalone Mach-O (offsets rebased)
  make_kc.py --malformed tests/malformed     the tiny one-rule-each inputs of tests/malformed/{macho,kc}

Checked by independent readers: llvm-objdump-16 --macho --private-headers (the container and each extracted
entry), python's zlib.adler32 for the complzss header. Reuses make_macho.py's load-command helpers.
"""
import argparse
import base64
import hashlib
import json
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_macho import (CPU_ARM64, LC_BUILD_VERSION, LC_FILESET_ENTRY, LC_FUNCTION_STARTS,  # noqa: E402
                        LC_SEGMENT_64, LC_SYMTAB, LC_UUID, align, cmd, section, segment, uleb, uuid_str)

MH_EXECUTE, MH_KEXT_BUNDLE, MH_FILESET = 2, 11, 12
CPUSUB_ARM64E = 0x80000002
BASE_VM = 0xFFFFFE0007004000
PAGE = 0x4000
DARWIN = (b"Darwin Kernel Version 23.0.0: Fri Sep 15 14:41:43 PDT 2023; "
          b"root:xnu-10002.1.1~1/RELEASE_ARM64_T8103\0")
CODE_FLAGS = 0x80000400  # S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS


def uuid_for(tag):
    return hashlib.md5(tag.encode()).digest()


def filler(tag, n):
    """Deterministic, per-entry bytes (so every kext has its own code hash)."""
    block = hashlib.sha256(tag.encode()).digest() * 64
    return (block * (n // len(block) + 1))[:n]


def arm64_code(tag, n):
    """n bytes of arm64 words ending in ret (only the encodings matter, nobody runs them)."""
    n = max(8, n // 4 * 4)
    body = bytearray(filler(tag, n - 4))
    for i in range(3, len(body), 4):  # keep words in the "data processing" space: bits 28..26 = 0b100/0b101
        body[i] = 0x91 if body[i] & 1 else 0x8B
    return bytes(body) + b"\xc0\x03\x5f\xd6"


def entry_code(tag, code_size):
    """An entry's __text: up to 64 functions of arm64_code, the last taking the remainder.
    Returns (bytes, [offset of each function])."""
    n = max(1, min(64, code_size // 0x100))
    size = code_size // n // 4 * 4
    offsets = [k * size for k in range(n)]
    code = b"".join(arm64_code("%s#%d" % (tag, k), (code_size - offsets[k]) if k == n - 1 else size)
                    for k in range(n))
    assert len(code) == code_size
    return code, offsets


def symbol_base(entry_id):
    return "kernel" if entry_id == "com.apple.kernel" else entry_id.split(".")[-1].lower()


def entry_linkedit(entry_id, text_vm, code_vm, offsets):
    """(function starts, nlist_64 table, string table) of an entry; offsets inside one blob are filled later.
    Function starts are ULEB128 deltas from the entry's __TEXT address; one N_SECT|N_EXT symbol per function
    in section 2 (__TEXT_EXEC,__text)."""
    addrs = [code_vm + o for o in offsets]
    fstarts = uleb(addrs[0] - text_vm) + b"".join(uleb(b - a) for a, b in zip(addrs, addrs[1:])) + b"\0"
    fstarts += b"\0" * (align(len(fstarts), 8) - len(fstarts))
    strtab, symtab = b" \0", b""
    for k, addr in enumerate(addrs):
        symtab += struct.pack("<IBBHQ", len(strtab), 0x0F, 2, 0, addr)
        strtab += ("_%s_f%d" % (symbol_base(entry_id), k)).encode() + b"\0"
    strtab += b"\0" * (align(len(strtab), 8) - len(strtab))
    return fstarts, symtab, strtab


# ---- one entry (kernel or kext) ------------------------------------------------------------------

def entry_layout(name, ftype, hdr_off, code_off, code_size, data_off, data_size, const, linkedit=None):
    """Load commands of an entry whose pieces sit at the given KC-absolute file offsets.
    linkedit: (offset, size, function starts offset, its size, symbols offset, count, strings offset, size),
    or None for no __LINKEDIT (the legacy kernelcache's kexts)."""
    vm = lambda off: BASE_VM + off  # noqa: E731 - VM mirrors the file layout one to one
    hdr_size = align(0x400 + len(const), 16)
    cmds = [
        segment("__TEXT", vm(hdr_off), hdr_size, hdr_off, hdr_size, 1, 1,
                [section("__const", "__TEXT", vm(hdr_off + 0x400), len(const), hdr_off + 0x400, 0, 0)]),
        segment("__TEXT_EXEC", vm(code_off), code_size, code_off, code_size, 5, 5,
                [section("__text", "__TEXT_EXEC", vm(code_off), code_size, code_off, 2, CODE_FLAGS)]),
    ]
    if data_size:
        cmds.append(segment("__DATA", vm(data_off), data_size, data_off, data_size, 3, 3,
                            [section("__data", "__DATA", vm(data_off), data_size, data_off, 0, 0)]))
    if linkedit:
        le_off, le_size, fs_off, fs_size, sym_off, nsyms, str_off, str_size = linkedit
        cmds.append(segment("__LINKEDIT", vm(le_off), align(le_size, 16), le_off, le_size, 1, 1))
    cmds += [cmd(LC_UUID, uuid_for(name)), cmd(LC_BUILD_VERSION, struct.pack("<IIII", 1, 0x000E0000, 0x000E0000, 0))]
    if linkedit:
        cmds += [cmd(LC_SYMTAB, struct.pack("<IIII", sym_off, nsyms, str_off, str_size)),
                 cmd(LC_FUNCTION_STARTS, struct.pack("<II", fs_off, fs_size))]
    hdr = struct.pack("<IIIIIIII", 0xFEEDFACF, CPU_ARM64, CPUSUB_ARM64E, ftype, len(cmds), sum(len(c) for c in cmds),
                      0x00200001 if ftype == MH_EXECUTE else 0, 0)
    blob = hdr + b"".join(cmds)
    assert len(blob) <= 0x400, name
    return blob, hdr_size


# ---- __PRELINK_INFO in the kernel's XML dialect ---------------------------------------------------

class Dialect:
    """Writes values with ID= on first use and IDREF= afterwards (as OSSerialize does for repeats)."""

    def __init__(self):
        self.ids = {}

    def value(self, tag, text, extra=""):
        key = (tag, text)
        if key in self.ids:
            return '<%s IDREF="%d"/>' % (tag, self.ids[key])
        self.ids[key] = len(self.ids) + 1
        return '<%s%s ID="%d">%s</%s>' % (tag, extra, self.ids[key], text, tag)

    def integer(self, v):
        return self.value("integer", "0x%x" % v, ' size="64"')

    def data(self, b):
        return self.value("data", base64.b64encode(b).decode())


def prelink_plist(kexts, kc_uuid, boot_uuid=None, pageable_uuid=None, codeless=()):
    d = Dialect()
    out = ["<dict><key>_PrelinkInfoDictionary</key><array>"]
    personality = None
    for k in kexts:
        items = [("CFBundleIdentifier", d.value("string", k["bundle_id"])),
                 ("CFBundleVersion", d.value("string", k["version"])),
                 ("CFBundleShortVersionString", d.value("string", k["version"])),
                 ("CFBundleExecutable", d.value("string", k["bundle_id"].split(".")[-1])),
                 ("OSBundleRequired", d.value("string", "Root")),
                 ("_PrelinkBundlePath", d.value("string", k["bundle_path"])),
                 ("_PrelinkExecutableRelativePath", d.value("string", "Contents/MacOS/" + k["bundle_id"].split(".")[-1])),
                 ("_PrelinkExecutableLoadAddr", d.integer(k["vmaddr"])),
                 ("_PrelinkExecutableSourceAddr", d.integer(k["vmaddr"])),
                 ("_PrelinkExecutableSize", d.integer(k["text_size"]))]
        # A whole dict shared by reference: the second kext's personality is an IDREF to the first's.
        if personality is None:
            personality = len(d.ids) + 1
            d.ids[("dict", "personality")] = personality
            items.append(("IOKitPersonalities",
                          '<dict ID="%d"><key>Generic</key><dict><key>IOClass</key>%s<key>IOProbeScore</key>%s</dict></dict>'
                          % (personality, d.value("string", "GenericDriver"), d.integer(1000))))
        else:
            items.append(("IOKitPersonalities", '<dict IDREF="%d"/>' % personality))
        out.append("<dict>" + "".join("<key>%s</key>%s" % kv for kv in items) + "</dict>")
    for bid, ver in codeless:
        out.append("<dict><key>CFBundleIdentifier</key>%s<key>CFBundleVersion</key>%s<key>OSBundleRequired</key>%s"
                   "<key>_PrelinkBundlePath</key>%s</dict>"
                   % (d.value("string", bid), d.value("string", ver), d.value("string", "Root"),
                      d.value("string", "/System/Library/Extensions/System.kext/PlugIns/%s.kext" % bid.split(".")[-1])))
    out.append("</array><key>_PrelinkKCID</key>%s" % d.data(kc_uuid))
    if boot_uuid:
        out.append("<key>_BootKCID</key>%s" % d.data(boot_uuid))
    if pageable_uuid:
        out.append("<key>_PageableKCID</key>%s" % d.data(pageable_uuid))
    out.append("</dict>")
    return "".join(out).encode() + b"\0"


# ---- a fileset -----------------------------------------------------------------------------------

def build_fileset(tag, kexts, kernel, boot_uuid=None, pageable_uuid=None, size_mb=0, codeless=(), change=None,
                  shift_pages=0):
    """kexts: list of (bundle_id, version). Returns (bytes, facts). `change`: the entry id whose code is made
    different (another build of that kext); `shift_pages`: pages inserted before the first entry, so that every
    entry moves and none changes (a relink)."""
    names = ([("com.apple.kernel", "10002.1.1")] if kernel else []) + list(kexts)
    n = len(names)
    # Per-entry code/data sizes: small by default, padded to reach size_mb in total.
    code_size, data_size = 0x400, 0x200
    if size_mb:
        per = max(0x1000, (size_mb << 20) // max(n, 1))
        code_size = align(per * 2 // 5, 16)
        data_size = align(per - code_size - 0x800, 16)
    # Top-level load commands first, to size the header region.
    entry_cmds = [cmd(LC_FILESET_ENTRY, struct.pack("<QQII", 0, 0, 32, 0) + nm.encode() + b"\0") for nm, _ in names]
    top_fixed = 6 * 72 + 80 + 24 + 24  # 6 segments, one section, LC_UUID, LC_BUILD_VERSION
    hdr_region = align(32 + top_fixed + sum(len(c) for c in entry_cmds), PAGE) + shift_pages * PAGE
    consts = [DARWIN if nm == "com.apple.kernel" else ("%s %s\0" % (nm, ver)).encode() for nm, ver in names]
    text_sizes = [align(0x400 + len(c), 16) for c in consts]
    prelink_text_off = hdr_region
    prelink_text_size = align(sum(text_sizes), PAGE)
    exec_off = prelink_text_off + prelink_text_size
    exec_size = align(code_size * n, PAGE)
    data_off = exec_off + exec_size
    data_seg_size = align(data_size * n, PAGE)
    info_off = data_off + data_seg_size

    kc_uuid = uuid_for(tag + ".kc")
    # Where each entry's __TEXT goes, and so its address: PRELINK_INFO and LINKEDIT depend on them.
    text_offs = [prelink_text_off + sum(text_sizes[:i]) for i in range(n)]
    plist_kexts = []
    for i, (nm, ver) in enumerate(names):
        if nm != "com.apple.kernel":
            plist_kexts.append({"bundle_id": nm, "version": ver, "vmaddr": BASE_VM + text_offs[i],
                                "text_size": text_sizes[i],
                                "bundle_path": "/System/Library/Extensions/%s.kext" % nm.split(".")[-1]})
    plist = prelink_plist(plist_kexts, kc_uuid, boot_uuid, pageable_uuid, codeless)
    info_size = align(len(plist), PAGE)
    le_off = info_off + info_size
    codes, linkedits, le_blob = [], [], b""
    for i, (nm, _) in enumerate(names):
        code, offsets = entry_code(tag + nm + ("!changed" if nm == change else ""), code_size)
        fstarts, symtab, strtab = entry_linkedit(nm, BASE_VM + text_offs[i], BASE_VM + exec_off + i * code_size,
                                                 offsets)
        at = le_off + len(le_blob)
        linkedits.append((at, len(fstarts) + len(symtab) + len(strtab), at, len(fstarts), at + len(fstarts),
                          len(offsets), at + len(fstarts) + len(symtab), len(strtab)))
        codes.append(code)
        le_blob += fstarts + symtab + strtab
    le_size = align(len(le_blob), PAGE)

    entries = []
    chunks = [(le_off, le_blob)]  # (offset, bytes)
    for i, (nm, ver) in enumerate(names):
        t = text_offs[i]
        ftype = MH_EXECUTE if nm == "com.apple.kernel" else MH_KEXT_BUNDLE
        c_off, d_off = exec_off + i * code_size, data_off + i * data_size
        blob, hsize = entry_layout(nm, ftype, t, c_off, code_size, d_off, data_size, consts[i], linkedits[i])
        code = codes[i]
        data = filler(tag + nm + ".data", data_size)
        chunks += [(t, blob), (t + 0x400, consts[i]), (c_off, code), (d_off, data)]
        text = bytearray(hsize)
        text[0:len(blob)] = blob
        text[0x400:0x400 + len(consts[i])] = consts[i]
        content = hashlib.sha256(bytes(text) + code + data).hexdigest()
        entries.append({"entry_id": nm, "fileoff": t, "vmaddr": BASE_VM + t, "uuid": uuid_str(uuid_for(nm)),
                        "filetype": ftype, "version": ver, "code_sha256": hashlib.sha256(code).hexdigest(),
                        "code_bytes": len(code), "content_sha256": content, "size": hsize + len(code) + len(data),
                        "functions": ["_%s_f%d" % (symbol_base(nm), k) for k in range(linkedits[i][5])]})
    total = le_off + le_size

    cmds = [
        segment("__TEXT", BASE_VM, hdr_region, 0, hdr_region, 1, 1),
        segment("__PRELINK_TEXT", BASE_VM + prelink_text_off, prelink_text_size, prelink_text_off, prelink_text_size, 1, 1),
        segment("__TEXT_EXEC", BASE_VM + exec_off, exec_size, exec_off, exec_size, 5, 5),
        segment("__DATA", BASE_VM + data_off, data_seg_size, data_off, data_seg_size, 3, 3),
        segment("__PRELINK_INFO", BASE_VM + info_off, info_size, info_off, info_size, 1, 1,
                [section("__info", "__PRELINK_INFO", BASE_VM + info_off, len(plist), info_off, 0, 0)]),
        segment("__LINKEDIT", BASE_VM + le_off, le_size, le_off, le_size, 1, 1),
        cmd(LC_UUID, kc_uuid),
        cmd(LC_BUILD_VERSION, struct.pack("<IIII", 1, 0, 0, 0)),
    ]
    for (nm, _), e in zip(names, entries):
        cmds.append(cmd(LC_FILESET_ENTRY, struct.pack("<QQII", e["vmaddr"], e["fileoff"], 32, 0) + nm.encode() + b"\0"))
    hdr = struct.pack("<IIIIIIII", 0xFEEDFACF, CPU_ARM64, CPUSUB_ARM64E, MH_FILESET, len(cmds),
                      sum(len(c) for c in cmds), 0, 0)
    head = hdr + b"".join(cmds)
    assert len(head) <= hdr_region
    out = bytearray(total)
    out[0:len(head)] = head
    for off, b in chunks:
        out[off:off + len(b)] = b
    out[info_off:info_off + len(plist)] = plist
    facts = {"uuid": uuid_str(kc_uuid), "size": total, "entries": entries, "prelink_info_offset": info_off,
             "prelink_info_size": len(plist), "codeless": [b for b, _ in codeless],
             "boot_kc_id": uuid_str(boot_uuid) if boot_uuid else None,
             "pageable_kc_id": uuid_str(pageable_uuid) if pageable_uuid else None}
    return out, facts


# ---- legacy prelinked kernelcache ----------------------------------------------------------------

def build_legacy(kexts):
    """MH_EXECUTE kernel; kexts are whole Mach-Os (KC-absolute offsets, iOS 12+ style) in __PRELINK_TEXT."""
    hdr_size = 0x1000
    kcode = arm64_code("legacy-kernel", 0x800)
    text_off, exec_off = 0, hdr_size
    prelink_off = exec_off + 0x1000
    kext_blobs, plist_kexts, facts_k = [], [], []
    t = prelink_off
    for i, (bid, ver) in enumerate(kexts):
        code = arm64_code("legacy" + bid, 0x200)
        const = ("%s %s\0" % (bid, ver)).encode()
        blob, hsize = entry_layout(bid, MH_KEXT_BUNDLE, t, t + 0x800, len(code), 0, 0, const)
        piece = bytearray(0x800 + len(code))
        piece[0:len(blob)] = blob
        piece[0x400:0x400 + len(const)] = const
        piece[0x800:] = code
        kext_blobs.append((t, bytes(piece)))
        plist_kexts.append({"bundle_id": bid, "version": ver, "vmaddr": BASE_VM + t, "text_size": hsize,
                            "bundle_path": "/System/Library/Extensions/%s.kext" % bid.split(".")[-1]})
        facts_k.append({"bundle_id": bid, "version": ver, "fileoff": t, "vmaddr": BASE_VM + t,
                        "uuid": uuid_str(uuid_for(bid)), "code_sha256": hashlib.sha256(code).hexdigest()})
        t += len(piece)
    prelink_size = align(t - prelink_off, 0x1000)
    info_off = prelink_off + prelink_size
    plist = prelink_plist(plist_kexts, uuid_for("legacy.kc"), codeless=[("com.apple.kpi.bsd", "23.0.0")])
    info_size = align(len(plist), 0x1000)
    total = info_off + info_size
    cmds = [
        segment("__TEXT", BASE_VM, hdr_size, 0, hdr_size, 5, 5,
                [section("__const", "__TEXT", BASE_VM + 0x800, len(DARWIN), 0x800, 0, 0)]),
        segment("__TEXT_EXEC", BASE_VM + exec_off, 0x1000, exec_off, 0x1000, 5, 5,
                [section("__text", "__TEXT_EXEC", BASE_VM + exec_off, len(kcode), exec_off, 2, CODE_FLAGS)]),
        segment("__PRELINK_TEXT", BASE_VM + prelink_off, prelink_size, prelink_off, prelink_size, 5, 5,
                [section("__text", "__PRELINK_TEXT", BASE_VM + prelink_off, prelink_size, prelink_off, 0, 0)]),
        segment("__PRELINK_INFO", BASE_VM + info_off, info_size, info_off, info_size, 3, 3,
                [section("__info", "__PRELINK_INFO", BASE_VM + info_off, len(plist), info_off, 0, 0)]),
        cmd(LC_UUID, uuid_for("legacy-kernel")),
    ]
    hdr = struct.pack("<IIIIIIII", 0xFEEDFACF, CPU_ARM64, CPUSUB_ARM64E, MH_EXECUTE, len(cmds),
                      sum(len(c) for c in cmds), 0x00200001, 0)
    out = bytearray(total)
    head = hdr + b"".join(cmds)
    out[0:len(head)] = head
    out[0x800:0x800 + len(DARWIN)] = DARWIN
    out[exec_off:exec_off + len(kcode)] = kcode
    for off, b in kext_blobs:
        out[off:off + len(b)] = b
    out[info_off:info_off + len(plist)] = plist
    return out, {"uuid": uuid_str(uuid_for("legacy-kernel")), "kernel_code_sha256": hashlib.sha256(kcode).hexdigest(),
                 "kexts": facts_k, "size": total, "prelink_info_offset": info_off}


# ---- wrappers ------------------------------------------------------------------------------------

def der(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    lb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(lb)]) + lb + body


def im4p(kind, desc, payload):
    return der(0x30, der(0x16, b"IM4P") + der(0x16, kind.encode()) + der(0x16, desc.encode()) + der(0x04, payload))


def lzss_encode(data):
    """Okumura LZSS as Apple's kernelcaches use it: 4 KiB ring starting at 0xFEE, flags LSB first,
    1 = literal, 0 = (pos 12 bits, len-3 4 bits). Greedy matching over a 3-byte hash chain."""
    out = bytearray()
    heads = {}
    i, n = 0, len(data)
    while i < n:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if i >= n:
                break
            best_len, best_pos = 0, 0
            key = data[i:i + 3]
            for j in reversed(heads.get(key, [])[-8:]):
                if i - j >= 4096 - 18:
                    continue
                ln = 0
                while ln < 18 and i + ln < n and data[j + ln] == data[i + ln]:
                    ln += 1
                if ln > best_len:
                    best_len, best_pos = ln, j
            if best_len >= 3:
                pos = (0xFEE + best_pos) & 0xFFF
                out += bytes([pos & 0xFF, ((pos >> 4) & 0xF0) | (best_len - 3)])
                step = best_len
            else:
                flags |= 1 << bit
                out.append(data[i])
                step = 1
            for k in range(i, min(i + step, n - 2)):
                heads.setdefault(data[k:k + 3], []).append(k)
            i += step
        out[flag_at] = flags
    return bytes(out)


def complzss(data):
    body = lzss_encode(bytes(data))
    hdr = b"complzss" + struct.pack(">IIII", zlib.adler32(bytes(data)), len(data), len(body), 1)
    return hdr + b"\0" * (0x180 - len(hdr)) + body


def lzfse_raw(data):
    """An LZFSE stream made of one uncompressed block (bvx-) and the end-of-stream marker."""
    return b"bvx-" + struct.pack("<I", len(data)) + bytes(data) + b"bvx$"


# ---- extraction (for llvm-objdump on a single entry) -----------------------------------------------

def extract_entry(kc, entry_id):
    """Copies one fileset entry out: its segments laid end to end, fileoffs and section offsets rebased."""
    ncmds, = struct.unpack_from("<I", kc, 16)
    off = 32
    for _ in range(ncmds):
        c, size = struct.unpack_from("<II", kc, off)
        if c == LC_FILESET_ENTRY:
            vm, fo, name_off = struct.unpack_from("<QQI", kc, off + 8)
            name = kc[off + name_off:kc.index(b"\0", off + name_off)].decode()
            if name == entry_id:
                break
        off += size
    else:
        raise SystemExit("no fileset entry " + entry_id)
    ncmds, sizeofcmds = struct.unpack_from("<II", kc, fo + 16)
    cmds = bytearray(kc[fo + 32:fo + 32 + sizeofcmds])
    out = bytearray()
    pos, p = 0, 0
    placed = []
    for _ in range(ncmds):
        c, size = struct.unpack_from("<II", cmds, p)
        if c == LC_SEGMENT_64:
            fileoff, filesize = struct.unpack_from("<QQ", cmds, p + 40)
            new = align(pos, 16)
            placed.append((new, fileoff, filesize))
            struct.pack_into("<Q", cmds, p + 40, new)
            nsects, = struct.unpack_from("<I", cmds, p + 64)
            for s in range(nsects):
                so = p + 72 + s * 80
                sect_off, = struct.unpack_from("<I", cmds, so + 48)
                struct.pack_into("<I", cmds, so + 48, sect_off - fileoff + new)
            pos = new + filesize
        p += size
    def rebased(old):  # a KC-absolute offset inside one of the entry's segments, in the copy
        for new, fileoff, filesize in placed:
            if fileoff <= old <= fileoff + filesize:
                return old - fileoff + new
        raise SystemExit("offset %#x is outside the entry's segments" % old)

    p = 0
    for _ in range(ncmds):
        c, size = struct.unpack_from("<II", cmds, p)
        if c == LC_SYMTAB:
            symoff, nsyms, stroff, strsize = struct.unpack_from("<IIII", cmds, p + 8)
            struct.pack_into("<IIII", cmds, p + 8, rebased(symoff), nsyms, rebased(stroff), strsize)
        elif c == LC_FUNCTION_STARTS:
            dataoff, datasize = struct.unpack_from("<II", cmds, p + 8)
            struct.pack_into("<II", cmds, p + 8, rebased(dataoff), datasize)
        p += size
    out = bytearray(pos)
    for new, fileoff, filesize in placed:
        out[new:new + filesize] = kc[fileoff:fileoff + filesize]
    out[32:32 + sizeofcmds] = cmds  # the header was copied with the first segment; rewrite its commands
    return bytes(out)


# ---- tiny malformed inputs (tests/malformed/{macho,kc}/*.bin) -------------------------------------

def tiny_macho(mutate=None):
    """A 0x400-byte MH_EXECUTE: __TEXT 0x0+0x200, __DATA 0x200+0x200, LC_UUID."""
    cmds = [segment("__TEXT", 0x100000000, 0x200, 0, 0x200, 5, 5), segment("__DATA", 0x100000200, 0x200, 0x200, 0x200, 3, 3),
            cmd(LC_UUID, uuid_for("tiny"))]
    out = bytearray(0x400)
    hdr = struct.pack("<IIIIIIII", 0xFEEDFACF, CPU_ARM64, 0, MH_EXECUTE, len(cmds), sum(len(c) for c in cmds), 0, 0)
    head = hdr + b"".join(cmds)
    out[0:len(head)] = head
    if mutate:
        mutate(out)
    return bytes(out)


def tiny_fileset(plist=b"<dict><key>_PrelinkInfoDictionary</key><array/></dict>\0", entry_fileoff=0x400):
    """A 0x800-byte fileset: one kext entry (MH_KEXT_BUNDLE at 0x400) and a __PRELINK_INFO plist at 0x600."""
    vm = 0xFFFFFE0007004000
    kcmds = [segment("__TEXT", vm + 0x400, 0x200, 0x400, 0x200, 5, 5), cmd(LC_UUID, uuid_for("tiny.kext"))]
    khdr = struct.pack("<IIIIIIII", 0xFEEDFACF, CPU_ARM64, CPUSUB_ARM64E, MH_KEXT_BUNDLE, len(kcmds),
                       sum(len(c) for c in kcmds), 0, 0)
    assert len(plist) <= 0x200
    cmds = [segment("__TEXT", vm, 0x400, 0, 0x400, 1, 1),
            segment("__PRELINK_TEXT", vm + 0x400, 0x200, 0x400, 0x200, 5, 5),
            segment("__PRELINK_INFO", vm + 0x600, 0x200, 0x600, 0x200, 1, 1,
                    [section("__info", "__PRELINK_INFO", vm + 0x600, len(plist), 0x600, 0, 0)]),
            cmd(LC_UUID, uuid_for("tiny.kc")),
            cmd(LC_FILESET_ENTRY, struct.pack("<QQII", vm + 0x400, entry_fileoff, 32, 0) + b"com.example.tiny\0")]
    hdr = struct.pack("<IIIIIIII", 0xFEEDFACF, CPU_ARM64, CPUSUB_ARM64E, MH_FILESET, len(cmds),
                      sum(len(c) for c in cmds), 0, 0)
    out = bytearray(0x800)
    head = hdr + b"".join(cmds)
    out[0:len(head)] = head
    kb = khdr + b"".join(kcmds)
    out[0x400:0x400 + len(kb)] = kb
    out[0x600:0x600 + len(plist)] = plist
    return bytes(out)


def write_malformed(root):
    """One file per validation rule; tests/unit/test_kc.cpp holds the expected message of each."""
    def put(off, fmt_, v):
        return lambda b: struct.pack_into(fmt_, b, off, v)
    macho = {
        "cmdsize-0": tiny_macho(put(32 + 4, "<I", 0)),                       # first command's cmdsize
        "cmdsize-past-sizeofcmds": tiny_macho(put(32 + 72 + 4, "<I", 0x1000)),  # second command
        "segment-past-end": tiny_macho(put(32 + 72 + 48, "<Q", 0x10000)),     # __DATA filesize
        "overlapping-segments": tiny_macho(put(32 + 72 + 40, "<Q", 0x100)),   # __DATA fileoff inside __TEXT
    }
    kc = {
        "fileset-entry-outside-file": tiny_fileset(entry_fileoff=0x10000),
        "prelink-info-not-dict": tiny_fileset(plist=b"<array><string>x</string></array>\0"),
        "prelink-idref-unknown": tiny_fileset(plist=b"<dict><key>_PrelinkInfoDictionary</key><array>"
                                                    b"<dict><key>CFBundleIdentifier</key><string IDREF=\"7\"/></dict>"
                                                    b"</array></dict>\0"),
        "im4p-payload-past-end": im4p("krnl", "tiny", b"\xcf\xfa\xed\xfe" + b"\0" * 60)[:-16],
    }
    for sub, files in (("macho", macho), ("kc", kc)):
        d = os.path.join(root, sub)
        os.makedirs(d, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(d, name + ".bin"), "wb") as f:
                f.write(data)


# ---- main ----------------------------------------------------------------------------------------

def kext_names(n, prefix):
    return [("%s.driver.Kext%04d" % (prefix, i), "%d.%d.%d" % (1 + i % 7, i % 10, i % 3)) for i in range(n)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", nargs="?")
    ap.add_argument("--kexts", type=int, default=4)
    ap.add_argument("--size-mb", type=int, default=0)
    ap.add_argument("--single", metavar="FILE", help="write only one Boot KC to FILE")
    ap.add_argument("--extract", nargs=3, metavar=("KC", "ENTRY_ID", "OUT"))
    ap.add_argument("--malformed", metavar="DIR", help="write the tests/malformed/{macho,kc} inputs into DIR")
    ap.add_argument("--change", metavar="ENTRY_ID", help="with --single: that entry's code differs (a rebuilt kext)")
    ap.add_argument("--shift-pages", type=int, default=0, help="with --single: pages inserted before the first entry")
    ap.add_argument("--kext-ids", metavar="ID,ID", help="with --single: these bundle ids (version 1.0.0) instead of "
                                                       "--kexts generated ones")
    a = ap.parse_args()
    if a.malformed:
        write_malformed(a.malformed)
        return
    if a.extract:
        with open(a.extract[0], "rb") as f:
            kc = f.read()
        with open(a.extract[2], "wb") as f:
            f.write(extract_entry(kc, a.extract[1]))
        return
    if a.single:
        names = [(k, "1.0.0") for k in a.kext_ids.split(",")] if a.kext_ids else kext_names(a.kexts, "com.apple")
        kc, facts = build_fileset("bench", names, True, size_mb=a.size_mb, change=a.change, shift_pages=a.shift_pages)
        with open(a.single, "wb") as f:
            f.write(kc)
        print(json.dumps({"size": facts["size"], "entries": len(facts["entries"]), "uuid": facts["uuid"]}))
        return
    if not a.out_dir:
        ap.error("OUT_DIR is required")
    os.makedirs(a.out_dir, exist_ok=True)
    boot, boot_f = build_fileset("boot", kext_names(a.kexts, "com.apple"), True, size_mb=a.size_mb,
                                 codeless=[("com.apple.kpi.bsd", "23.0.0"), ("com.apple.kpi.mach", "23.0.0")])
    boot_uuid = uuid_for("boot.kc")
    system, system_f = build_fileset("system", kext_names(a.kexts, "com.apple.system"), False, boot_uuid=boot_uuid)
    aux, aux_f = build_fileset("aux", kext_names(a.kexts, "com.example"), False, boot_uuid=boot_uuid,
                               pageable_uuid=uuid_for("system.kc"))
    legacy, legacy_f = build_legacy(kext_names(3, "com.apple.legacy"))
    files = {"boot.kc": boot, "system.kc": system, "aux.kc": aux, "kernelcache": legacy,
             "kernelcache.im4p": im4p("krnl", "KernelCacheBuilder-2023", complzss(legacy)),
             "boot.im4p": im4p("krnl", "KernelCacheBuilder-2023", lzfse_raw(boot))}
    for name, data in files.items():
        with open(os.path.join(a.out_dir, name), "wb") as f:
            f.write(data)
    manifest = {"boot.kc": boot_f, "system.kc": system_f, "aux.kc": aux_f, "kernelcache": legacy_f,
                "kernelcache.im4p": {"size": len(files["kernelcache.im4p"]), "adler32": zlib.adler32(bytes(legacy))},
                "darwin": DARWIN[:-1].decode()}
    with open(os.path.join(a.out_dir, "MANIFEST.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
