#!/usr/bin/env python3
"""Writes an HFS+ or HFSX volume image (python3 stdlib only), independently of upscope's C++ reader.

Layout follows Apple TN1150: boot blocks, the volume header at 1024 and its copy 1024 bytes before
the end, the allocation bitmap, and the extents-overflow, catalog and attributes B-trees (node 0 a
header node, leaves chained, index levels above them). The default tree holds folders, plain files,
a file fragmented into 20 extents (12 of them in extents-overflow records), two hard links to one
iNode file in the private folder, a symlink, inline and fork-data xattrs, a resource fork, and
decmpfs files of type 3 (zlib inline in the xattr) and type 4 (zlib chunks in the resource fork);
--lzbitmap adds /lzbitmap with types 13 and 14 (LZBITMAP, samples/gen/lzbitmap.py).

  make_hfs.py out.hfs [--hfsx] [--gpt] [--lzbitmap] [--manifest out.json]
  make_hfs.py big.hfs --bench 1G       # many files of random content, for benchmarks

--manifest writes the expected tree (path, CNID, size, sha256, kind) for tests.
--wrapper puts the volume inside a classic HFS wrapper (an HFS MDB with an embedded HFS+ extent).
"""
import argparse
import hashlib
import json
import os
import random
import struct
import sys
import unicodedata
import zlib

HFS_EPOCH = 2082844800
DATE = 1700000000 + HFS_EPOCH  # 2023-11-14, fixed so images are reproducible
FOLDER, FILE, FOLDER_THREAD, FILE_THREAD = 1, 2, 3, 4
UF_COMPRESSED = 0x20
HAS_DATE_ADDED = 0x80  # kHFSHasDateAddedMask
PRIVATE_DATA = "\0\0\0\0HFS+ Private Data"


def parse_size(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * mult[text[-1].upper()]) if text[-1].upper() in mult else int(text)


def u16name(name):
    return unicodedata.normalize("NFD", name).encode("utf-16-be")


class Node:
    def __init__(self, kind, name, parent, cnid, data=b"", rsrc=b"", mode=None, xattrs=None, ftype=b"\0" * 4,
                 creator=b"\0" * 4, special=0, owner_flags=0, flags=0, fragment=0):
        self.kind, self.name, self.parent, self.cnid = kind, name, parent, cnid
        self.data, self.rsrc = data, rsrc
        self.mode = mode if mode is not None else (0o40755 if kind == FOLDER else 0o100644)
        self.xattrs = xattrs or []  # (name, bytes)
        self.ftype, self.creator, self.special = ftype, creator, special
        self.owner_flags, self.flags, self.fragment = owner_flags, flags, fragment
        self.children = []
        self.data_ext, self.rsrc_ext = [], []
        self.xattr_forks = {}  # name -> extents of fork-data xattrs


class Volume:
    def __init__(self, block_size, hfsx, name):
        self.bs, self.hfsx, self.name = block_size, hfsx, name
        self.nodes = {}
        self.next_cnid = 16
        self.root = self.add(FOLDER, name, 1, cnid=2)

    def add(self, kind, name, parent, cnid=None, **kw):
        if cnid is None:
            cnid = self.next_cnid
            self.next_cnid += 1
        n = Node(kind, name, parent, cnid, **kw)
        self.nodes[cnid] = n
        if parent in self.nodes:
            self.nodes[parent].children.append(n)
        return n


def key_name_order(vol, name):
    """Catalog order of names: binary for HFSX, case-folded (ASCII/Latin-1 is enough here) for HFS+."""
    units = list(struct.unpack(">%dH" % (len(name) // 2), name))
    if not vol.hfsx:
        units = [u + 0x20 if (0x41 <= u <= 0x5A or (0xC0 <= u <= 0xDE and u != 0xD7)) else u for u in units]
    return units


# ---- B-trees ----

def build_btree(records, node_size, max_key_len, variable_index_keys, btree_type=0, compare_type=0):
    """records: sorted (key_bytes, data_bytes), key_bytes starting with its u16 keyLength.
    Returns the tree file bytes (node 0 the header node)."""
    def pack_nodes(recs):
        nodes, cur, used = [], [], 14
        for r in recs:
            size = len(r[0]) + len(r[1])
            if cur and used + size + 2 * (len(cur) + 2) > node_size:
                nodes.append(cur)
                cur, used = [], 14
            cur.append(r)
            used += size
        if cur:
            nodes.append(cur)
        return nodes

    level = pack_nodes(records) if records else []
    # Number nodes: 0 header, then leaves, then each index level.
    numbered = []  # (kind, height, records, number)
    next_no = 1
    leaf_nos = []
    for recs in level:
        leaf_nos.append(next_no)
        next_no += 1
    child_level, child_nos, height = level, leaf_nos, 1
    index_levels = []
    while len(child_level) > 1:
        idx_recs = []
        for recs, no in zip(child_level, child_nos):
            key = recs[0][0]
            if not variable_index_keys:
                key = struct.pack(">H", max_key_len) + key[2:].ljust(max_key_len, b"\0")
            idx_recs.append((key, struct.pack(">I", no)))
        parents = pack_nodes(idx_recs)
        nos = list(range(next_no, next_no + len(parents)))
        next_no += len(parents)
        height += 1
        index_levels.append((parents, nos, height))
        child_level, child_nos = parents, nos
    total_nodes = max(next_no, 1)
    # Round the file up: a few free nodes, as Apple's trees have.
    total_nodes = total_nodes + 4
    out = bytearray(total_nodes * node_size)

    def write_node(no, flink, blink, kind, height, recs):
        base = no * node_size
        struct.pack_into(">IIbBHH", out, base, flink, blink, kind, height, len(recs), 0)
        pos = 14
        offs = []
        for k, d in recs:
            offs.append(pos)
            out[base + pos:base + pos + len(k)] = k
            pos += len(k)
            out[base + pos:base + pos + len(d)] = d
            pos += len(d)
        offs.append(pos)
        for i, o in enumerate(offs):
            struct.pack_into(">H", out, base + node_size - 2 * (i + 1), o)

    for i, (recs, no) in enumerate(zip(level, leaf_nos)):
        write_node(no, leaf_nos[i + 1] if i + 1 < len(leaf_nos) else 0, leaf_nos[i - 1] if i else 0, -1, 1, recs)
    for parents, nos, h in index_levels:
        for i, (recs, no) in enumerate(zip(parents, nos)):
            write_node(no, nos[i + 1] if i + 1 < len(nos) else 0, nos[i - 1] if i else 0, 0, h, recs)
    depth = (index_levels[-1][2] if index_levels else 1) if level else 0
    root = (index_levels[-1][1][0] if index_levels else leaf_nos[0]) if level else 0
    attrs = 2 | (4 if variable_index_keys else 0)  # kBTBigKeysMask, kBTVariableIndexKeysMask
    header = struct.pack(">HIIIIHHII", depth, root, len(records), leaf_nos[0] if level else 0,
                         leaf_nos[-1] if level else 0, node_size, max_key_len, total_nodes,
                         total_nodes - next_no)
    header += struct.pack(">HIBBI", 0, node_size, btree_type, compare_type, attrs) + b"\0" * 64
    assert len(header) == 106
    used = next_no
    bitmap = bytearray(node_size - 14 - 106 - 128 - 8)
    assert used <= len(bitmap) * 8, "tree too large for the header node's map record"
    for n in range(used):
        bitmap[n // 8] |= 0x80 >> (n % 8)
    write_node(0, 0, 0, 1, 0, [(header, b""), (bytes(128), b""), (bytes(bitmap), b"")])
    return bytes(out)


def catalog_key(vol, parent, name16):
    return struct.pack(">HIH", 6 + len(name16), parent, len(name16) // 2) + name16


def fork_data(size, extents, total_blocks=None):
    ext = extents[:8] + [(0, 0)] * (8 - min(8, len(extents)))
    blocks = total_blocks if total_blocks is not None else sum(c for _, c in extents)
    return struct.pack(">QII", size, 0, blocks) + b"".join(struct.pack(">II", s, c) for s, c in ext)


def extended_info():
    """FndrExtendedFileInfo / FndrExtendedDirInfo: document_id, date_added (Unix time), flags, ..."""
    return struct.pack(">IiHHI", 0, DATE - HFS_EPOCH, 0, 0, 0)


def catalog_records(vol):
    recs = []
    for n in vol.nodes.values():
        name16 = u16name(n.name)
        key = catalog_key(vol, n.parent, name16)
        perms = struct.pack(">IIBBHI", 501, 20, 0, n.owner_flags, n.mode, n.special)
        if n.kind == FOLDER:
            body = struct.pack(">hHII", FOLDER, n.flags | HAS_DATE_ADDED, len(n.children), n.cnid)
            body += struct.pack(">IIIII", DATE, DATE, DATE, DATE, 0) + perms + bytes(16) + extended_info()
            body += struct.pack(">II", 0, 0)
            assert len(body) == 88
            thread_type = FOLDER_THREAD
        else:
            body = struct.pack(">hHII", FILE, n.flags | HAS_DATE_ADDED, 0, n.cnid)
            body += struct.pack(">IIIII", DATE, DATE, DATE, DATE, 0) + perms
            body += n.ftype + n.creator + bytes(8) + extended_info() + struct.pack(">II", 0, 0)
            body += fork_data(len(n.data) if not (n.owner_flags & UF_COMPRESSED) else 0, n.data_ext)
            body += fork_data(len(n.rsrc), n.rsrc_ext)
            assert len(body) == 248
            thread_type = FILE_THREAD
        recs.append(((n.parent, key_name_order(vol, name16)), key, body))
        tkey = catalog_key(vol, n.cnid, b"")
        tbody = struct.pack(">hhIH", thread_type, 0, n.parent, len(name16) // 2) + name16
        recs.append(((n.cnid, []), tkey, tbody))
    recs.sort(key=lambda r: r[0])
    return [(k, d) for _, k, d in recs]


def attribute_records(vol, inline_limit):
    recs = []
    for n in vol.nodes.values():
        for name, value in n.xattrs:
            name16 = name.encode("utf-16-be")
            key = struct.pack(">HHIIH", 12 + len(name16), 0, n.cnid, 0, len(name16) // 2) + name16
            if name in n.xattr_forks:
                ext = n.xattr_forks[name]
                body = struct.pack(">II", 0x20, 0) + fork_data(len(value), ext)
            else:
                assert len(value) <= inline_limit
                body = struct.pack(">IIII", 0x10, 0, 0, len(value)) + value
                if len(body) % 2:
                    body += b"\0"
            recs.append(((n.cnid, list(struct.unpack(">%dH" % (len(name16) // 2), name16)), 0), key, body))
    recs.sort(key=lambda r: r[0])
    return [(k, d) for _, k, d in recs]


# ---- decmpfs ----

def decmpfs_type3(data):
    comp = zlib.compress(data, 9)
    return struct.pack("<4sIQ", b"fpmc", 3, len(data)) + comp


def decmpfs_type4_rsrc(data):
    chunks = [zlib.compress(data[i:i + 65536], 9) for i in range(0, len(data), 65536)]
    table = struct.pack("<I", len(chunks))
    off = 4 + 8 * len(chunks)
    for c in chunks:
        table += struct.pack("<II", off, len(c))
        off += len(c)
    res = table + b"".join(chunks)
    data_len = 4 + len(res)  # the big-endian length before the resource data
    map_off = 0x100 + data_len
    header = struct.pack(">IIII", 0x100, map_off, data_len, 0x32)
    rmap = header + struct.pack(">IHHHHH", 0, 0, 0, 0x1C, 0x32, 0) + b"cmpf" + struct.pack(">HH", 0, 0x0A)
    rmap += struct.pack(">HHBBHI", 1, 0xFFFF, 0, 0, 0, 0)
    assert len(rmap) == 0x32
    fork = header + bytes(0x100 - 16) + struct.pack(">I", len(res)) + res + rmap
    return struct.pack("<4sIQ", b"fpmc", 4, len(data)), fork


def decmpfs_lzbitmap(data, rsrc):
    """Type 13 (inline ZBM stream) or 14 (offset table + one ZBM stream per 64 KiB), after
    docs/formats/lzbitmap.md §4: (xattr, fork)."""
    import lzbitmap  # samples/gen/lzbitmap.py, beside this file
    if not rsrc:
        return struct.pack("<4sIQ", b"fpmc", 13, len(data)) + lzbitmap.encode(data), b""
    chunks = [lzbitmap.encode(data[i:i + 65536]) for i in range(0, len(data), 65536)]
    off = 4 * (len(chunks) + 1)
    table = b""
    for c in chunks:
        table += struct.pack("<I", off)
        off += len(c)
    table += struct.pack("<I", off)
    return struct.pack("<4sIQ", b"fpmc", 14, len(data)), table + b"".join(chunks)


def lzbitmap_fixture(vol):
    """--lzbitmap: decmpfs types 13 and 14 in /lzbitmap; the manifest takes their plaintext as is."""
    d = vol.add(FOLDER, "lzbitmap", vol.root.cnid)
    for name, data, rsrc in (("type13.txt", text(8, 4000), False), ("type14.txt", text(9, 150000), True)):
        h, fork = decmpfs_lzbitmap(data, rsrc)
        n = vol.add(FILE, name, d.cnid, owner_flags=UF_COMPRESSED, rsrc=fork, xattrs=[("com.apple.decmpfs", h)])
        n.plain = data


# ---- the default fixture ----

def text(seed, n):
    rnd = random.Random(seed)
    words = ["apple", "volume", "catalog", "extent", "btree", "fork", "finder", "node", "record", "journal"]
    out = []
    size = 0
    while size < n:
        w = rnd.choice(words)
        out.append(w)
        size += len(w) + 1
    return (" ".join(out) + "\n").encode()[:n]


def fixture(vol):
    r = vol.root.cnid
    hello = vol.add(FILE, "hello.txt", r, data=b"Hello, HFS+!\n")
    docs = vol.add(FOLDER, "docs", r)
    vol.add(FILE, "readme.md", docs.cnid, data=text(1, 3000))
    nested = vol.add(FOLDER, "nested", docs.cnid)
    deep = vol.add(FOLDER, "deep", nested.cnid)
    vol.add(FILE, "file.bin", deep.cnid, data=random.Random(2).randbytes(10000))
    vol.add(FILE, "MixedCase.TXT", r, data=b"case folding\n")
    vol.add(FILE, "caf\u00e9.txt", r, data=b"accent\n")
    vol.add(FILE, "fragmented.bin", r, data=random.Random(3).randbytes(20 * vol.bs - 100), fragment=20)
    vol.add(FILE, "empty.txt", r, data=b"")
    vol.add(FILE, "with_rsrc.txt", r, data=b"data fork\n", rsrc=b"resource fork bytes\n")
    vol.add(FILE, "xattrs.txt", r, data=b"has attributes\n",
            xattrs=[("user.small", b"tiny value"), ("com.example.large", text(4, 10000))])
    big = text(5, 200000)
    h3 = decmpfs_type3(text(6, 5000))
    vol.add(FILE, "compressed3.txt", r, owner_flags=UF_COMPRESSED, xattrs=[("com.apple.decmpfs", h3)])
    h4, fork4 = decmpfs_type4_rsrc(big)
    vol.add(FILE, "compressed4.txt", r, owner_flags=UF_COMPRESSED, rsrc=fork4, xattrs=[("com.apple.decmpfs", h4)])
    vol.add(FILE, "link_to_hello", r, data=b"hello.txt", mode=0o120755, ftype=b"slnk", creator=b"rhap")
    vol.add(FILE, "dangling", docs.cnid, data=b"../no/such/file", mode=0o120755, ftype=b"slnk", creator=b"rhap")
    priv = vol.add(FOLDER, PRIVATE_DATA, r, mode=0o40000)
    inode = vol.add(FILE, "iNode0", priv.cnid, data=b"shared by two hard links\n", special=2, flags=0x20)
    inode.name = "iNode%d" % inode.cnid
    for name, parent in (("hardlink_a", r), ("hardlink_b", docs.cnid)):
        vol.add(FILE, name, parent, ftype=b"hlnk", creator=b"hfs+", special=inode.cnid, flags=0x20)
    return {"hello": hello.cnid}


def bench_fixture(vol, total):
    rnd = random.Random(7)
    r = vol.root.cnid
    made, d = 0, 0
    folder = None
    i = 0
    while made < total:
        if i % 100 == 0:
            folder = vol.add(FOLDER, "dir%03d" % d, r)
            d += 1
        size = min(total - made, rnd.choice([4096, 20000, 150000, 600000, 2500000]))
        vol.add(FILE, "file%05d.bin" % i, folder.cnid, data=rnd.randbytes(size))
        made += size
        i += 1


# ---- allocation and image ----

def layout(vol, extra_blocks):
    bs = vol.bs
    cursor = [1 + (1535 // bs)]  # first block after the volume header

    def alloc(nbytes):
        n = max(1, (nbytes + bs - 1) // bs) if nbytes else 0
        if not n:
            return []
        start = cursor[0]
        cursor[0] += n
        return [(start, n)]

    for n in vol.nodes.values():
        if n.kind != FILE:
            continue
        if n.fragment and n.data:
            nblocks = (len(n.data) + bs - 1) // bs
            per = nblocks // n.fragment
            ext = []
            for k in range(n.fragment):
                cnt = per if k < n.fragment - 1 else nblocks - per * (n.fragment - 1)
                ext.append((cursor[0], cnt))
                cursor[0] += cnt + 1  # leave a free block: no two extents merge
            n.data_ext = ext
        elif not (n.owner_flags & UF_COMPRESSED):
            n.data_ext = alloc(len(n.data))
        n.rsrc_ext = alloc(len(n.rsrc))
    return cursor, alloc


def write_image(vol, path, inline_limit=3802, extra=64):
    bs = vol.bs
    cursor, alloc = layout(vol, extra)
    for n in vol.nodes.values():
        for name, value in n.xattrs:
            if len(value) > inline_limit:
                n.xattr_forks[name] = alloc(len(value))
    # Extents overflow records for fragmented forks.
    ext_recs = []
    for n in vol.nodes.values():
        for fork_type, ext in ((0, n.data_ext), (0xFF, n.rsrc_ext)):
            start = sum(c for _, c in ext[:8])
            rest = ext[8:]
            while rest:
                group, rest = rest[:8], rest[8:]
                key = struct.pack(">HBBII", 10, fork_type, 0, n.cnid, start)
                body = b"".join(struct.pack(">II", s, c) for s, c in group + [(0, 0)] * (8 - len(group)))
                ext_recs.append(((n.cnid, fork_type, start), key, body))
                start += sum(c for _, c in group)
    ext_recs.sort(key=lambda r: r[0])
    ext_tree = build_btree([(k, d) for _, k, d in ext_recs], 4096, 10, False, 0, 0)
    cat_tree = build_btree(catalog_records(vol), 4096, 516, True, 0, 0xBC if vol.hfsx else 0xCF)
    attr_tree = build_btree(attribute_records(vol, inline_limit), 4096, 266, True, 0, 0)
    ext_alloc = alloc(len(ext_tree))
    cat_alloc = alloc(len(cat_tree))
    attr_alloc = alloc(len(attr_tree))
    data_end = cursor[0]
    total_blocks = data_end + extra
    bitmap_bytes = (total_blocks + 7) // 8
    bitmap_alloc = alloc(bitmap_bytes)
    total_blocks = max(total_blocks, cursor[0] + 2)
    bitmap = bytearray(((bitmap_bytes + bs - 1) // bs) * bs)
    used = set()
    used.add(0)

    def mark(ext):
        for s, c in ext:
            for b in range(s, s + c):
                used.add(b)

    for n in vol.nodes.values():
        mark(n.data_ext)
        mark(n.rsrc_ext)
        for ext in n.xattr_forks.values():
            mark(ext)
    for e in (ext_alloc, cat_alloc, attr_alloc, bitmap_alloc):
        mark(e)
    used.add(total_blocks - 1)  # the alternate volume header's block
    for b in used:
        bitmap[b // 8] |= 0x80 >> (b % 8)

    files = sum(1 for n in vol.nodes.values() if n.kind == FILE)
    folders = sum(1 for n in vol.nodes.values() if n.kind == FOLDER) - 1
    vh = struct.pack(">2sH17IQ", b"HX" if vol.hfsx else b"H+", 5 if vol.hfsx else 4,
                     0x100, 0x31302E30, 0, DATE, DATE, 0, DATE, files, folders, bs, total_blocks,
                     total_blocks - len(used), cursor[0], 65536, 65536, vol.next_cnid, 1, 1)
    vh += bytes(32)
    vh += fork_data(len(bitmap), bitmap_alloc)
    vh += fork_data(len(ext_tree), ext_alloc)
    vh += fork_data(len(cat_tree), cat_alloc)
    vh += fork_data(len(attr_tree), attr_alloc)
    vh += fork_data(0, [])
    assert len(vh) == 512, len(vh)

    size = total_blocks * bs
    with open(path, "wb") as f:
        f.truncate(size)

        def put(ext, data):
            pos = 0
            for s, c in ext:
                chunk = data[pos:pos + c * bs]
                f.seek(s * bs)
                f.write(chunk)
                pos += c * bs

        for n in vol.nodes.values():
            if n.kind == FILE:
                if not (n.owner_flags & UF_COMPRESSED):
                    put(n.data_ext, n.data)
                put(n.rsrc_ext, n.rsrc)
            for name, value in n.xattrs:
                if name in n.xattr_forks:
                    put(n.xattr_forks[name], value)
        put(ext_alloc, ext_tree)
        put(cat_alloc, cat_tree)
        put(attr_alloc, attr_tree)
        put(bitmap_alloc, bytes(bitmap))
        f.seek(1024)
        f.write(vh)
        f.seek(size - 1024)
        f.write(vh)
    return size


def manifest(vol):
    out = []

    def walk(n, path):
        for c in sorted(n.children, key=lambda c: key_name_order(vol, u16name(c.name))):
            p = path + "/" + c.name
            if c.name == PRIVATE_DATA:
                continue
            e = {"path": p, "cnid": c.cnid, "kind": "folder" if c.kind == FOLDER else "file"}
            if c.kind == FILE:
                content = c.data
                if c.ftype == b"hlnk":
                    content = vol.nodes[c.special].data
                    e["kind"] = "hardlink"
                    e["inode"] = c.special
                elif c.mode & 0o170000 == 0o120000:
                    e["kind"] = "symlink"
                    e["target"] = c.data.decode()
                if c.owner_flags & UF_COMPRESSED:
                    h = dict(c.xattrs)["com.apple.decmpfs"]
                    typ, size = struct.unpack("<IQ", h[4:16])
                    if typ == 3:
                        content = zlib.decompress(h[16:])
                    elif typ in (13, 14):
                        content = c.plain
                    else:
                        fork = c.rsrc
                        count = struct.unpack("<I", fork[0x104:0x108])[0]
                        parts = []
                        for k in range(count):
                            o, ln = struct.unpack("<II", fork[0x108 + 8 * k:0x110 + 8 * k])
                            parts.append(zlib.decompress(fork[0x104 + o:0x104 + o + ln]))
                        content = b"".join(parts)
                    e["decmpfs_type"] = typ
                e["size"] = len(content)
                e["sha256"] = hashlib.sha256(content).hexdigest()
                e["xattrs"] = {k: len(v) for k, v in c.xattrs}
                e["rsrc_size"] = len(c.rsrc)
                e["extents"] = len(c.data_ext)
            out.append(e)
            if c.kind == FOLDER:
                walk(c, p)

    walk(vol.root, "")
    return out


def wrap_gpt(hfs_path, out_path):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from make_udif import gpt_structures, HFS_GUID  # the same GPT writer as the UDIF fixtures
    size = os.path.getsize(hfs_path)
    part = (size + 511) // 512
    total = 40 + part + 33
    mbr, hdr, table, bhdr = gpt_structures(total, 40, 40 + part - 1, HFS_GUID, "disk image")
    with open(out_path, "wb") as o, open(hfs_path, "rb") as i:
        o.truncate(total * 512)
        o.write(mbr + hdr + table)
        o.seek(40 * 512)
        while True:
            b = i.read(1 << 20)
            if not b:
                break
            o.write(b)
        o.seek((total - 33) * 512)
        o.write(table + bhdr)


def wrap_hfs(hfs_path, out_path, block=4096):
    """A classic HFS volume (MDB at 1024) whose embedded extent is the HFS+ volume."""
    size = os.path.getsize(hfs_path)
    al_start = 8  # in 512-byte sectors: first allocation block at 4096
    nblocks = (size + block - 1) // block
    mdb = bytearray(512)
    struct.pack_into(">H", mdb, 0, 0x4244)
    struct.pack_into(">I", mdb, 20, block)       # drAlBlkSiz
    struct.pack_into(">H", mdb, 28, al_start)    # drAlBlSt
    struct.pack_into(">H", mdb, 18, nblocks + 1)  # drNmAlBlks
    struct.pack_into(">H", mdb, 124, 0x482B)     # drEmbedSigWord
    struct.pack_into(">HH", mdb, 126, 0, nblocks)  # drEmbedExtent
    with open(out_path, "wb") as o, open(hfs_path, "rb") as i:
        o.truncate(al_start * 512 + (nblocks + 1) * block + 1024)
        o.seek(1024)
        o.write(mdb)
        o.seek(al_start * 512)
        o.write(i.read())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--hfsx", action="store_true", help="case-sensitive HFSX (signature HX, binary compare)")
    ap.add_argument("--name", default=None, help="volume name")
    ap.add_argument("--gpt", action="store_true", help="put the volume in partition 1 of a GPT disk")
    ap.add_argument("--wrapper", action="store_true", help="embed the volume in a classic HFS wrapper")
    ap.add_argument("--bench", help="instead of the fixture: random files totalling this size (e.g. 1G)")
    ap.add_argument("--manifest", help="write the expected tree as JSON here")
    ap.add_argument("--lzbitmap", action="store_true", help="also /lzbitmap with decmpfs types 13 and 14 (LZBITMAP)")
    a = ap.parse_args()
    vol = Volume(4096, a.hfsx, a.name or ("hfsx_fixture" if a.hfsx else "hfs_fixture"))
    if a.bench:
        bench_fixture(vol, parse_size(a.bench))
    else:
        fixture(vol)
    if a.lzbitmap:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        lzbitmap_fixture(vol)
    target = a.output + ".vol" if (a.gpt or a.wrapper) else a.output
    write_image(vol, target)
    if a.gpt:
        wrap_gpt(target, a.output)
        os.remove(target)
    elif a.wrapper:
        wrap_hfs(target, a.output)
        os.remove(target)
    if a.manifest:
        with open(a.manifest, "w") as f:
            json.dump({"volume": vol.name, "files": manifest(vol)}, f, indent=1)
    print(f"{a.output}: {len(vol.nodes)} catalog entries", file=sys.stderr)


if __name__ == "__main__":
    main()
