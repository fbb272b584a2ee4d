#!/usr/bin/env python3
"""Writes a small synthetic split dyld shared cache (python3 stdlib only).

    make_dyld_cache.py OUTDIR [--images N] [--slide 2|3] [--variant base|code|grow] [--name NAME]
                      [--arch arm64e|x86_64] [--subcaches K] [--text-kb KB] [--shift-pages P]

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
`--shift-pages P` inserts P pages before the first image: every image moves, none changes (their
UUIDs stay). `--arch x86_64` writes an x86_64 cache (slide info v2; f0 `mov eax,imm32; ret`, f1
`mov rax,[rip+got]; jmp rax`, f2 `call image0.f0; ret`). `--subcaches K` spreads the images over main and
K subcaches `.01`..`.0K`; `--text-kb KB` pads each image's __text with KB KiB of generated arm64 code
(a seeded mix of ALU/load/store/ADRP/BL words, varied per image), for multi-GB caches: files are
written piece by piece in offset order, never held whole in memory.
Each image also has LC_SYMTAB/LC_DYSYMTAB slices of one shared nlist array and string pool (its three
exports, plus image 0's _f0 as an undefined symbol for the others), as the cache builder lays them out.
MANIFEST.json records the ground truth (addresses, UUIDs, exports, function starts, pointers).

Independent check: none exists for modern split caches on this machine (no radare2/ipsw/dyld_shared_cache_util);
the reader that consumes these files is also checked against the real radare2 cache (MANIFEST §9) and
the layout of docs/formats/dyld-cache.md §1-§8 (what this writer builds: §10).
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

LC_SEGMENT_64, LC_ID_DYLIB, LC_LOAD_DYLIB, LC_UUID, LC_SYMTAB, LC_DYSYMTAB = 0x19, 0xD, 0xC, 0x1B, 0x2, 0xB
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
    def __init__(self, index, path, short, args):
        variant = args.variant
        self.index, self.path, self.short = index, path, short
        self.changed = variant in ("code", "grow") and index == 1
        self.uuid = uuid_for("image", path, variant if self.changed else "base")
        self.extra_pages = 2 if (variant == "grow" and index == 1) else 0
        self.imm = (999 if (variant == "code" and index == 1) else index * 16 + 1)
        self.current_version = (1 << 16) | (2 << 8) | (index % 256)  # 1.2.index
        self.compat_version = 1 << 16
        # Bulk code (--text-kb): sizes vary per image (50%..150% of KB) like real dylibs.
        self.bulk = 0 if not args.text_kb else align(args.text_kb * 1024 * (50 + (index * 37) % 101) // 100, 4)

    def code_size(self):
        return self.extra_pages * PAGE + 4 * (2 + 3 + 2) + self.bulk

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


class BulkCode:
    """Seeded arm64 instruction words for --text-kb: one 1 MiB pool, sliced per image at an image-dependent
    offset, so images differ and the pool is generated once."""
    def __init__(self):
        import random
        rnd = random.Random(1234)
        words = []
        for k in range(256 * 1024):
            r = rnd.random()
            rd, rn, rm = rnd.randrange(29), rnd.randrange(29), rnd.randrange(29)
            if r < 0.30:
                w = 0x8B000000 | (rm << 16) | (rn << 5) | rd          # add x, x, x
            elif r < 0.55:
                w = 0xF9400000 | (rnd.randrange(512) << 10) | (rn << 5) | rd   # ldr x, [x, #imm]
            elif r < 0.70:
                w = 0xF9000000 | (rnd.randrange(512) << 10) | (rn << 5) | rd   # str x, [x, #imm]
            elif r < 0.80:
                w = 0x52800000 | (rnd.randrange(65536) << 5) | rd      # movz w
            elif r < 0.87:
                w = 0x90000000 | (rnd.randrange(4) << 29) | (rnd.randrange(1 << 19) << 5) | rd  # adrp
            elif r < 0.94:
                w = 0x94000000 | rnd.randrange(1 << 26)                # bl
            else:
                w = 0xD503201F                                         # nop
            words.append(w)
        self.pool = struct.pack(f"<{len(words)}I", *words)

    def chunks(self, index, size):
        off = (index * 4096 * 7) % len(self.pool)
        while size > 0:
            n = min(size, len(self.pool) - off)
            yield self.pool[off:off + n]
            size -= n
            off = 0


class Out:
    """Writes one file from pieces given in increasing offset order (gaps are zeros)."""
    def __init__(self, path):
        self.f = open(path, "wb")
        self.pos = 0

    def put(self, off, data):
        assert off >= self.pos, (off, self.pos)
        if off > self.pos:
            self.f.write(b"\x00" * (off - self.pos))
        self.f.write(data)
        self.pos = off + len(data)

    def close(self, size):
        if size > self.pos:
            self.f.write(b"\x00" * (size - self.pos))
        self.f.close()


def build(args):
    n = args.images
    x86 = args.arch == "x86_64"
    names = [("/usr/lib/libalpha.dylib", "alpha"), ("/usr/lib/libbeta.dylib", "beta"),
             ("/System/Library/Frameworks/Gamma.framework/Versions/A/Gamma", "gamma")]
    images = []
    for i in range(n):
        path, short = names[i] if (i < len(names) and n <= len(names)) else (f"/usr/lib/libsynth{i:04d}.dylib", f"s{i:04d}")
        images.append(Image(i, path, short, args))
    k_sub = args.subcaches
    n_main = max(1, n // (k_sub + 1)) if n > 1 else 1  # image 0.. in main, the rest spread over the subcaches
    main_imgs = images[:n_main]
    rest = images[n_main:]
    groups = [rest[(len(rest) * j) // k_sub:(len(rest) * (j + 1)) // k_sub] for j in range(k_sub)]
    suffixes = [f".{j + 1:02d}" for j in range(k_sub)]

    # ---- main header region layout (builder order, docs/formats/dyld-cache.md §10) ---------------
    n_map_main = 3
    map_off = HEADER_SIZE
    slide_tab_off = map_off + n_map_main * 56
    image_info_off = slide_tab_off + n_map_main * 56
    text_info_off = image_info_off + 32 * n
    sub_arr_off = text_info_off + 32 * n
    paths_off = sub_arr_off + 56 * k_sub
    path_pool = bytearray()
    path_offs = []
    for im in images:
        path_offs.append(paths_off + len(path_pool))
        path_pool += im.path.encode() + b"\x00"
    hdr_end = align(paths_off + len(path_pool), PAGE) + args.shift_pages * PAGE

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

    # Subcache placement needs main's VM end, which needs the LINKEDIT size: iterate until stable
    # (only ULEB widths depend on the addresses).
    sub_vm_offs = None
    for _ in range(6):
        guess = sub_vm_offs
        if guess is None:
            guess = [align(link_vm - BASE + 0x100000, 0x100000)] * k_sub
        sub_sizes = []
        for j, grp in enumerate(groups):
            spos = PAGE
            for im in grp:
                im.file = suffixes[j]
                im.text_fileoff = spos
                im.address = BASE + guess[j] + spos
                spos += im.text_size()
            sub_sizes.append(spos)
        for im in images:
            code_vm = im.address + TEXT_CODE_OFF + im.extra_pages * PAGE
            im.funcs = [code_vm, code_vm + 8, code_vm + 20]
        # LINKEDIT: per image export trie + function starts, then the shared nlist array and strings.
        link = bytearray()
        for im in images:
            im.trie_off = len(link)
            im.trie = export_trie([(f"_{im.short}_f{j}", im.funcs[j] - im.address) for j in range(3)])
            link += im.trie
            im.fs_off = len(link)
            im.fs = function_starts(im.address, im.funcs)
            link += im.fs
        strings = bytearray(b" \x00")
        str_index = {}

        def intern(name):
            if name not in str_index:
                str_index[name] = len(strings)
                strings.extend(name.encode() + b"\x00")
            return str_index[name]
        nlists = bytearray()
        for im in images:
            im.sym_index = len(nlists) // 16
            for j in range(3):
                nlists += struct.pack("<IBBHQ", intern(f"_{im.short}_f{j}"), 0x0F, 1, 0, im.funcs[j])
            im.nsyms = 3
            if im.index > 0:  # undefined: image 0's f0, from library ordinal 1
                nlists += struct.pack("<IBBHQ", intern(f"_{images[0].short}_f0"), 0x01, 0, 1 << 8, 0)
                im.nsyms = 4
        symoff = align(len(link), 8)
        link += b"\x00" * (symoff - len(link)) + nlists
        stroff = len(link)
        link += strings
        strsize = align(len(strings), 8)
        link += b"\x00" * (align(len(link), 8) - len(link))
        link_size = align(len(link), PAGE)
        new_offs = []
        vm_end = link_vm + link_size - BASE
        for j in range(k_sub):
            off = align(vm_end, 0x100000)
            new_offs.append(off)
            vm_end = off + sub_sizes[j]
        if new_offs == sub_vm_offs:
            break
        sub_vm_offs = new_offs
    slide_fileoff = link_fileoff + link_size
    cache_end = sub_vm_offs[-1] + sub_sizes[-1] if k_sub else link_vm + link_size - BASE

    # ---- __DATA_CONST contents + slide info -------------------------------------------------------
    data = bytearray(data_size)
    got_off = 0x10
    slide_v = 2 if x86 else args.slide
    for k, im in enumerate(images):
        page = k * PAGE
        data[page:page + 16] = (b"CONST" + im.short.encode()).ljust(16, b"\x00")[:16]
        im.got = [(im.data_vm + got_off, im.funcs[0], False), (im.data_vm + got_off + 8, images[0].funcs[0],
                                                                slide_v == 3)]
        for j, (addr, target, auth) in enumerate(im.got):
            last = j == len(im.got) - 1
            if slide_v == 3:
                nxt = 0 if last else 1  # 8-byte units
                if auth:
                    raw = (1 << 63) | (nxt << 51) | (0 << 49) | (1 << 48) | (0x1234 << 32) | (target - BASE)
                else:
                    raw = (nxt << 51) | (target & 0x7FFFFFFFFFF)
            else:
                nxt = 0 if last else 2  # 4-byte units
                raw = target | (nxt << 40)
            struct.pack_into("<Q", data, page + got_off + 8 * j, raw)
    if slide_v == 3:
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
        nundef = im.nsyms - 3
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
            struct.pack("<IIIIII", LC_SYMTAB, 24, link_fileoff + symoff + 16 * im.sym_index, im.nsyms,
                        link_fileoff + stroff, strsize),
            struct.pack("<20I", LC_DYSYMTAB, 80, 0, 0, 0, 3, 3, nundef, *([0] * 12)),
        ]
        if im.index > 0:
            cmds.append(dylib_cmd(LC_LOAD_DYLIB, images[0].path, images[0].current_version, images[0].compat_version))
        body = b"".join(cmds)
        flags = 0x80000000 | 0x80 | 0x4 | 0x1  # MH_DYLIB_IN_CACHE | TWOLEVEL | DYLDLINK | NOUNDEFS
        cpu, sub = (0x01000007, 3) if x86 else (0x0100000C, 2)
        hdr = struct.pack("<IiiIIIII", 0xFEEDFACF, cpu, sub, 6, len(cmds), len(body), flags, 0) + body
        assert len(hdr) <= TEXT_CODE_OFF
        return hdr

    def code_x86(im):
        out = bytearray(b"\x90" * (im.extra_pages * PAGE))
        f0, f1, f2 = im.funcs
        out += b"\xB8" + struct.pack("<I", im.imm) + b"\xC3" + b"\x90\x90"             # mov eax, imm; ret
        got = im.got[0][0]
        out += b"\x48\x8B\x05" + struct.pack("<i", got - (f1 + 7)) + b"\xFF\xE0" + b"\x90\x90\x90"  # mov rax,[rip+got]; jmp rax
        if im.index == 0:
            out += b"\x90\xC3" + b"\x90" * 6
        else:
            out += b"\xE8" + struct.pack("<i", images[0].funcs[0] - (f2 + 5)) + b"\xC3" + b"\x90\x90"  # call; ret
        assert len(out) == im.extra_pages * PAGE + 28
        return bytes(out)

    def code(im):
        if x86:
            return code_x86(im)
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

    bulk = BulkCode() if args.text_kb and not x86 else None

    def write_text(out, im):
        out.put(im.text_fileoff, macho_header(im))
        out.put(im.text_fileoff + TEXT_CODE_OFF, code(im))
        if im.bulk:
            if bulk is None:
                out.put(out.pos, b"\x90" * im.bulk)
            else:
                for chunk in bulk.chunks(im.index, im.bulk):
                    out.f.write(chunk)
                    out.pos += len(chunk)
        end = im.text_fileoff + im.text_size()
        out.put(end, b"")

    # ---- headers -----------------------------------------------------------------------------------
    cache_variant = f"{args.variant}/{args.arch}/{args.subcaches}/{args.text_kb}/{args.shift_pages}"
    main_uuid = uuid_for("main", n, args.slide, cache_variant)
    sub_uuids = [uuid_for("sub", n, args.slide, cache_variant) if j == 0 else uuid_for("sub", j, n, args.slide, cache_variant)
                 for j in range(k_sub)]
    sym_uuid = uuid_for("symbols", n, args.slide, cache_variant)
    magic = b"dyld_v1  x86_64\x00" if x86 else b"dyld_v1  arm64e\x00"
    assert len(magic) == 16

    def header(uuid, mappings, extra):
        h = bytearray(HEADER_SIZE)
        h[0:16] = magic
        struct.pack_into("<II", h, 0x10, HEADER_SIZE, len(mappings))
        h[0x58:0x68] = uuid
        struct.pack_into("<Q", h, 0x68, 1)  # production
        struct.pack_into("<II", h, 0xD8, 1, 0)  # macOS
        struct.pack_into("<QQQ", h, 0xE0, BASE, cache_end, 0x10000000)
        struct.pack_into("<I", h, 0x16C, 0x000E0000)  # 14.0.0
        for off, fmt_, val in extra:
            struct.pack_into(fmt_, h, off, *val)
        return h

    os.makedirs(args.outdir, exist_ok=True)
    base = os.path.join(args.outdir, args.name)

    main_maps = [  # address, size, fileOffset, slideOff, slideSize, flags, maxProt, initProt
        (BASE, main_text_size, 0, 0, 0, 0, 5, 5),
        (data_vm, data_size, data_fileoff, slide_fileoff, len(slide), 0x4, 3, 3),  # CONST_DATA
        (link_vm, link_size, link_fileoff, 0, 0, 0, 1, 1),
    ]
    head = bytearray(hdr_end)
    head[0:HEADER_SIZE] = header(main_uuid, main_maps, [
        (0x88, "<QQ", (text_info_off, n)),
        (0x138, "<II", (slide_tab_off, n_map_main)),
        (0x188, "<II", (sub_arr_off, k_sub)),
        (0x190, "<16s", (sym_uuid,)),
        (0x1C0, "<II", (image_info_off, n)),
    ])
    for i, m in enumerate(main_maps):
        struct.pack_into("<QQQII", head, map_off + 32 * i, m[0], m[1], m[2], m[6], m[7])
        struct.pack_into("<QQQQQQII", head, slide_tab_off + 56 * i, *m)
    for i, im in enumerate(images):
        struct.pack_into("<QQQII", head, image_info_off + 32 * i, im.address, 0, 0, path_offs[i], 0)
        struct.pack_into("<16sQII", head, text_info_off + 32 * i, im.uuid, im.address, im.text_size(), path_offs[i])
    for j in range(k_sub):
        struct.pack_into("<16sQ32s", head, sub_arr_off + 56 * j, sub_uuids[j], sub_vm_offs[j], suffixes[j].encode())
    head[paths_off:paths_off + len(path_pool)] = path_pool
    out = Out(base)
    out.put(0, bytes(head))
    for im in main_imgs:
        write_text(out, im)
    out.put(data_fileoff, bytes(data))
    out.put(link_fileoff, bytes(link))
    out.put(slide_fileoff, slide)
    out.close(main_size)

    sub_maps = []
    for j in range(k_sub):
        sub_map = (BASE + sub_vm_offs[j], sub_sizes[j], 0, 0, 0, 0, 5, 5)
        sub_maps.append(sub_map)
        h = header(sub_uuids[j], [sub_map], [(0x138, "<II", (HEADER_SIZE + 56, 1))])
        out = Out(base + suffixes[j])
        out.put(0, bytes(h) + struct.pack("<QQQII", sub_map[0], sub_map[1], sub_map[2], 5, 5) + b"\x00" * 24 +
                struct.pack("<QQQQQQII", *sub_map))
        for im in groups[j]:
            write_text(out, im)
        out.close(sub_sizes[j])

    # ---- .symbols ------------------------------------------------------------------------------------
    lstrings = bytearray(b" \x00")
    nlist = bytearray()
    entries = bytearray()
    for im in images:
        im.locals = [(f"_{im.short}_static{j}", im.funcs[j]) for j in range(2)]
        start = len(nlist) // 16
        for name, value in im.locals:
            nlist += struct.pack("<IBBHQ", len(lstrings), 0x0E, 1, 0, value)
            lstrings += name.encode() + b"\x00"
        entries += struct.pack("<QII", im.address - BASE, start, len(im.locals))
    info_size = 24
    nlist_off = info_size
    strings_off = nlist_off + len(nlist)
    entries_off = align(strings_off + len(lstrings), 8)
    info = struct.pack("<IIIIII", nlist_off, len(nlist) // 16, strings_off, len(lstrings), entries_off, n)
    local_blob = bytearray(info + nlist + lstrings)
    local_blob += b"\x00" * (entries_off - len(local_blob)) + entries
    sym = bytearray(HEADER_SIZE) + local_blob
    sym[0:HEADER_SIZE] = header(sym_uuid, [], [(0x48, "<QQ", (HEADER_SIZE, len(local_blob)))])
    with open(base + ".symbols", "wb") as f:
        f.write(sym)

    files = {"main": {"uuid": uuid_text(main_uuid), "size": main_size},
             ".symbols": {"uuid": uuid_text(sym_uuid), "size": len(sym)}}
    mappings = {"main": [[hex(m[0]), hex(m[1]), hex(m[2])] for m in main_maps]}
    for j in range(k_sub):
        files[suffixes[j]] = {"uuid": uuid_text(sub_uuids[j]), "size": sub_sizes[j], "vm_offset": hex(sub_vm_offs[j])}
        mappings[suffixes[j]] = [[hex(sub_maps[j][0]), hex(sub_maps[j][1]), hex(sub_maps[j][2])]]
    manifest = {
        "name": args.name, "variant": args.variant, "arch": args.arch, "slide_version": slide_v, "base": hex(BASE),
        "files": files, "mappings": mappings,
        "slide_info": {"file_offset": hex(slide_fileoff), "size": len(slide)},
        "linkedit": {"file_offset": hex(link_fileoff), "symoff": hex(link_fileoff + symoff),
                     "stroff": hex(link_fileoff + stroff), "strsize": strsize},
        "images": [],
    }
    if n <= 10000:
        for im in images:
            manifest["images"].append({
                "path": im.path, "address": hex(im.address), "uuid": uuid_text(im.uuid), "file": im.file,
                "header_offset": hex(im.text_fileoff), "text_size": hex(im.text_size()),
                "code_size": im.code_size(),
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
    ap.add_argument("--arch", choices=("arm64e", "x86_64"), default="arm64e")
    ap.add_argument("--subcaches", type=int, default=1, help="number of subcache files .01 .. (1..99)")
    ap.add_argument("--text-kb", type=int, default=0, help="extra generated code per image (KiB, varies ±50%%)")
    ap.add_argument("--shift-pages", type=int, default=0, help="pages inserted before the first image")
    ap.add_argument("--name", default=None)
    ap.add_argument("--manifest", default=None, help="manifest file name (default MANIFEST.json)")
    args = ap.parse_args()
    if args.images < 1:
        ap.error("--images must be at least 1")
    if not 1 <= args.subcaches <= 99:
        ap.error("--subcaches must be 1..99")
    if args.name is None:
        args.name = "dyld_shared_cache_" + args.arch
    build(args)


if __name__ == "__main__":
    main()
