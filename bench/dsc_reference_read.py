#!/usr/bin/env python3
"""Reference dyld-cache lister for bench_dsc.sh (python3 stdlib; no peer tool is packaged in Debian 12):
prints `path<TAB>address<TAB>name` for every export of every image, like `upscope dsc images --exports`.
Follows docs/formats/dyld-cache.md §1, §3 and §5-§8: header, v1/v2 subcache entries, merged VM map,
per-image load commands, LINKEDIT via VM, export trie walk."""
import mmap
import struct
import sys


def main(path):
    files = []

    def open_file(p):
        f = open(p, "rb")
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        files.append(m)
        return m

    main_m = open_file(path)
    mapping_off, mapping_count = struct.unpack_from("<II", main_m, 0x10)
    vm = []  # (start, end, file index, file offset)

    def add_mappings(fi, m):
        off, count = struct.unpack_from("<II", m, 0x10)
        for i in range(count):
            a, s, fo = struct.unpack_from("<QQQ", m, off + 32 * i)
            vm.append((a, a + s, fi, fo))

    add_mappings(0, main_m)
    if mapping_off > 0x18C:
        sub_off, sub_count = struct.unpack_from("<II", main_m, 0x188)
        v2 = mapping_off > 0x1C8
        for i in range(sub_count):
            if v2:
                suffix = main_m[sub_off + 56 * i + 24:sub_off + 56 * i + 56].split(b"\0")[0].decode()
            else:
                suffix = f".{i + 1}"
            add_mappings(len(files), open_file(path + suffix))
    vm.sort()

    def read(addr, size):
        for a, e, fi, fo in vm:
            if a <= addr < e:
                o = fo + addr - a
                return files[fi][o:o + size], files[fi], o
        raise KeyError(hex(addr))

    if mapping_off >= 0x1C4:
        img_off, img_count = struct.unpack_from("<II", main_m, 0x1C0)
    else:
        img_off, img_count = struct.unpack_from("<II", main_m, 0x18)
    out = []
    for i in range(img_count):
        addr, _, _, path_off = struct.unpack_from("<QQQI", main_m, img_off + 32 * i)
        name = main_m[path_off:main_m.find(b"\0", path_off)].decode()
        _, m, o = read(addr, 32)
        ncmds, sizeofcmds = struct.unpack_from("<II", m, o + 16)
        p = o + 32
        text_vm = linkedit = trie = None
        for _ in range(ncmds):
            cmd, cmdsize = struct.unpack_from("<II", m, p)
            if cmd == 0x19:
                seg = m[p + 8:p + 24].split(b"\0")[0]
                vmaddr, vmsize, fileoff = struct.unpack_from("<QQQ", m, p + 24)
                if seg == b"__TEXT":
                    text_vm = vmaddr
                elif seg == b"__LINKEDIT":
                    linkedit = (vmaddr, fileoff)
            elif cmd == 0x80000033:
                trie = struct.unpack_from("<II", m, p + 8)
            elif cmd in (0x22, 0x80000022):
                eo, es = struct.unpack_from("<II", m, p + 40)
                if es:
                    trie = (eo, es)
            p += cmdsize
        if not trie or not linkedit:
            continue
        blob, _, _ = read(linkedit[0] + trie[0] - linkedit[1], trie[1])
        walk(bytes(blob), 0, b"", lambda sym, off: out.append(f"{name}\t{text_vm + off:#x}\t{sym.decode()}"), 0)
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


def uleb(b, p):
    v = shift = 0
    while True:
        x = b[p]
        p += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return v, p


def walk(b, node, prefix, emit, depth):
    if depth > 128 or node >= len(b):
        return
    size, p = uleb(b, node)
    if size:
        flags, q = uleb(b, p)
        if not flags & 0x08:
            addr, _ = uleb(b, q)
            emit(prefix, addr)
    p += size
    count = b[p]
    p += 1
    for _ in range(count):
        e = b.index(b"\0", p)
        edge = b[p:e]
        child, p = uleb(b, e + 1)
        walk(b, child, prefix + edge, emit, depth + 1)


if __name__ == "__main__":
    main(sys.argv[1])
