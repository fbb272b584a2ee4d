#!/usr/bin/env python3
"""BOM (BOMStore) writer for upscope's tests. python3 stdlib only.

Built from docs/formats/bom.md: a 512-byte header, the variables, the blocks, then the block table and
an empty free list at the end. Everything is big-endian. Records follow Apple's OTA layout: files
carry a POSIX cksum CRC and a SHA-1 digest (flag 0x10), executables an architecture list, tree nodes
are padded to the node size and branches keep their right-most child as a bare u32 after the keyed
entries. No BOM tool exists in Debian to cross-check (no lsbom, no mkbom): the tests check the reader
against the manifest this writer prints, and against Apple's own payload.bom.

Commands:
  sample OUT [--leaf-cap N] [--branch-cap N] [--keyed-branches] [--manifest JSON]
      files, directories, symlinks, a device, an executable, three levels of directories
  many OUT --count N [--leaf-cap N] [--branch-cap N] [--keyed-branches] [--manifest JSON]
      N paths in nested directories: with small caps the Paths tree needs branch levels;
      --keyed-branches writes bomutils' branch layout instead of Apple's
  empty OUT        a BOM whose Paths tree holds no path (like an OTA's pre.bom)
  broken DIR       one malformed copy per validation rule (DIR/<rule>.bom), see BROKEN below

As a module: build(entries, ...) -> bytes, where entries are dicts made by entry() (used by make_pkg.py).
"""
import argparse
import hashlib
import json
import os
import struct
import sys

HEADER_SIZE = 512
TYPE = {"file": 1, "directory": 2, "symlink": 3, "device": 4}
MODE_TYPE = {"file": 0o100000, "directory": 0o040000, "symlink": 0o120000, "device": 0o020000}

# POSIX cksum: CRC-32 with polynomial 0x04C11DB7, MSB first, over the data then its length
# (least significant byte first, no trailing zero bytes), complemented.
_CRC_TABLE = []
for _i in range(256):
    _c = _i << 24
    for _ in range(8):
        _c = ((_c << 1) ^ 0x04C11DB7) if _c & 0x80000000 else (_c << 1)
    _CRC_TABLE.append(_c & 0xFFFFFFFF)


def cksum(data):
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ b) & 0xFF]
    n = len(data)
    while n:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ (n & 0xFF)) & 0xFF]
        n >>= 8
    return (~crc) & 0xFFFFFFFF


def entry(path, kind, mode=None, uid=0, gid=0, mtime=1700000000, content=b"", target="", device=0, arch=None):
    """One path ("./a/b"). content: file bytes (size, cksum, SHA-1); arch: CPU type of a thin executable."""
    perm = {"directory": 0o755, "symlink": 0o755}.get(kind, 0o644)
    return {"path": path, "type": kind, "mode": MODE_TYPE[kind] | (mode if mode is not None else perm), "uid": uid,
            "gid": gid, "mtime": mtime, "content": content, "target": target, "device": device, "arch": arch}


def path_info(e):
    kind = e["type"]
    flags = 0x000F
    tail = b""
    size = 0
    if kind == "file":
        data = e["content"]
        size = len(data)
        flags |= 0x0010
        tail = struct.pack(">I", cksum(data))
        if e["arch"] is not None:
            flags |= 0x1000
            tail += struct.pack(">BI", 1, 1) + struct.pack(">IIII", e["arch"], 0, size, cksum(data))
        digest = hashlib.sha1(data).digest()
        tail += struct.pack(">I", len(digest)) + digest
    elif kind == "symlink":
        t = e["target"].encode() + b"\0"
        size = len(t) - 1
        tail = struct.pack(">II", cksum(t[:-1]), len(t)) + t
    elif kind == "device":
        tail = struct.pack(">I", e["device"])
    head = struct.pack(">BBHHIIIIB", TYPE[kind], 1, flags, e["mode"], e["uid"], e["gid"], e["mtime"], size, 1)
    return head + tail + b"\0" * 8


class Store:
    def __init__(self):
        self.blocks = [None]  # block 0: the null block
        self.vars = []

    def add(self, data):
        self.blocks.append(bytearray(data))
        return len(self.blocks) - 1

    def var(self, name, data):
        self.vars.append((name, self.add(data)))

    def write(self, blocks_in_use=None, extra_table_entries=4):
        names = b"".join(struct.pack(">IB", b, len(n)) + n.encode() for n, b in self.vars)
        variables = struct.pack(">I", len(self.vars)) + names
        out = bytearray(HEADER_SIZE) + variables
        table = []
        for b in self.blocks[1:]:
            table.append((len(out), len(b)))
            out += b
        # Like Apple's files: a few unused entries after the last block.
        entries = [(0, 0)] + table + [(0, 0)] * extra_table_entries
        table_off = len(out)
        out += struct.pack(">I", len(entries)) + b"".join(struct.pack(">II", a, l) for a, l in entries)
        out += struct.pack(">I", 0) + b"\0" * 16  # empty free list, two spare slots
        in_use = len(table) if blocks_in_use is None else blocks_in_use
        struct.pack_into(">8sIIIIII", out, 0, b"BOMStore", 1, in_use, table_off, len(out) - table_off,
                         HEADER_SIZE, len(variables))
        return bytes(out)


def tree_header(root, node_size, count):
    return b"tree" + struct.pack(">IIIIB", 1, root, node_size, count, 0)


def node(leaf, pairs, forward=0, backward=0, trailing=None, node_size=4096):
    body = struct.pack(">HHII", 1 if leaf else 0, len(pairs), forward, backward)
    body += b"".join(struct.pack(">II", v, k) for v, k in pairs)
    if trailing is not None:
        body += struct.pack(">I", trailing)
    return body + b"\0" * max(0, node_size - len(body))


def build_tree(store, items, leaf_cap, branch_cap, node_size=4096, keyed=False):
    """items: sorted (value_block, key_block). Returns the root block. Leaves are chained; each branch
    holds (child, last key of child) for all children but the last, then the last child bare (Apple's
    layout), or with keyed=True a (child, last key) pair for every child and nothing after (bomutils')."""
    if not items:
        return store.add(node(True, [], node_size=node_size))
    leaves = [items[i:i + leaf_cap] for i in range(0, len(items), leaf_cap)]
    level = []  # (block, last key)
    for chunk in leaves:
        level.append((store.add(b""), chunk[-1][1]))
    for i, chunk in enumerate(leaves):
        fwd = level[i + 1][0] if i + 1 < len(level) else 0
        back = level[i - 1][0] if i > 0 else 0
        store.blocks[level[i][0]][:] = node(True, chunk, fwd, back, node_size=node_size)
    while len(level) > 1:
        groups = [level[i:i + branch_cap] for i in range(0, len(level), branch_cap)]
        nxt = []
        for g in groups:
            if keyed:
                blk = store.add(node(False, list(g), node_size=node_size))
            else:
                blk = store.add(node(False, list(g[:-1]), trailing=g[-1][0], node_size=node_size))
            nxt.append((blk, g[-1][1]))
        level = nxt
    return level[0][0]


def build(entries, leaf_cap=510, branch_cap=510, tweak=None, keyed=False):
    """entries: dicts from entry(), each path's parent listed too. tweak(ctx) may break the result
    (used by `broken`): ctx has the store and the block numbers by role."""
    st = Store()
    ids = {}
    for i, e in enumerate(sorted(entries, key=lambda e: e["path"]), start=1):
        ids[e["path"]] = i
    rows = []
    ctx = {"store": st, "info": {}, "record": {}, "name": {}}
    for e in entries:
        p = e["path"]
        parent = ids.get(os.path.dirname(p), 0) if p != "." else 0
        name = os.path.basename(p) if p != "." else "."
        info = st.add(path_info(e))
        record = st.add(struct.pack(">II", ids[p], info))
        key = st.add(struct.pack(">I", parent) + name.encode() + b"\0")
        ctx["info"][p], ctx["record"][p], ctx["name"][p] = info, record, key
        rows.append(((parent, name.encode()), record, key))
    rows.sort(key=lambda r: r[0])
    items = [(rec, key) for _, rec, key in rows]
    files = sum(1 for e in entries if e["type"] == "file")
    total = sum(len(e["content"]) for e in entries if e["type"] == "file")
    info = struct.pack(">III", 1, len(entries) + 1, 1) + struct.pack(">IIII", 0, 0, total, 0) if files else \
        struct.pack(">III", 1, len(entries) + 1, 0)
    st.var("BomInfo", info)
    root = build_tree(st, items, leaf_cap, branch_cap, keyed=keyed)
    ctx["paths_root"] = root
    st.var("Paths", tree_header(root, 4096, len(items)))
    st.var("HLIndex", tree_header(st.add(node(True, [])), 4096, 0))
    vtree = st.add(tree_header(st.add(node(True, [], node_size=128)), 128, 0))
    st.var("VIndex", struct.pack(">III", 1, vtree, 0) + b"\0")
    st.var("Size64", tree_header(st.add(node(True, [])), 4096, 0))
    if tweak:
        tweak(ctx)
    return st.write(**ctx.get("write", {}))


def manifest(entries):
    ids = {e["path"]: i for i, e in enumerate(sorted(entries, key=lambda e: e["path"]), start=1)}
    out = []
    for e in entries:
        row = {"path": e["path"], "id": ids[e["path"]], "type": e["type"], "mode": "%06o" % e["mode"],
               "uid": e["uid"], "gid": e["gid"], "mtime": e["mtime"]}
        if e["type"] == "file":
            row.update(size=len(e["content"]), checksum=cksum(e["content"]), digest=hashlib.sha1(e["content"]).hexdigest())
        elif e["type"] == "symlink":
            row.update(size=len(e["target"]), checksum=cksum(e["target"].encode()), link_target=e["target"])
        out.append(row)
    return out


def sample_entries():
    d, f, l = "directory", "file", "symlink"
    return [
        entry(".", d),
        entry("./Applications", d, mode=0o775, gid=80),
        entry("./Applications/Hello.app", d, gid=80),
        entry("./Applications/Hello.app/Contents", d, gid=80),
        entry("./Applications/Hello.app/Contents/Info.plist", f, gid=80, content=b"<plist>hello</plist>\n"),
        entry("./Applications/Hello.app/Contents/MacOS", d, gid=80),
        entry("./Applications/Hello.app/Contents/MacOS/Hello", f, mode=0o755, gid=80,
              content=b"\xcf\xfa\xed\xfe" + bytes(range(60)), arch=0x0100000C),
        entry("./Library", d),
        entry("./Library/Hello", d),
        entry("./Library/Hello/Current", l, target="Versions/A"),
        entry("./Library/Hello/Versions", d),
        entry("./Library/Hello/Versions/A", d),
        entry("./Library/Hello/Versions/A/readme.txt", f, uid=501, gid=20, content=b"read me\n" * 100),
        entry("./Library/Hello/Versions/A/empty", f, content=b""),
        entry("./dev", d),
        entry("./dev/hello0", "device", mode=0o600, device=0x01000003),
        entry("./usr", d),
        entry("./usr/bin", d),
        entry("./usr/bin/hello", l, target="/Applications/Hello.app/Contents/MacOS/Hello"),
    ]


def many_entries(count):
    """`count` paths: ".", then directories d00..d09, each with subdirectories and files."""
    d = "directory"
    out = [entry(".", d)]
    dirs = []
    for i in range(10):
        dirs.append("./d%02d" % i)
        for j in range(3):
            dirs.append("./d%02d/s%d" % (i, j))
    for p in dirs:
        if len(out) >= count:
            break
        out.append(entry(p, d))
    k = 0
    while len(out) < count:
        parent = dirs[k % len(dirs)]
        out.append(entry("%s/file%05d.txt" % (parent, k), "file", content=b"file %d\n" % k))
        k += 1
    return out


def _patch_u32(ctx, block, offset, value):
    struct.pack_into(">I", ctx["store"].blocks[block], offset, value)


def _leaf_blocks(ctx):
    st = ctx["store"]
    return [i for i, b in enumerate(st.blocks) if b is not None and len(b) == 4096 and b[:2] == b"\0\1" and
            struct.unpack(">H", b[2:4])[0] > 0]


# Each rule: (entries, leaf_cap, branch_cap, tweak of the built store, post-edit of the file bytes).
def _broken_rules():
    sample = sample_entries()

    def header(off, value):
        def post(b):
            b = bytearray(b)
            struct.pack_into(">I", b, off, value)
            return bytes(b)
        return post

    def tree_cycle(ctx):
        # The root branch's first child points back at the root.
        _patch_u32(ctx, ctx["paths_root"], 12, ctx["paths_root"])

    def chain_cycle(ctx):
        leaves = sorted(_leaf_blocks(ctx))
        # The second leaf's forward link goes back to the first leaf.
        _patch_u32(ctx, leaves[1], 4, leaves[0])

    def node_count(ctx):
        struct.pack_into(">H", ctx["store"].blocks[ctx["paths_root"]], 2, 600)

    def parent_missing(ctx):
        _patch_u32(ctx, ctx["name"]["./Library/Hello"], 0, 999)

    def parent_cycle(ctx):
        # ./Library/Hello's parent becomes ./Library/Hello/Versions: a loop of two.
        ids = {e["path"]: i for i, e in enumerate(sorted(sample, key=lambda e: e["path"]), start=1)}
        _patch_u32(ctx, ctx["name"]["./Library/Hello"], 0, ids["./Library/Hello/Versions"])

    def info_truncated(ctx):
        b = ctx["store"].blocks[ctx["info"]["./Library/Hello/Versions/A/readme.txt"]]
        del b[20:]

    def link_truncated(ctx):
        _patch_u32(ctx, ctx["info"]["./Library/Hello/Current"], 27, 4000)

    def name_unterminated(ctx):
        b = ctx["store"].blocks[ctx["name"]["./usr"]]
        b[-1:] = b"X"

    def record_short(ctx):
        b = ctx["store"].blocks[ctx["record"]["./usr/bin"]]
        del b[4:]

    def variable_missing_block(ctx):
        ctx["store"].vars[1] = ("Paths", 60000)

    def tree_magic(ctx):
        st = ctx["store"]
        st.blocks[dict(st.vars)["HLIndex"]][:4] = b"TREE"

    return {
        "bad-magic": (sample, 510, 510, None, lambda b: b"BOMStorf" + b[8:]),
        "bad-version": (sample, 510, 510, None, header(8, 2)),
        "short-header": (sample, 510, 510, None, lambda b: b[:20]),
        "table-past-end": (sample, 510, 510, None, lambda b: _with(b, 16, len(b) - 8)),
        "variables-past-end": (sample, 510, 510, None, header(28, 0x100000)),
        "table-count": (sample, 510, 510, None, lambda b: _table_count(b, 100000)),
        "variable-missing-block": (sample, 510, 510, variable_missing_block, None),
        "tree-magic": (sample, 510, 510, tree_magic, None),
        "node-past-end": (sample, 510, 510, None, lambda b: _node_past_end(b)),
        "node-count": (sample, 4, 4, node_count, None),
        "tree-cycle": (sample, 4, 4, tree_cycle, None),
        "chain-cycle": (sample, 4, 4, chain_cycle, None),
        "parent-missing": (sample, 510, 510, parent_missing, None),
        "parent-cycle": (sample, 510, 510, parent_cycle, None),
        "info-truncated": (sample, 510, 510, info_truncated, None),
        "link-truncated": (sample, 510, 510, link_truncated, None),
        "name-unterminated": (sample, 510, 510, name_unterminated, None),
        "record-short": (sample, 510, 510, record_short, None),
    }


def _with(b, off, value):
    b = bytearray(b)
    struct.pack_into(">I", b, off, value)
    return bytes(b)


def _table_count(b, count):
    table = struct.unpack(">I", b[16:20])[0]
    return _with(b, table, count)


def _node_past_end(b):
    # The Paths tree's root node: its table entry's address moves past the end of the file.
    table = struct.unpack(">I", b[16:20])[0]
    nvars = struct.unpack(">I", b[HEADER_SIZE:HEADER_SIZE + 4])[0]
    off = HEADER_SIZE + 4
    paths_block = None
    for _ in range(nvars):
        blk, n = struct.unpack(">IB", b[off:off + 5])
        if b[off + 5:off + 5 + n] == b"Paths":
            paths_block = blk
        off += 5 + n
    addr = struct.unpack(">I", b[table + 4 + 8 * paths_block:table + 8 + 8 * paths_block])[0]
    root = struct.unpack(">I", b[addr + 8:addr + 12])[0]
    return _with(b, table + 4 + 8 * root, len(b) - 100)


BROKEN = sorted(_broken_rules())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("sample", "many", "empty"):
        p = sub.add_parser(name)
        p.add_argument("out")
        p.add_argument("--leaf-cap", type=int, default=510)
        p.add_argument("--branch-cap", type=int, default=510)
        p.add_argument("--manifest")
        p.add_argument("--keyed-branches", action="store_true")
        if name == "many":
            p.add_argument("--count", type=int, required=True)
    p = sub.add_parser("broken")
    p.add_argument("dir")
    a = ap.parse_args()
    if a.cmd == "broken":
        os.makedirs(a.dir, exist_ok=True)
        for rule, (entries, leaf_cap, branch_cap, tweak, post) in sorted(_broken_rules().items()):
            data = build(entries, leaf_cap, branch_cap, tweak)
            if post:
                data = post(data)
            with open(os.path.join(a.dir, rule + ".bom"), "wb") as f:
                f.write(data)
        return 0
    entries = {"sample": sample_entries, "empty": lambda: [],
               "many": lambda: many_entries(a.count)}[a.cmd]()
    with open(a.out, "wb") as f:
        f.write(build(entries, a.leaf_cap, a.branch_cap, keyed=a.keyed_branches))
    if a.manifest:
        with open(a.manifest, "w") as f:
            json.dump(manifest(entries), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
