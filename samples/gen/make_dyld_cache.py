#!/usr/bin/env python3
"""Writes a small synthetic split dyld shared cache (python3 stdlib only).

    make_dyld_cache.py OUTDIR [--images N] [--slide 2|3] [--variant base|code|grow] [--name NAME]

Files (dyld-1042+ layout, mappingOffset 0x200, v2 subcache entries):
  NAME            main: header, mapping(+slide) tables, image/imagesText tables, subcache array, paths,
                  __TEXT of the first half of the images, every image's __DATA_CONST (slide info v3 with a
                  plain and an authenticated pointer per image, or v2), the shared __LINKEDIT (export tries,
                  function starts), slide info (unmapped)
  NAME.01         subcache: own header + one R-X mapping with the __TEXT of the other images
  NAME.symbols    local symbols (dyld_cache_local_symbols_info, nlist_64, 64-bit entries)
Each image: MH_DYLIB with MH_DYLIB_IN_CACHE, LC_SEGMENT_64 __TEXT(__text)/__DATA_CONST(__got)/__LINKEDIT
(the whole shared region, as the modern builder writes it), LC_ID_DYLIB, LC_UUID, LC_BUILD_VERSION,
LC_DYLD_EXPORTS_TRIE, LC_FUNCTION_STARTS, LC_LOAD_DYLIB of image 0. Code: f0 `mov w0,#k; ret`,
f1 `adrp x16,got; ldr x16,[x16,#lo12]; br x16`, f2 `bl image0.f0; ret` (image 0: `nop; ret`).
Variants for the code-hash tests: `code` changes image 1's f0 immediate (and its UUID); `grow` adds
two pages of code to image 1 (and changes its UUID), shifting every later image's __TEXT.
MANIFEST.json records the ground truth (addresses, UUIDs, exports, function starts, pointers).

Independent check: none exists for modern split caches on this machine (no radare2/ipsw/dyld_shared_cache_util);
the reader that consumes these files is also checked against the real radare2 cache (MANIFEST §9) and
the layout facts of docs/formats/dyld-kc.md.
"""
import argparse
import hashlib
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_macho import align, uleb  # noqa: E402  (one copy of the Mach-O encoding helpers)

PAGE = 0x1000
BASE = 0x180000000
HEADER_SIZE = 0x200
TEXT_CODE_OFF = 0x800  # __text starts here inside each image's __TEXT (load commands fit before)

LC_SEGMENT_64, LC_ID_DYLIB, LC_LOAD_DYLIB, LC_UUID = 0x19, 0xD, 0xC, 0x1B
LC_FUNCTION_STARTS, LC_BUILD_VERSION, LC_DYLD_EXPORTS_TRIE = 0x26, 0x32, 0x80000033




def uuid_for(*parts):
    h = bytearray(hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()[:16])
    h[6] = (h[6] & 0x0F) | 0x30  # version 3 style, like ld64's
    h[8] = (h[8] & 0x3F) | 0x80
    return bytes(h)


def uuid_text(u):
    x = u.hex().upper()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


# ---- arm64 encodings ---------------------------------------------------------------------------
def movz_w(rd, imm):
    return 0x52800000 | ((imm & 0xFFFF) << 5) | rd


RET, NOP, BR_X16 = 0xD65F03C0, 0xD503201F, 0xD61F0200


def adrp(rd, pc, target):
    delta = ((target >> 12) - (pc >> 12)) & 0x1FFFFF
    return 0x90000000 | ((delta & 3) << 29) | ((delta >> 2) << 5) | rd


def ldr_x(rt, rn, off):
    return 0xF9400000 | ((off // 8) << 10) | (rn << 5) | rt


def bl(pc, target):
    return 0x94000000 | (((target - pc) // 4) & 0x3FFFFFF)


# ---- export trie (flat: root with one edge per full name) --------------------------------------
def export_trie(entries):
    """entries: list of (name, image-relative address)."""
    entries = sorted(entries)
    terminals = [uleb(0) + uleb(addr) for _, addr in entries]
    nodes = [uleb(len(t)) + t + b"\x00" for t in terminals]
    child_offs = [0] * len(entries)
    root_len = 0
    for _ in range(8):  # ULEB widths of the child offsets settle in a couple of rounds
        root = bytearray(b"\x00" + bytes([len(entries)]))
        for (name, _), off in zip(entries, child_offs):
            root += name.encode() + b"\x00" + uleb(off)
        if len(root) == root_len:
            break
        root_len = len(root)
        pos = root_len
        for i, n in enumerate(nodes):
            child_offs[i] = pos
            pos += len(n)
    out = bytes(root) + b"".join(nodes)
    return out + b"\x00" * (align(len(out), 8) - len(out))


def function_starts(text_vmaddr, addrs):
    out = bytearray()
    prev = text_vmaddr
    for a in sorted(addrs):
        out += uleb(a - prev)
        prev = a
    out += b"\x00"
    return bytes(out) + b"\x00" * (align(len(out), 8) - len(out))


class Image:
    def __init__(self, index, path, short, variant):
        self.index, self.path, self.short = index, path, short
        self.changed = variant in ("code", "grow") and index == 1
        self.uuid = uuid_for("image", path, variant if self.changed else "base")
        self.extra_pages = 2 if (variant == "grow" and index == 1) else 0
        self.imm = (999 if (variant == "code" and index == 1) else index * 16 + 1)
        self.current_version = (1 << 16) | (2 << 8) | (index % 256)  # 1.2.index
        self.compat_version = 1 << 16

    def code_size(self):
        return self.extra_pages * PAGE + 4 * (2 + 3 + 2)

    def text_size(self):
        return align(TEXT_CODE_OFF + self.code_size(), PAGE)


def seg64(name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot, sections):
    cmd = struct.pack("<II16sQQQQiiII", LC_SEGMENT_64, 72 + 80 * len(sections), name.encode(), vmaddr, vmsize, fileoff,
                      filesize, maxprot, initprot, len(sections), 0)
    for (sect, seg, addr, size, off, algn, flags) in sections:
        cmd += struct.pack("<16s16sQQIIIIIIII", sect.encode(), seg.encode(), addr, size, off, algn, 0, 0, flags, 0, 0, 0)
    return cmd


def dylib_cmd(cmd, path, current, compat):
    s = path.encode() + b"\x00"
    size = align(24 + len(s), 8)
    return struct.pack("<IIIIII", cmd, size, 24, 2, current, compat) + s + b"\x00" * (size - 24 - len(s))


def build(args):
    n = args.images
    names = [("/usr/lib/libalpha.dylib", "alpha"), ("/usr/lib/libbeta.dylib", "beta"),
             ("/System/Library/Frameworks/Gamma.framework/Versions/A/Gamma", "gamma")]
    images = []
    for i in range(n):
        path, short = names[i] if (i < len(names) and n <= len(names)) else (f"/usr/lib/libsynth{i:04d}.dylib", f"s{i:04d}")
        images.append(Image(i, path, short, args.variant))
    n_main = max(1, n // 2) if n > 1 else 1  # image 0.. in main, the rest in .01
    main_imgs, sub_imgs = images[:n_main], images[n_main:]

    # ---- main header region layout (builder order, §1.4) -----------------------------------------
    n_map_main = 3
    map_off = HEADER_SIZE
    slide_tab_off = map_off + n_map_main * 56
    image_info_off = slide_tab_off + n_map_main * 56
    text_info_off = image_info_off + 32 * n
    sub_arr_off = text_info_off + 32 * n
    paths_off = sub_arr_off + 56
    path_pool = bytearray()
    path_offs = []
    for im in images:
        path_offs.append(paths_off + len(path_pool))
        path_pool += im.path.encode() + b"\x00"
    hdr_end = align(paths_off + len(path_pool), PAGE)

    # __TEXT of main images
    pos = hdr_end
    for im in main_imgs:
        im.file = "main"
        im.text_fileoff = pos
        im.address = BASE + pos
        pos += im.text_size()
    main_text_size = pos
    # __DATA_CONST (one page per image) right after in VM and file
    data_vm = BASE + main_text_size
    data_fileoff = main_text_size
    for k, im in enumerate(images):
        im.data_vm = data_vm + k * PAGE
        im.data_fileoff = data_fileoff + k * PAGE
    data_size = n * PAGE
    link_vm = data_vm + data_size
    link_fileoff = data_fileoff + data_size

    # subcache placement (needs main's VM end, which needs LINKEDIT size: compute LINKEDIT first with
    # placeholder addresses of the same width — sizes do not depend on the subcache offset's value
    # beyond ULEB widths, so iterate until stable).
    sub_vm_off = None
    for _ in range(4):
        guess = sub_vm_off if sub_vm_off is not None else align(link_vm - BASE + 0x100000, 0x100000)
        spos = PAGE
        for im in sub_imgs:
            im.file = ".01"
            im.text_fileoff = spos
            im.address = BASE + guess + spos
            spos += im.text_size()
        sub_size = spos
        # functions
        for im in images:
            code_vm = im.address + TEXT_CODE_OFF + im.extra_pages * PAGE
            im.funcs = [code_vm, code_vm + 8, code_vm + 20]
        link = bytearray()
        for im in images:
            im.trie_off = len(link)
            im.trie = export_trie([(f"_{im.short}_f{j}", im.funcs[j] - im.address) for j in range(3)])
            link += im.trie
            im.fs_off = len(link)
            im.fs = function_starts(im.address, im.funcs)
            link += im.fs
        link_size = align(len(link), PAGE)
        new_off = align(link_vm + link_size - BASE, 0x100000)
        if new_off == sub_vm_off:
            break
        sub_vm_off = new_off
    main_vm_end = link_vm + link_size
    slide_fileoff = link_fileoff + link_size

    # ---- __DATA_CONST contents + slide info -------------------------------------------------------
    data = bytearray(data_size)
    got_off = 0x10
    for k, im in enumerate(images):
        page = k * PAGE
        data[page:page + 16] = (b"CONST" + im.short.encode()).ljust(16, b"\x00")[:16]
        im.got = [(im.data_vm + got_off, im.funcs[0], False), (im.data_vm + got_off + 8, images[0].funcs[0],
                                                                args.slide == 3)]
        for j, (addr, target, auth) in enumerate(im.got):
            last = j == len(im.got) - 1
            if args.slide == 3:
                nxt = 0 if last else 1  # 8-byte units
                if auth:
                    raw = (1 << 63) | (nxt << 51) | (0 << 49) | (1 << 48) | (0x1234 << 32) | (target - BASE)
                else:
                    raw = (nxt << 51) | (target & 0x7FFFFFFFFFF)
            else:
                nxt = 0 if last else 2  # 4-byte units
                raw = target | (nxt << 40)
            struct.pack_into("<Q", data, page + got_off + 8 * j, raw)
    if args.slide == 3:
        slide = struct.pack("<IIIIQ", 3, PAGE, n, 0, BASE) + struct.pack(f"<{n}H", *([got_off] * n))
    else:
        slide = struct.pack("<IIIIIIQQ", 2, PAGE, 40, n, 40 + 2 * n, 0, 0x00FFFF0000000000, 0) + \
            struct.pack(f"<{n}H", *([got_off // 4] * n))
    slide = slide + b"\x00" * (align(len(slide), 8) - len(slide))
    main_size = align(slide_fileoff + len(slide), PAGE)

    # ---- per-image Mach-O headers ------------------------------------------------------------------
    def macho_header(im):
        text_file_sections = [("__text", "__TEXT", im.address + TEXT_CODE_OFF, im.code_size(), im.text_fileoff + TEXT_CODE_OFF,
                               2, 0x80000400)]
        cmds = [
            seg64("__TEXT", im.address, im.text_size(), im.text_fileoff, im.text_size(), 5, 5, text_file_sections),
            seg64("__DATA_CONST", im.data_vm, PAGE, im.data_fileoff, PAGE, 3, 3,
                  [("__got", "__DATA_CONST", im.data_vm + got_off, 16, im.data_fileoff + got_off, 3, 0x6)]),
            seg64("__LINKEDIT", link_vm, link_size, link_fileoff, link_size, 1, 1, []),
            dylib_cmd(LC_ID_DYLIB, im.path, im.current_version, im.compat_version),
            struct.pack("<II16s", LC_UUID, 24, im.uuid),
            struct.pack("<IIIIII", LC_BUILD_VERSION, 24, 1, 14 << 16, 14 << 16, 0),
            struct.pack("<IIII", LC_DYLD_EXPORTS_TRIE, 16, link_fileoff + im.trie_off, len(im.trie)),
            struct.pack("<IIII", LC_FUNCTION_STARTS, 16, link_fileoff + im.fs_off, len(im.fs)),
        ]
        if im.index > 0:
            cmds.append(dylib_cmd(LC_LOAD_DYLIB, images[0].path, images[0].current_version, images[0].compat_version))
        body = b"".join(cmds)
        flags = 0x80000000 | 0x80 | 0x4 | 0x1  # MH_DYLIB_IN_CACHE | TWOLEVEL | DYLDLINK | NOUNDEFS
        hdr = struct.pack("<IiiIIIII", 0xFEEDFACF, 0x0100000C, 2, 6, len(cmds), len(body), flags, 0) + body
        assert len(hdr) <= TEXT_CODE_OFF
        return hdr

    def code(im):
        words = [NOP] * (im.extra_pages * PAGE // 4)
        f0, f1, f2 = im.funcs
        words += [movz_w(0, im.imm), RET]
        got = im.got[0][0]
        words += [adrp(16, f1, got), ldr_x(16, 16, got & 0xFFF), BR_X16]
        if im.index == 0:
            words += [NOP, RET]
        else:
            words += [bl(f2, images[0].funcs[0]), RET]
        return struct.pack(f"<{len(words)}I", *words)

    def place_text(buf, im):
        h = macho_header(im)
        buf[im.text_fileoff:im.text_fileoff + len(h)] = h
        c = code(im)
        o = im.text_fileoff + TEXT_CODE_OFF
        buf[o:o + len(c)] = c

    # ---- headers -----------------------------------------------------------------------------------
    cache_variant = args.variant
    main_uuid = uuid_for("main", n, args.slide, cache_variant)
    sub_uuid = uuid_for("sub", n, args.slide, cache_variant)
    sym_uuid = uuid_for("symbols", n, args.slide, cache_variant)
    magic = b"dyld_v1  arm64e\x00"
    assert len(magic) == 16

    def header(uuid, mappings, extra):
        h = bytearray(HEADER_SIZE)
        h[0:16] = magic
        struct.pack_into("<II", h, 0x10, HEADER_SIZE, len(mappings))
        h[0x58:0x68] = uuid
        struct.pack_into("<Q", h, 0x68, 1)  # production
        struct.pack_into("<II", h, 0xD8, 1, 0)  # macOS
        struct.pack_into("<QQQ", h, 0xE0, BASE, sub_vm_off + sub_size - 0, 0x10000000)
        struct.pack_into("<I", h, 0x16C, 0x000E0000)  # 14.0.0
        for off, fmt_, val in extra:
            struct.pack_into(fmt_, h, off, *val)
        return h

    main = bytearray(main_size)
    main_maps = [  # address, size, fileOffset, slideOff, slideSize, flags, maxProt, initProt
        (BASE, main_text_size, 0, 0, 0, 0, 5, 5),
        (data_vm, data_size, data_fileoff, slide_fileoff, len(slide), 0x4, 3, 3),  # CONST_DATA
        (link_vm, link_size, link_fileoff, 0, 0, 0, 1, 1),
    ]
    main[0:HEADER_SIZE] = header(main_uuid, main_maps, [
        (0x88, "<QQ", (text_info_off, n)),
        (0x138, "<II", (slide_tab_off, n_map_main)),
        (0x188, "<II", (sub_arr_off, 1)),
        (0x190, "<16s", (sym_uuid,)),
        (0x1C0, "<II", (image_info_off, n)),
    ])
    for i, m in enumerate(main_maps):
        struct.pack_into("<QQQII", main, map_off + 32 * i, m[0], m[1], m[2], m[6], m[7])
        struct.pack_into("<QQQQQQII", main, slide_tab_off + 56 * i, *m)
    for i, im in enumerate(images):
        struct.pack_into("<QQQII", main, image_info_off + 32 * i, im.address, 0, 0, path_offs[i], 0)
        struct.pack_into("<16sQII", main, text_info_off + 32 * i, im.uuid, im.address, im.text_size(), path_offs[i])
    struct.pack_into("<16sQ32s", main, sub_arr_off, sub_uuid, sub_vm_off, b".01")
    main[paths_off:paths_off + len(path_pool)] = path_pool
    for im in main_imgs:
        place_text(main, im)
    main[data_fileoff:data_fileoff + data_size] = data
    main[link_fileoff:link_fileoff + len(link)] = link
    main[slide_fileoff:slide_fileoff + len(slide)] = slide

    sub = bytearray(sub_size)
    sub_map = (BASE + sub_vm_off, sub_size, 0, 0, 0, 0, 5, 5)
    sub[0:HEADER_SIZE] = header(sub_uuid, [sub_map], [(0x138, "<II", (HEADER_SIZE + 56, 1))])
    struct.pack_into("<QQQII", sub, HEADER_SIZE, sub_map[0], sub_map[1], sub_map[2], 5, 5)
    struct.pack_into("<QQQQQQII", sub, HEADER_SIZE + 56, *sub_map)
    for im in sub_imgs:
        place_text(sub, im)

    # ---- .symbols ------------------------------------------------------------------------------------
    strings = bytearray(b" \x00")
    nlist = bytearray()
    entries = bytearray()
    for im in images:
        im.locals = [(f"_{im.short}_static{j}", im.funcs[j]) for j in range(2)]
        start = len(nlist) // 16
        for name, value in im.locals:
            nlist += struct.pack("<IBBHQ", len(strings), 0x0E, 1, 0, value)
            strings += name.encode() + b"\x00"
        entries += struct.pack("<QII", im.address - BASE, start, len(im.locals))
    info_size = 24
    nlist_off = info_size
    strings_off = nlist_off + len(nlist)
    entries_off = align(strings_off + len(strings), 8)
    info = struct.pack("<IIIIII", nlist_off, len(nlist) // 16, strings_off, len(strings), entries_off, n)
    local_blob = bytearray(info + nlist + strings)
    local_blob += b"\x00" * (entries_off - len(local_blob)) + entries
    sym = bytearray(HEADER_SIZE) + local_blob
    sym[0:HEADER_SIZE] = header(sym_uuid, [], [(0x48, "<QQ", (HEADER_SIZE, len(local_blob)))])

    os.makedirs(args.outdir, exist_ok=True)
    base = os.path.join(args.outdir, args.name)
    for path, blob in ((base, main), (base + ".01", sub), (base + ".symbols", sym)):
        with open(path, "wb") as f:
            f.write(blob)

    manifest = {
        "name": args.name, "variant": args.variant, "slide_version": args.slide, "base": hex(BASE),
        "files": {"main": {"uuid": uuid_text(main_uuid), "size": len(main)},
                  ".01": {"uuid": uuid_text(sub_uuid), "size": len(sub), "vm_offset": hex(sub_vm_off)},
                  ".symbols": {"uuid": uuid_text(sym_uuid), "size": len(sym)}},
        "mappings": {"main": [[hex(m[0]), hex(m[1]), hex(m[2])] for m in main_maps],
                     ".01": [[hex(sub_map[0]), hex(sub_map[1]), hex(sub_map[2])]]},
        "slide_info": {"file_offset": hex(slide_fileoff), "size": len(slide)},
        "images": [],
    }
    for im in images:
        manifest["images"].append({
            "path": im.path, "address": hex(im.address), "uuid": uuid_text(im.uuid), "file": im.file,
            "header_offset": hex(im.text_fileoff), "text_size": hex(im.text_size()),
            "current_version": f"1.2.{im.index % 256}", "compatibility_version": "1.0.0",
            "exports": {f"_{im.short}_f{j}": hex(im.funcs[j]) for j in range(3)},
            "function_starts": [hex(a) for a in im.funcs],
            "data_const": hex(im.data_vm), "data_const_fileoff": hex(im.data_fileoff),
            "pointers": [{"address": hex(a), "target": hex(t), "auth": au} for a, t, au in im.got],
            "local_symbols": {name: hex(v) for name, v in im.locals},
        })
    with open(os.path.join(args.outdir, "MANIFEST.json" if args.manifest is None else args.manifest), "w") as f:
        json.dump(manifest, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--images", type=int, default=3)
    ap.add_argument("--slide", type=int, choices=(2, 3), default=3)
    ap.add_argument("--variant", choices=("base", "code", "grow"), default="base")
    ap.add_argument("--name", default="dyld_shared_cache_arm64e")
    ap.add_argument("--manifest", default=None, help="manifest file name (default MANIFEST.json)")
    args = ap.parse_args()
    if args.images < 1:
        ap.error("--images must be at least 1")
    build(args)


if __name__ == "__main__":
    main()
