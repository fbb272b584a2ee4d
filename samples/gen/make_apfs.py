#!/usr/bin/env python3
"""Writes an APFS container (raw image), independently of upscope's C++ reader (python3 stdlib only).

Layout (Apple File System Reference; what our reader relies on: docs/formats/apfs.md §2-§8, this
writer: §10):
  block 0            nx_superblock_t (copy of the checkpoint's)
  blocks 1-8         checkpoint descriptor area: checkpoint map, nx_superblock_t
  blocks 9-16        checkpoint data area: space manager (ephemeral), reaper (ephemeral)
  17 ...             file data (streamed while the tree is planned), then the metadata objects:
                     chunk-info block and bitmaps, per volume its fs tree (virtual, via the volume omap;
                     hashed on a sealed volume), omap, snapshot and extent-ref trees, integrity meta
                     and file-extent tree (sealed), volume superblock; the container omap.
Every object carries a Fletcher-64 checksum. File data is streamed to disk in pieces of at most
8 MiB, so multi-GB images need little memory (metadata for 10,000 files is a few MB).

Content of the main volume ("Data" unless --name):
  /special/...     plain, empty, multi-extent and sparse files, hard links, symlinks, inline and
                   dstream xattrs, a Unicode name, a mixed-case name
  /compressed/...  decmpfs types 1, 3 (zlib, and stored 0xFF), 4 (zlib resource fork, one chunk
                   stored), 7 (LZVN, and stored 0x06), 8 (LZVN resource fork), 11 (LZFSE: bvx- and
                   bvxn blocks), 12 (LZFSE resource fork); with --lzbitmap also 13 (LZBITMAP, and
                   stored 0xFF) and 14 (LZBITMAP resource fork, one chunk stored)
  /bulk/gNN/dNNNN/fNNNNNN.bin   --files files with --total-size bytes (--dist fixed|uniform|lognormal)
With --shape system the --files files are instead shaped like a macOS system volume's
(samples/gen/apfs_system_shape.py): Mach-O-like binaries, headers, .strings, man pages, scripts and
plists under /System/Library/... and /usr/..., of which >= 80% are decmpfs-compressed: LZVN or LZFSE
(bvx2 blocks from samples/gen/lzfse_fse.py, bvxn below 4 KiB), inline in com.apple.decmpfs (types 7/11) when it holds them, else a resource fork of
64 KiB chunks (types 8/12); incompressible PNG-like assets and tiny files stay plain. --jobs N makes
and encodes the files in N processes (same image whatever N). The manifest gives each file's
"content" kind, decmpfs type and the SHA-256 of its decoded data.
With --cryptex os the volume instead looks like an OS cryptex (sealed, /System/Library/dyld/...).
--manifest writes the ground truth (path, type, size, sha256, inode, link target, xattrs, decmpfs
type) as JSON. --corrupt makes one malformed variant (checksum, cycle, extent-past-end,
decmpfs-huge) and records what it broke in the manifest. --udif / --gpt wrap the container in a
GPT disk and a UDIF dmg (make_udif.py's GPT and mish writers); --udif-codec lzfse writes its chunks
as LZFSE (ULFO), as Apple's cryptex dmgs are, with --lzfse-cli naming a faster encoder.

  make_apfs.py out.img --files 1000 --total-size 64M --seed 7 --manifest out.json
  make_apfs.py sys.img --shape system --files 2000 --total-size 200M --no-specials --jobs 2 --manifest sys.json
"""
import argparse
import collections
import hashlib
import itertools
import json
import os
import random
import struct
import sys
import unicodedata
import uuid
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lzbitmap  # noqa: E402  (samples/gen/lzbitmap.py: decmpfs types 13/14)
import apfs_system_shape  # noqa: E402  (samples/gen/apfs_system_shape.py: --shape system)
import lzfse_fse  # noqa: E402  (samples/gen/lzfse_fse.py: bvx2 blocks for --shape system)

BS = 4096
XID = 5
M32 = 0xFFFFFFFF

# obj_phys_t o_type
OBJ_VIRTUAL, OBJ_EPHEMERAL, OBJ_PHYSICAL = 0, 0x80000000, 0x40000000
T_NXSB, T_BTREE, T_BTREE_NODE, T_SPACEMAN, T_CIB, T_OMAP, T_CPM, T_FS = 1, 2, 3, 5, 7, 0xb, 0xc, 0xd
T_FSTREE, T_EXTREF, T_SNAPMETA, T_REAPER, T_INTEGRITY, T_FEXT = 0xe, 0xf, 0x10, 0x11, 0x1e, 0x1f
# B-tree node and tree flags
BTNODE_ROOT, BTNODE_LEAF, BTNODE_FIXED, BTNODE_HASHED = 1, 2, 4, 8
BTREE_PHYSICAL, BTREE_HASHED = 0x10, 0x80
# fs record types
R_INODE, R_XATTR, R_SIBLING_LINK, R_DSTREAM_ID, R_FILE_EXTENT, R_DIR_REC, R_SIBLING_MAP, R_FILE_INFO = \
    3, 4, 5, 6, 8, 9, 12, 13
XATTR_STREAM, XATTR_EMBEDDED, XATTR_FS_OWNED = 1, 2, 4
XATTR_MAX_EMBEDDED = 3804
UF_COMPRESSED = 0x20
DT_DIR, DT_REG, DT_LNK = 4, 8, 10
S_IFDIR, S_IFREG, S_IFLNK = 0o040000, 0o100000, 0o120000
NS = 1_000_000_000
TIME0 = 1_700_000_000 * NS

CKPT_DESC_BASE, CKPT_DESC_BLOCKS = 1, 8
CKPT_DATA_BASE, CKPT_DATA_BLOCKS = 9, 8
FIRST_FREE = CKPT_DATA_BASE + CKPT_DATA_BLOCKS
SPACEMAN_OID, REAPER_OID, FIRST_VIRTUAL_OID = 1024, 1025, 1026
BLOCKS_PER_CHUNK = BS * 8
CHUNKS_PER_CIB = (BS - 40) // 32


def align8(n):
    return (n + 7) & ~7


def fletcher64(block):
    words = struct.unpack_from("<%dI" % (len(block) // 4 - 2), block, 8)
    s1 = sum(words) % M32
    s2 = sum(itertools.accumulate(words)) % M32
    c1 = M32 - ((s1 + s2) % M32)
    c2 = M32 - ((s1 + c1) % M32)
    return (c2 << 32) | c1


def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC32C = _crc32c_table()


def name_hash(name, case_insensitive):
    """22-bit directory-record hash: CRC-32C (no final inversion) of the NFD name as UTF-32LE.
    Checked against dfvfs_apfs.raw ("a_directory" -> 0x1fe6f2)."""
    s = unicodedata.normalize("NFD", name.casefold() if case_insensitive else name)
    crc = M32
    for b in s.encode("utf-32-le"):
        crc = _CRC32C[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc & 0x3FFFFF


# ---------------------------------------------------------------- codecs for decmpfs
def lzvn_encode(data):
    """A small greedy LZVN encoder: literal opcodes (0xE0/0xE1-0xEF), large-distance matches
    (LLMMM111 + u16 distance, L=0) continued by previous-distance matches (0xF0/0xF1-0xFF), over the
    matches lzfse_fse.greedy_matches finds."""
    out = bytearray()
    n = len(data)
    append, extend, pack = out.append, out.extend, struct.pack
    lit_start = 0

    def literals(a, b):
        while b - a >= 16:
            k = min(b - a, 271)
            append(0xE0)
            append(k - 16)
            extend(data[a:a + k])
            a += k
        if b > a:
            append(0xE0 | (b - a))
            extend(data[a:b])

    for lit_start, i, m, d in lzfse_fse.greedy_matches(data):
        literals(lit_start, i)
        first = min(m, 10)
        append(((first - 3) << 3) | 7)
        extend(pack("<H", d))
        rest = m - first
        while rest >= 16:
            k = min(rest, 271)
            append(0xF0)
            append(k - 16)
            rest -= k
        if rest:
            append(0xF0 | rest)
        lit_start = i + m
    literals(lit_start, n)
    out += b"\x06" + bytes(7)
    return bytes(out)


def lzfse_encode(data, lzvn_blocks):
    """LZFSE framing with stored (bvx-) or LZVN (bvxn) blocks, then the end-of-stream block."""
    if lzvn_blocks:
        payload = lzvn_encode(data)
        return b"bvxn" + struct.pack("<II", len(data), len(payload)) + payload + b"bvx$"
    return b"bvx-" + struct.pack("<I", len(data)) + data + b"bvx$"


def decmpfs_header(ctype, size):
    return b"fpmc" + struct.pack("<IQ", ctype, size)


def offset_table_fork(chunks):
    """Resource fork of types 8/10/12: (n+1) u32 offsets, the first equal to the table size."""
    table = 4 * (len(chunks) + 1)
    offs = [table]
    for c in chunks:
        offs.append(offs[-1] + len(c))
    return struct.pack("<%dI" % len(offs), *offs) + b"".join(chunks)


def zlib_rsrc_fork(chunks):
    """Resource fork of type 4: the classic Resource Manager layout with one 'cmpf' resource."""
    count = len(chunks)
    table = bytearray(struct.pack("<I", count))
    off = 4 + 8 * count
    for c in chunks:
        table += struct.pack("<II", off, len(c))
        off += len(c)
    body = bytes(table) + b"".join(chunks)
    resource = struct.pack(">I", len(body)) + body  # at 0x100: length, then the data
    data_len = len(resource)
    map_off = 0x100 + data_len
    # Resource map: header copy(16) handle(4) fileref(2) attrs(2) typelist off(2) namelist off(2),
    # type list: count-1, 'cmpf', count-1, ref list off; ref: id, name off, attrs+data off, handle.
    rmap = bytearray(16) + struct.pack(">IHHHH", 0, 0, 0, 28, 50)
    rmap += struct.pack(">H4sHH", 0, b"cmpf", 0, 10)
    rmap += struct.pack(">hHII", 1, 0xFFFF, 0, 0)
    head = struct.pack(">IIII", 0x100, map_off, data_len, len(rmap))
    rmap[0:16] = head
    return head + bytes(0x100 - 16) + resource + bytes(rmap)


def chunks_of(data, size=65536):
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


# ---------------------------------------------------------------- image and B-trees
class Image:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "w+b")
        self.next_block = FIRST_FREE
        self.next_oid = FIRST_VIRTUAL_OID
        self.objects = {}  # paddr -> description, for --corrupt

    def alloc(self, n=1):
        p = self.next_block
        self.next_block += n
        return p

    def new_oid(self):
        o = self.next_oid
        self.next_oid += 1
        return o

    def write_at(self, paddr, data):
        self.f.seek(paddr * BS)
        self.f.write(data)

    def read_block(self, paddr):
        self.f.seek(paddr * BS)
        return bytearray(self.f.read(BS))

    def write_object(self, paddr, buf, oid, otype, subtype=0, xid=XID):
        struct.pack_into("<QQII", buf, 8, oid, xid, otype, subtype)
        struct.pack_into("<Q", buf, 0, fletcher64(buf))
        self.write_at(paddr, buf)
        return bytes(buf)

    def rewrite_checksum(self, paddr, buf):
        struct.pack_into("<Q", buf, 0, fletcher64(buf))
        self.write_at(paddr, buf)


def entry_cost(k, v, fixed, leaf):
    if fixed:
        return 4 + fixed[0] + (fixed[1] if leaf else 8)
    return 8 + align8(len(k)) + align8(len(v))


def encode_node(group, level, is_root, fixed, hashed, info):
    buf = bytearray(BS)
    leaf = level == 0
    flags = (BTNODE_ROOT if is_root else 0) | (BTNODE_LEAF if leaf else 0) | (BTNODE_FIXED if fixed else 0) | \
        (BTNODE_HASHED if hashed else 0)
    toc_len = len(group) * (4 if fixed else 8)
    key_start = 56 + toc_len
    val_end = BS - (40 if is_root else 0)
    koff = voff = 0
    for i, (k, v) in enumerate(group):
        buf[key_start + koff:key_start + koff + len(k)] = k
        if fixed:
            voff += len(v)
            struct.pack_into("<HH", buf, 56 + 4 * i, koff, voff)
            koff += len(k)
        else:
            voff = align8(voff + len(v))
            struct.pack_into("<HHHH", buf, 56 + 8 * i, koff, len(k), voff, len(v))
            koff = align8(koff + len(k))
        buf[val_end - voff:val_end - voff + len(v)] = v
    free_len = val_end - voff - (key_start + koff)
    assert free_len >= 0, "node overflow"
    struct.pack_into("<HHI", buf, 32, flags, level, len(group))
    struct.pack_into("<8H", buf, 40, 0, toc_len, koff, free_len, 0xFFFF, 0, 0xFFFF, 0)
    if is_root:
        buf[BS - 40:] = info
    return buf


def build_tree(img, entries, subtype, *, fixed=None, virtual=False, hashed=False, bt_flags=0, fill=1.0):
    """entries: sorted (key, value) pairs. Returns (root oid, root paddr, [(oid, paddr)], levels).
    Nodes are written leaves first so that a hashed parent can hold its children's SHA-256."""
    storage = OBJ_VIRTUAL if virtual else OBJ_PHYSICAL
    longest_k = max((len(k) for k, _ in entries), default=0)
    longest_v = max((len(v) for _, v in entries), default=0)
    nodes = []
    items = entries
    level = 0
    pending = []  # (group, level) written once the root's info is known
    root_cap = BS - 56 - 40
    cap = int((BS - 56) * fill)
    # The root of a virtual tree takes the lowest oid: in a hashed (sealed) fs tree the index values
    # hold child oids relative to the root's (7-Zip and the linux-apfs driver read them so).
    root_oid = img.new_oid() if virtual else None
    while True:
        leaf = level == 0
        total = sum(entry_cost(k, v, fixed, leaf) for k, v in items)
        if total <= root_cap and (level > 0 or fill >= 1.0 or total <= cap):
            groups = [items]
        else:
            groups, cur, used = [], [], 0
            for k, v in items:
                c = entry_cost(k, v, fixed, leaf)
                if cur and used + c > cap:
                    groups.append(cur)
                    cur, used = [], 0
                cur.append((k, v))
                used += c
            groups.append(cur)
        is_root = len(groups) == 1
        nxt = []
        for g in groups:
            paddr = img.alloc()
            oid = (root_oid if is_root else img.new_oid()) if virtual else paddr
            nodes.append((oid, paddr))
            if is_root:
                info = struct.pack("<6I2Q", bt_flags, BS, fixed[0] if fixed else 0, fixed[1] if fixed else 0,
                                   longest_k, longest_v, len(entries), len(nodes))
            else:
                info = b""
            buf = encode_node(g, level, is_root, fixed, hashed, info)
            raw = img.write_object(paddr, buf, oid, storage | (T_BTREE if is_root else T_BTREE_NODE), subtype)
            img.objects[paddr] = (subtype, level, is_root, oid)
            if hashed:  # btn_index_node_val_t: oid relative to the root, then the SHA-256 of the child
                val = struct.pack("<Q", oid - root_oid) + hashlib.sha256(raw).digest()
            else:
                val = struct.pack("<Q", oid)
            nxt.append((g[0][0] if g else b"", val))
        if is_root:
            return oid, paddr, nodes, level + 1, raw
        items = nxt
        level += 1


def omap_object(img, mappings):
    """An omap_phys_t and its physical B-tree for {(oid, xid): paddr}. Returns the omap's paddr."""
    entries = [(struct.pack("<QQ", oid, XID), struct.pack("<IIQ", 0, BS, paddr)) for oid, paddr in sorted(mappings)]
    _, root, _, _, _ = build_tree(img, entries, T_OMAP, fixed=(16, 16), bt_flags=BTREE_PHYSICAL)
    paddr = img.alloc()
    buf = bytearray(BS)
    struct.pack_into("<IIIIQQQQQ", buf, 32, 0, 0, OBJ_PHYSICAL | T_BTREE, OBJ_PHYSICAL | T_BTREE, root, 0, 0, 0, 0)
    img.write_object(paddr, buf, paddr, OBJ_PHYSICAL | T_OMAP, 0)
    return paddr


# ---------------------------------------------------------------- volume model
def key_head(oid, rtype):
    return struct.pack("<Q", (rtype << 60) | oid)


def xfields(items):
    """xf_blob_t: count, used bytes, x_field_t descriptors, then 8-byte-aligned data."""
    if not items:
        return b""
    desc = b"".join(struct.pack("<BBH", t, f, len(d)) for t, f, d in items)
    data = b"".join(d.ljust(align8(len(d)), b"\x00") for _, _, d in items)
    return struct.pack("<HH", len(items), len(data)) + desc + data


class Inode:
    def __init__(self, ino, parent, name, mode):
        self.id, self.parent, self.name, self.mode = ino, parent, name, mode
        self.size = None  # dstream size
        self.alloced = 0
        self.extents = []  # (logical, length, paddr)
        self.bsd_flags = 0
        self.xattrs = []  # (name, flags, data)
        self.links = []   # (parent, name, sibling_id) for hard links
        self.sparse = 0
        self.children = 0
        self.uncompressed = 0  # decmpfs size, also in j_inode_val_t.uncompressed_size
        is_dir = mode & 0o170000 == S_IFDIR
        self.uid, self.gid = (0, 0) if is_dir else (501, 20)


class Volume:
    def __init__(self, img, name, role, case_insensitive=False, sealed=False, seed=0, index=0):
        self.img, self.name, self.role = img, name, role
        self.case_insensitive, self.sealed = case_insensitive, sealed
        self.index = index
        self.uuid = uuid.UUID(int=random.Random(seed * 7919 + index).getrandbits(128), version=4)
        self.inodes = {}
        self.drecs = []   # (parent, name, ino, dtype, sibling_id)
        self.next_id = 16
        self.fext = []    # sealed: (private_id, logical, length, paddr)
        self.file_info = []  # sealed: (private_id, lba, blocks, sha256)
        self.manifest = []
        root = Inode(2, 1, "root", S_IFDIR | 0o755)
        self.inodes[2] = root
        priv = Inode(3, 1, "private-dir", S_IFDIR | 0o755)
        self.inodes[3] = priv
        self.paths = {2: ""}
        self.names = {}  # (parent, name) -> inode id, so makedirs need not scan every record
        self.bad_extent = None

    def alloc_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def _link(self, parent, name, ino, dtype, sibling=None):
        self.drecs.append((parent, name, ino.id, dtype, sibling))
        self.names.setdefault((parent, name), ino.id)
        self.inodes[parent].children += 1

    def path_of(self, parent, name):
        return self.paths[parent] + "/" + name

    def mkdir(self, parent, name):
        ino = Inode(self.alloc_id(), parent, name, S_IFDIR | 0o755)
        self.inodes[ino.id] = ino
        self._link(parent, name, ino, DT_DIR)
        self.paths[ino.id] = self.path_of(parent, name)
        self.manifest.append({"path": self.paths[ino.id], "type": "directory", "inode": ino.id})
        return ino.id

    def makedirs(self, path):
        cur = 2
        for part in path.strip("/").split("/"):
            found = self.names.get((cur, part))
            cur = found if found is not None else self.mkdir(cur, part)
        return cur

    def store(self, size, read, segments=None, split=1, rnd=None):
        """Writes a data stream: `segments` is a list of (bytes, is_hole) covering the stream (block
        multiples); default: `split` data extents. Returns (extents, sha256, alloced bytes)."""
        total = (size + BS - 1) // BS * BS
        if segments is None:
            nblocks = total // BS
            cuts = sorted(rnd.sample(range(1, nblocks), min(split, nblocks) - 1)) if rnd and nblocks > 1 else []
            bounds = [0] + cuts + [nblocks]
            segments = [((b - a) * BS, False) for a, b in zip(bounds, bounds[1:]) if b > a]
        h = hashlib.sha256()
        extents, pos, alloced = [], 0, 0
        for length, hole in segments:
            if hole:
                extents.append((pos, length, 0))
                real = max(0, min(length, size - pos))
                zero = bytes(min(real, 1 << 20))
                left = real
                while left:
                    k = min(left, len(zero))
                    h.update(zero[:k])
                    left -= k
            else:
                paddr = self.img.alloc(length // BS)
                extents.append((pos, length, paddr))
                alloced += length
                done = 0
                while done < length:
                    k = min(length - done, 8 << 20)
                    want = max(0, min(k, size - pos - done))
                    piece = read(pos + done, want) if want else b""
                    h.update(piece)
                    self.img.write_at(paddr + done // BS, piece)
                    done += k
            if self.sealed:
                # FILE_INFO data hashes: SHA-256 of each run of up to 4 blocks of the stream (holes as
                # zeros), keyed by logical byte offset, as 7-Zip checks them.
                if hole:
                    blob = bytes(length)
                else:
                    self.img.f.seek(paddr * BS)
                    blob = self.img.f.read(length).ljust(length, b"\x00")
                for off in range(0, length, 4 * BS):
                    chunk = blob[off:off + 4 * BS]
                    self.file_info.append((None, pos + off, len(chunk) // BS, hashlib.sha256(chunk).digest()))
            pos += length
        return extents, h.hexdigest(), alloced

    def _attach_extents(self, private_id, extents):
        for logical, length, paddr in extents:
            if self.sealed:
                self.fext.append((private_id, logical, length, paddr))
        if self.sealed:
            self.file_info = [(private_id if p is None else p, lba, n, d) for p, lba, n, d in self.file_info]

    def add_file(self, parent, name, data=None, size=None, read=None, segments=None, split=1, rnd=None, mode=0o644,
                 xattrs=(), extra=None):
        ino = Inode(self.alloc_id(), parent, name, S_IFREG | mode)
        self.inodes[ino.id] = ino
        self._link(parent, name, ino, DT_REG)
        if data is not None:
            size = len(data)
            read = lambda off, n, d=data: d[off:off + n]
        ino.size = size
        if size:
            ino.extents, digest, ino.alloced = self.store(size, read, segments, split, rnd)
            self._attach_extents(ino.id, ino.extents)
            ino.sparse = sum(l for _, l, p in ino.extents if p == 0)
        else:
            digest = hashlib.sha256(b"").hexdigest()
        for xn, xd in xattrs:
            self.add_xattr(ino, xn, xd)
        entry = {"path": self.path_of(parent, name), "type": "file", "inode": ino.id, "size": size, "sha256": digest,
                 "xattrs": {xn: len(xd) for xn, xd in xattrs}}
        if extra:
            entry.update(extra)
        self.manifest.append(entry)
        return ino

    def add_xattr(self, ino, name, data, force_stream=False, fs_owned=False):
        owned = XATTR_FS_OWNED if fs_owned else 0
        if len(data) <= XATTR_MAX_EMBEDDED and not force_stream:
            ino.xattrs.append((name, XATTR_EMBEDDED | owned, data))
            return
        oid = self.alloc_id()
        extents, _, alloced = self.store(len(data), lambda off, n: data[off:off + n])
        self._attach_extents(oid, extents)
        dstream = struct.pack("<QQQQQ", len(data), alloced, 0, len(data), 0)
        ino.xattrs.append((name, XATTR_STREAM | owned, struct.pack("<Q", oid) + dstream))
        self.inodes[oid] = ("xattr-stream", extents)

    def add_compressed(self, parent, name, data, ctype, variant=None, claim=None, encoded=None, extra=None):
        """decmpfs file of `ctype`. variant: 'stored' (0xFF / 0x06 prefix), 'lzvn' (bvxn blocks),
        'stored-chunk' (one stored chunk in a resource fork). claim: header size override.
        encoded: the payload already encoded (inline types) or its encoded 64 KiB chunks (fork types)."""
        ino = Inode(self.alloc_id(), parent, name, S_IFREG | 0o644)
        self.inodes[ino.id] = ino
        self._link(parent, name, ino, DT_REG)
        ino.bsd_flags = UF_COMPRESSED
        usize = len(data) if claim is None else claim
        ino.uncompressed = usize
        head = decmpfs_header(ctype, usize)
        rsrc = None
        if encoded is not None:
            if isinstance(encoded, list):
                rsrc = offset_table_fork(encoded)
            else:
                payload = encoded
        elif ctype == 1:
            payload = data
        elif ctype == 3:
            payload = b"\xff" + data if variant == "stored" else zlib.compress(data, 9)
        elif ctype == 7:
            payload = b"\x06" + data if variant == "stored" else lzvn_encode(data)
        elif ctype == 11:
            payload = lzfse_encode(data, variant == "lzvn")
        elif ctype == 4:
            ch = [zlib.compress(c, 9) for c in chunks_of(data)]
            if variant == "stored-chunk" and len(ch) > 1:
                ch[1] = b"\xff" + chunks_of(data)[1]
            rsrc = zlib_rsrc_fork(ch)
        elif ctype == 8:
            ch = [lzvn_encode(c) for c in chunks_of(data)]
            if variant == "stored-chunk" and len(ch) > 1:
                ch[1] = b"\x06" + chunks_of(data)[1]
            rsrc = offset_table_fork(ch)
        elif ctype == 12:
            ch = [lzfse_encode(c, i % 2 == 1) for i, c in enumerate(chunks_of(data))]
            rsrc = offset_table_fork(ch)
        elif ctype == 13:
            payload = b"\xff" + data if variant == "stored" else lzbitmap.encode(data)
        elif ctype == 14:
            ch = [lzbitmap.encode(c) for c in chunks_of(data)]
            if variant == "stored-chunk" and len(ch) > 1:
                ch[1] = b"\xff" + chunks_of(data)[1]
            rsrc = offset_table_fork(ch)
        else:
            raise ValueError(ctype)
        if rsrc is None:
            self.add_xattr(ino, "com.apple.decmpfs", head + payload, fs_owned=True)
        else:
            self.add_xattr(ino, "com.apple.decmpfs", head, fs_owned=True)
            self.add_xattr(ino, "com.apple.ResourceFork", rsrc, force_stream=True, fs_owned=True)
        self.manifest.append({"path": self.path_of(parent, name), "type": "file", "inode": ino.id, "size": len(data),
                              "sha256": hashlib.sha256(data).hexdigest(), "decmpfs_type": ctype,
                              "variant": variant or "", "claimed_size": usize,
                              "rsrc_size": len(rsrc) if rsrc is not None else 0, "xattrs": {}, **(extra or {})})
        return ino

    def add_symlink(self, parent, name, target):
        ino = Inode(self.alloc_id(), parent, name, S_IFLNK | 0o755)
        self.inodes[ino.id] = ino
        self._link(parent, name, ino, DT_LNK)
        ino.xattrs.append(("com.apple.fs.symlink", XATTR_EMBEDDED | XATTR_FS_OWNED, target.encode() + b"\x00"))
        self.manifest.append({"path": self.path_of(parent, name), "type": "symlink", "inode": ino.id,
                              "target": target})
        return ino

    def add_hardlink(self, ino, parent, name):
        """A second name for `ino`: both directory records then carry sibling ids."""
        if not ino.links:
            first = [i for i, d in enumerate(self.drecs) if d[2] == ino.id][0]
            p, n, i, t, _ = self.drecs[first]
            sid = self.alloc_id()
            self.drecs[first] = (p, n, i, t, sid)
            ino.links.append((p, n, sid))
        sid = self.alloc_id()
        ino.links.append((parent, name, sid))
        self._link(parent, name, ino, DT_REG, sid)
        src = [m for m in self.manifest if m.get("inode") == ino.id][0]
        entry = dict(src)
        entry["path"] = self.path_of(parent, name)
        self.manifest.append(entry)
        for m in self.manifest:
            if m.get("inode") == ino.id:
                m["nlink"] = len(ino.links)

    # ---- records
    def records(self):
        recs = []  # (sort key, key bytes, value bytes)
        now = TIME0

        def add(oid, rtype, sub, key, val):
            recs.append(((oid, rtype, sub), key, val))

        for ino in self.inodes.values():
            if isinstance(ino, tuple):  # an xattr data stream
                continue
            xf = [(4, 0x02, ino.name.encode() + b"\x00")]
            internal = 0
            if ino.size is not None and not ino.bsd_flags & UF_COMPRESSED:
                xf.append((8, 0x20, struct.pack("<QQQQQ", ino.size, ino.alloced, 0, ino.size, 0)))
            if ino.sparse:
                xf.append((13, 0x20, struct.pack("<Q", ino.sparse)))
                internal |= 0x200
            if ino.bsd_flags & UF_COMPRESSED:
                internal |= 0x40000  # INODE_HAS_UNCOMPRESSED_SIZE (7-Zip decodes decmpfs only then)
            is_dir = ino.mode & 0o170000 == S_IFDIR
            nlink = ino.children if is_dir else max(1, len(ino.links))
            head = struct.pack("<QQqqqqQiIIIIIHHQ", ino.parent, ino.id, now, now + NS, now + 2 * NS, now + 3 * NS,
                               internal, nlink, 0, 1, ino.bsd_flags, ino.uid, ino.gid, ino.mode, 0,
                               ino.uncompressed)
            add(ino.id, R_INODE, (), key_head(ino.id, R_INODE), head + xfields(xf))
            for xn, flags, xd in ino.xattrs:
                nb = xn.encode() + b"\x00"
                add(ino.id, R_XATTR, (nb,), key_head(ino.id, R_XATTR) + struct.pack("<H", len(nb)) + nb,
                    struct.pack("<HH", flags, len(xd)) + xd)
            for parent, name, sid in ino.links:
                nb = name.encode() + b"\x00"
                add(ino.id, R_SIBLING_LINK, (sid,), key_head(ino.id, R_SIBLING_LINK) + struct.pack("<Q", sid),
                    struct.pack("<QH", parent, len(nb)) + nb)
                add(sid, R_SIBLING_MAP, (), key_head(sid, R_SIBLING_MAP), struct.pack("<Q", ino.id))
            if ino.extents:
                add(ino.id, R_DSTREAM_ID, (), key_head(ino.id, R_DSTREAM_ID), struct.pack("<I", 1))
                if not self.sealed:
                    for logical, length, paddr in ino.extents:
                        add(ino.id, R_FILE_EXTENT, (logical,),
                            key_head(ino.id, R_FILE_EXTENT) + struct.pack("<Q", logical),
                            struct.pack("<QQQ", length, paddr, 0))
        for oid, ino in self.inodes.items():
            if isinstance(ino, tuple):
                # No DSTREAM_ID record here: 7-Zip requires one to follow its inode's records.
                if not self.sealed:
                    for logical, length, paddr in ino[1]:
                        add(oid, R_FILE_EXTENT, (logical,), key_head(oid, R_FILE_EXTENT) + struct.pack("<Q", logical),
                            struct.pack("<QQQ", length, paddr, 0))
        for parent, name, ino, dtype, sid in self.drecs:
            nb = name.encode() + b"\x00"
            h = name_hash(name, self.case_insensitive)
            key = key_head(parent, R_DIR_REC) + struct.pack("<I", (h << 10) | len(nb)) + nb
            val = struct.pack("<QQH", ino, now, dtype)
            if sid is not None:
                val += xfields([(1, 0, struct.pack("<Q", sid))])
            add(parent, R_DIR_REC, (h, nb), key, val)
        for pid, lba, blocks, digest in self.file_info:
            info = (1 << 56) | lba
            add(pid, R_FILE_INFO, (info,), key_head(pid, R_FILE_INFO) + struct.pack("<Q", info),
                struct.pack("<HB", blocks, 32) + digest)
        if self.bad_extent:
            # --corrupt extent-past-end: point the named file's first extent far past the container.
            target, paddr = self.bad_extent
            for i, (sk, k, v) in enumerate(recs):
                if sk[0] == target and sk[1] == R_FILE_EXTENT:
                    recs[i] = (sk, k, v[:8] + struct.pack("<Q", paddr) + v[16:])
                    break
        recs.sort(key=lambda r: r[0])
        return [(k, v) for _, k, v in recs]

    def finish(self, fill=1.0):
        """Writes the trees, omap and volume superblock. Returns (apsb oid, apsb paddr)."""
        img = self.img
        recs = self.records()
        root_oid, root_paddr, nodes, levels, root_raw = build_tree(
            img, recs, T_FSTREE, virtual=True, hashed=self.sealed, bt_flags=BTREE_HASHED if self.sealed else 0,
            fill=fill)
        self.fs_root = (root_oid, root_paddr, levels)
        self.fs_nodes = nodes
        mappings = list(nodes)
        snap_root = build_tree(img, [], T_SNAPMETA, bt_flags=BTREE_PHYSICAL)[1]
        extref_root = build_tree(img, [], T_EXTREF, bt_flags=BTREE_PHYSICAL)[1]
        integrity_oid = fext_root = 0
        if self.sealed:
            fx = sorted(self.fext)
            entries = [(struct.pack("<QQ", p, lg), struct.pack("<QQ", ln, pa)) for p, lg, ln, pa in fx]
            fext_root = build_tree(img, entries, T_FEXT, fixed=(16, 16), bt_flags=BTREE_PHYSICAL)[1]
            integrity_oid = img.new_oid()
            ipaddr = img.alloc()
            buf = bytearray(BS)
            self.root_hash = hashlib.sha256(root_raw).hexdigest()
            struct.pack_into("<IIIIQ", buf, 32, 1, 0, 1, 128, 0)
            buf[128:160] = bytes.fromhex(self.root_hash)
            img.write_object(ipaddr, buf, integrity_oid, OBJ_VIRTUAL | T_INTEGRITY, 0)
            mappings.append((integrity_oid, ipaddr))
        omap = omap_object(img, mappings)
        files = sum(1 for i in self.inodes.values() if not isinstance(i, tuple) and i.mode & 0o170000 == S_IFREG)
        dirs = sum(1 for i in self.inodes.values() if not isinstance(i, tuple) and i.mode & 0o170000 == S_IFDIR)
        links = sum(1 for i in self.inodes.values() if not isinstance(i, tuple) and i.mode & 0o170000 == S_IFLNK)
        self.apsb_oid = img.new_oid()
        paddr = img.alloc()
        buf = bytearray(BS)
        incompat = (0x1 if self.case_insensitive else 0x8) | (0x20 if self.sealed else 0)
        struct.pack_into("<IIQQQQQQQ", buf, 32, 0x42535041, self.index, 0, 0, incompat, TIME0, 0, 0,
                         img.next_block - FIRST_FREE)
        struct.pack_into("<III", buf, 116, OBJ_VIRTUAL | T_BTREE, OBJ_PHYSICAL | T_BTREE, OBJ_PHYSICAL | T_BTREE)
        struct.pack_into("<QQQQQQQ", buf, 128, omap, root_oid, extref_root, snap_root, 0, 0, self.next_id)
        struct.pack_into("<QQQQQQQ", buf, 184, files, dirs, links, 0, 0, img.next_block, 0)
        buf[240:256] = self.uuid.bytes
        struct.pack_into("<QQ", buf, 256, TIME0, 1)  # last_mod_time, fs_flags = APFS_FS_UNENCRYPTED
        buf[272:304] = b"make_apfs.py (upscope)".ljust(32, b"\x00")
        struct.pack_into("<QQ", buf, 304, TIME0, XID)
        nb = self.name.encode()[:255]
        buf[704:704 + len(nb)] = nb
        struct.pack_into("<IH", buf, 960, 3, self.role)
        struct.pack_into("<QQI", buf, 1024, integrity_oid, fext_root, OBJ_PHYSICAL | T_BTREE if self.sealed else 0)
        img.write_object(paddr, buf, self.apsb_oid, OBJ_VIRTUAL | T_FS, 0)
        self.apsb_paddr = paddr
        return self.apsb_oid, paddr


# ---------------------------------------------------------------- contents
TEXT = (b"The quick brown fox jumps over the lazy dog. APFS decmpfs test text, line %d.\n")


def text_data(n, salt=0):
    out = bytearray()
    i = 0
    while len(out) < n:
        out += TEXT % (i * 7 + salt)
        i += 1
    return bytes(out[:n])


def specials(vol, rnd):
    sp = vol.makedirs("/special")
    vol.add_file(sp, "hello.txt", b"Hello, APFS!\n", xattrs=[("com.example.note", b"inline xattr value")])
    vol.add_file(sp, "empty.txt", b"")
    blob = rnd.randbytes(5 * BS + 123)
    vol.add_file(sp, "multi-extent.bin", blob, split=4, rnd=rnd)
    # sparse: data, hole, data, hole (the stream ends inside the last hole)
    size = 9 * BS + 100
    data = bytearray(size)
    data[0:2 * BS] = rnd.randbytes(2 * BS)
    data[5 * BS:6 * BS] = rnd.randbytes(BS)
    vol.add_file(sp, "sparse.bin", bytes(data), segments=[(2 * BS, False), (3 * BS, True), (BS, False), (4 * BS, True)])
    big_x = bytes(rnd.randrange(256) for _ in range(10000))
    vol.add_file(sp, "xattrs.txt", b"file with xattrs\n",
                 xattrs=[("com.example.small", b"v" * 40), ("com.example.big", big_x)])
    a = vol.add_file(sp, "hardlink-a.txt", b"shared by two names\n")
    sub = vol.makedirs("/special/sub")
    vol.add_hardlink(a, sub, "hardlink-b.txt")
    vol.add_symlink(sp, "symlink-rel", "hello.txt")
    vol.add_symlink(sp, "symlink-abs", "/special/sub/hardlink-b.txt")
    vol.add_file(sp, "caf\u00e9-\u00f1.txt", "unicode name \u00e9\n".encode())
    vol.add_file(sp, "MixedCase.TXT", b"mixed case\n")


def compressed(vol, rnd):
    c = vol.makedirs("/compressed")
    small = text_data(3000, 1)
    big = text_data(150000, 2) + rnd.randbytes(20000)
    vol.add_compressed(c, "type1.txt", text_data(700, 3), 1)
    vol.add_compressed(c, "type3.txt", small, 3)
    vol.add_compressed(c, "type3-stored.txt", text_data(900, 4), 3, "stored")
    vol.add_compressed(c, "type4.bin", big, 4, "stored-chunk")
    vol.add_compressed(c, "type7.txt", small, 7)
    vol.add_compressed(c, "type7-stored.txt", text_data(800, 5), 7, "stored")
    vol.add_compressed(c, "type8.bin", big, 8, "stored-chunk")
    vol.add_compressed(c, "type11.txt", text_data(1500, 6), 11)
    vol.add_compressed(c, "type11-lzvn.txt", small, 11, "lzvn")
    vol.add_compressed(c, "type12.bin", big, 12)


def bulk(vol, args, rnd):
    n = args.files
    if n <= 0:
        return
    total = args.total_size
    if args.dist == "fixed":
        w = [1.0] * n
    elif args.dist == "uniform":
        w = [rnd.random() for _ in range(n)]
    else:
        w = [rnd.lognormvariate(0, 1.5) for _ in range(n)]
    s = sum(w) or 1.0
    sizes = [int(total * x / s) for x in w]
    dirs = {}
    per_dir = args.per_dir
    for i, size in enumerate(sizes):
        d = i // per_dir
        path = "/bulk/g%02d/d%04d" % (d // 100, d)
        if path not in dirs:
            dirs[path] = vol.makedirs(path)
        r = random.Random((args.seed << 32) ^ i)
        base = r.randbytes(min(max(size, 1), 65536))

        def read(off, k, base=base):
            L = len(base)
            st = off % L
            reps = (st + k) // L + 1
            return (base * reps)[st:st + k]

        split = 1 if size < 4 * BS else r.randint(1, max(1, args.extents))
        vol.add_file(dirs[path], "f%06d.bin" % i, size=size, read=read, split=split, rnd=r)


def decmpfs_encode(data, codec):
    """As a system volume stores a file: (7 or 11, inline payload) when the decmpfs xattr holds it,
    else (8 or 12, encoded 64 KiB chunks); None when the resource fork would not save a block.
    A chunk that does not shrink is stored (0x06 prefix for LZVN, a bvx- block for LZFSE)."""
    def lzvn(c):
        p = lzvn_encode(c)
        return p if len(p) <= len(c) else b"\x06" + c

    def lzfse(c):
        # bvx2 (FSE) from 4 KiB on, bvxn below, as Apple's encoder chooses (docs/formats/lzfse.md §1)
        p = lzfse_fse.encode(c) if len(c) >= 4096 else lzfse_encode(c, True)
        return p if len(p) < len(c) + 12 else lzfse_encode(c, False)

    enc, inline_type, fork_type = (lzvn, 7, 8) if codec == "lzvn" else (lzfse, 11, 12)
    if len(data) <= 65536:
        p = enc(data)
        if 16 + len(p) <= XATTR_MAX_EMBEDDED:
            return inline_type, p
        chunks = [p]
    else:
        chunks = [enc(c) for c in chunks_of(data)]
    fork = 4 * (len(chunks) + 1) + sum(len(c) for c in chunks)
    if (fork + BS - 1) // BS >= (len(data) + BS - 1) // BS:
        return None
    return fork_type, chunks


_VOCAB = None


def _system_vocab(seed):
    global _VOCAB
    _VOCAB = apfs_system_shape.Vocab(random.Random(seed))


def _system_file(job):
    """One file of --shape system: (content, decmpfs_encode's answer or None for a plain file).
    A pure function of the job, so --jobs workers can make files in any order."""
    kind, name, size, seed, codecs = job
    r = random.Random(seed)
    data = apfs_system_shape.content(kind, name, size, r, _VOCAB)
    if kind in ("asset", "tiny"):
        return data, None
    codec = apfs_system_shape.choose_codec(r, len(data))  # drawn either way: the same files either way
    return data, decmpfs_encode(data, "lzvn" if codecs == "lzvn" else codec)


def system_bulk(vol, args, rnd):
    """--shape system: --files files of kinds and storage as on a macOS system volume
    (samples/gen/apfs_system_shape.py says which and how). Contents are made and encoded by
    --jobs worker processes; the image is written in plan order, so the output does not depend on
    --jobs."""
    if args.files <= 0:
        return
    plan = list(apfs_system_shape.plan(args, rnd))
    jobs = [(kind, name, size, seed, args.system_codecs) for _, name, kind, size, seed in plan]
    # --distinct N: only the first N files are made and encoded; file i takes the kind, content and
    # encoding of file i % N (each copy is still stored, read, decoded and hashed on its own).
    distinct = args.distinct if 0 < args.distinct < len(jobs) else len(jobs)
    pool = None
    if args.jobs > 1:
        import multiprocessing
        pool = multiprocessing.Pool(args.jobs, _system_vocab, (args.seed,))
        made = pool.imap(_system_file, jobs[:distinct], chunksize=4)
    else:
        _system_vocab(args.seed)
        made = map(_system_file, jobs[:distinct])
    if distinct < len(jobs):
        once = list(made)
        made = (once[i % distinct] for i in range(len(jobs)))
        plan = [(top, name, jobs[i % distinct][0], size, seed) for i, (top, name, _, size, seed) in enumerate(plan)]
    dirs = {}
    for (top, name, kind, _, _), (data, got) in zip(plan, made):
        if top not in dirs:
            dirs[top] = vol.makedirs(top)
        extra = {"content": kind}
        if got is None:
            vol.add_file(dirs[top], name, data, extra=extra)
        else:
            if got[0] in (11, 12):
                kinds = {}
                for piece in (got[1] if isinstance(got[1], list) else [got[1]]):
                    for k, n in lzfse_fse.block_kinds(piece).items():
                        kinds[k] = kinds.get(k, 0) + n
                extra["lzfse_blocks"] = kinds
            vol.add_compressed(dirs[top], name, data, got[0], encoded=got[1], extra=extra)
    if pool:
        pool.close()
        pool.join()


def cryptex_os(vol, rnd, placeholder_cache=True):
    d = vol.makedirs("/System/Library/dyld")
    if placeholder_cache:
        vol.add_file(d, "dyld_shared_cache_arm64e", b"dyld_v1  arm64e\x00" + rnd.randbytes(3 * BS))
    cs = vol.makedirs("/System/Library/CoreServices")
    plist = (b'<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>'
             b"<key>ProductBuildVersion</key><string>22E772610a</string>"
             b"<key>ProductName</key><string>macOS</string>"
             b"<key>ProductVersion</key><string>13.3.1</string>"
             b"<key>ProductVersionExtra</key><string>(a)</string></dict></plist>\n")
    vol.add_file(cs, "SystemVersion.plist", plist)
    fw = vol.makedirs("/System/Library/Frameworks/WebKit.framework/Versions/A")
    vol.add_compressed(fw, "WebKit", text_data(100000, 9), 8)


def lzbitmap_files(vol):
    """--lzbitmap: decmpfs types 13 (inline) and 14 (resource fork), as iOS 16+ writes them."""
    c = vol.makedirs("/compressed")
    big = text_data(150000, 12) + bytes(range(256)) * 40
    vol.add_compressed(c, "type13.txt", text_data(2500, 10), 13)
    vol.add_compressed(c, "type13-stored.txt", text_data(600, 11), 13, "stored")
    vol.add_compressed(c, "type14.bin", big, 14, "stored-chunk")


def add_tree(vol, spec, ctype=None):
    """VOLDIR=HOSTDIR: HOSTDIR's directories and regular files, sorted, under VOLDIR (as decmpfs
    files of `ctype` when given)."""
    voldir, _, host = spec.partition("=")
    if not voldir.startswith("/") or not host:
        sys.exit("--add-tree wants VOLDIR=HOSTDIR with an absolute VOLDIR: " + spec)
    for top, dirnames, filenames in os.walk(host):
        dirnames.sort()
        rel = os.path.relpath(top, host)
        here = voldir.rstrip("/") + ("" if rel == "." else "/" + rel.replace(os.sep, "/"))
        parent = vol.makedirs(here)
        for name in sorted(filenames):
            path = os.path.join(top, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    if ctype:
                        vol.add_compressed(parent, name, f.read(), ctype)
                    else:
                        vol.add_file(parent, name, f.read())


# ---------------------------------------------------------------- container
def spaceman_and_bitmaps(img, block_count):
    """Chunk-info blocks and allocation bitmaps for [0, used), then the space manager itself."""
    chunks = (block_count + BLOCKS_PER_CHUNK - 1) // BLOCKS_PER_CHUNK
    cibs = (chunks + CHUNKS_PER_CIB - 1) // CHUNKS_PER_CIB
    bitmap_paddrs = [img.alloc() for _ in range(chunks)]
    cib_paddrs = [img.alloc() for _ in range(cibs)]
    used = img.next_block  # everything below is allocated; nothing above
    free_total = 0
    infos = []
    for c in range(chunks):
        first = c * BLOCKS_PER_CHUNK
        count = min(BLOCKS_PER_CHUNK, block_count - first)
        n_used = max(0, min(count, used - first))
        bm = bytearray(BS)
        full, rest = divmod(n_used, 8)
        bm[:full] = b"\xff" * full
        if rest:
            bm[full] = (1 << rest) - 1
        img.write_at(bitmap_paddrs[c], bm)
        free_total += count - n_used
        infos.append(struct.pack("<QQIIQ", XID, first, count, count - n_used, bitmap_paddrs[c]))
    for i, p in enumerate(cib_paddrs):
        part = infos[i * CHUNKS_PER_CIB:(i + 1) * CHUNKS_PER_CIB]
        buf = bytearray(BS)
        struct.pack_into("<II", buf, 32, i, len(part))
        buf[40:40 + 32 * len(part)] = b"".join(part)
        img.write_object(p, buf, p, OBJ_PHYSICAL | T_CIB, 0)
    sm = bytearray(BS)
    addr_off = 0x180
    struct.pack_into("<IIII", sm, 32, BS, BLOCKS_PER_CHUNK, CHUNKS_PER_CIB, (BS - 40) // 8)
    struct.pack_into("<QQIIQI", sm, 48, block_count, chunks, cibs, 0, free_total, addr_off)
    for i, p in enumerate(cib_paddrs):
        struct.pack_into("<Q", sm, addr_off + 8 * i, p)
    img.write_object(CKPT_DATA_BASE, sm, SPACEMAN_OID, OBJ_EPHEMERAL | T_SPACEMAN, 0)
    reaper = bytearray(BS)
    struct.pack_into("<QQQQI", reaper, 32, 0, 0, 0, 0, 1)
    img.write_object(CKPT_DATA_BASE + 1, reaper, REAPER_OID, OBJ_EPHEMERAL | T_REAPER, 0)
    return free_total


def finish_container(img, vols, block_count, seed):
    mappings = [(v.apsb_oid, v.apsb_paddr) for v in vols]
    omap = omap_object(img, mappings)
    if img.next_block + 64 > block_count:
        block_count = img.next_block + 64
    spaceman_and_bitmaps(img, block_count)
    assert img.next_block <= block_count
    cpm = bytearray(BS)
    struct.pack_into("<II", cpm, 32, 1, 2)
    struct.pack_into("<IIIIQQQ", cpm, 40, OBJ_EPHEMERAL | T_SPACEMAN, 0, BS, 0, 0, SPACEMAN_OID, CKPT_DATA_BASE)
    struct.pack_into("<IIIIQQQ", cpm, 80, OBJ_EPHEMERAL | T_REAPER, 0, BS, 0, 0, REAPER_OID, CKPT_DATA_BASE + 1)
    img.write_object(CKPT_DESC_BASE, cpm, CKPT_DESC_BASE, OBJ_PHYSICAL | T_CPM, 0)
    nx = bytearray(BS)
    struct.pack_into("<IIQQQQ", nx, 32, 0x4253584E, BS, block_count, 0, 0, 0x2)
    nx[72:88] = uuid.UUID(int=random.Random(seed).getrandbits(128), version=4).bytes
    struct.pack_into("<QQIIQQIIIIII", nx, 88, img.next_oid, XID + 1, CKPT_DESC_BLOCKS, CKPT_DATA_BLOCKS,
                     CKPT_DESC_BASE, CKPT_DATA_BASE, 2, 2, 0, 2, 0, 2)
    max_fs = min(100, max(len(vols), (block_count * BS + (512 << 20) - 1) // (512 << 20)))
    struct.pack_into("<QQQII", nx, 152, SPACEMAN_OID, omap, REAPER_OID, 0, max_fs)
    for i, v in enumerate(vols):
        struct.pack_into("<Q", nx, 184 + 8 * i, v.apsb_oid)
    raw = img.write_object(CKPT_DESC_BASE + 1, nx, 1, OBJ_EPHEMERAL | T_NXSB, 0)
    img.write_at(0, raw)
    img.f.truncate(block_count * BS)
    return block_count


# ---------------------------------------------------------------- GPT / UDIF wrapping
def wrap_gpt_udif(raw_path, dmg_path=None, gpt_path=None, chunk_sectors=2048, codec="zlib", lzfse_cli=None):
    """Puts the container in a GPT disk (partition at LBA 40, as hdiutil does) and, for dmg_path, a
    UDIF image built with make_udif.py's GPT, blkx and koly writers (zlib chunks, zero chunks).
    With codec "lzfse" the partition's chunks are LZFSE (ULFO), as in Apple's cryptex dmgs, encoded
    by lzfse_cli (an `lzfse` CLI that encodes stdin to stdout with `-encode`: the reference
    implementation a benchmark builds) or else by lzfse_fse.py (about 1 MB/s: small images only);
    chunks that do not shrink are stored raw, as hdiutil does. Chunks are compressed by two threads
    (zlib and the child processes run outside the GIL)."""
    from concurrent.futures import ThreadPoolExecutor
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import make_udif as mu
    import plistlib
    part_bytes = os.path.getsize(raw_path)
    cs = chunk_sectors
    part_sectors = (part_bytes // mu.SECTOR + cs - 1) // cs * cs
    total = 40 + part_sectors + 33
    mbr, hdr, table, bhdr = mu.gpt_structures(total, 40, 40 + part_sectors - 1, mu.APFS_GUID, "disk image")
    if gpt_path:
        with open(gpt_path, "wb") as g, open(raw_path, "rb") as src:
            g.write(mbr + hdr + table)
            g.seek(40 * mu.SECTOR)
            while True:
                piece = src.read(8 << 20)
                if not piece:
                    break
                g.write(piece)
            g.seek((total - 33) * mu.SECTOR)
            g.write(table + bhdr)
    if not dmg_path:
        return
    out = open(dmg_path, "wb")
    pos = 0
    blkxs = []

    def emit_plain(name, first, data, bid):
        nonlocal pos
        b = mu.Blkx(name, first, len(data) // mu.SECTOR, len(blkxs), bid)
        comp = zlib.compress(data, 6)
        b.chunks.append((mu.ZLIB, 0, len(data) // mu.SECTOR, pos, len(comp)))
        b.crc = mu.crc32(data)
        out.write(comp)
        pos += len(comp)
        blkxs.append(b)

    emit_plain("Protective Master Boot Record (MBR : 0)", 0, mbr, "-1")
    emit_plain("GPT Header (Primary GPT Header : 1)", 1, hdr, "0")
    emit_plain("GPT Partition Data (Primary GPT Table : 2)", 2, table, "1")
    free = mu.Blkx(" (Apple_Free : 3)", 34, 6, len(blkxs), "2")
    free.chunks.append((mu.IGNORE, 0, 6, pos, 0))
    free.crc = 0
    blkxs.append(free)
    part = mu.Blkx("disk image (Apple_APFS : 4)", 40, part_sectors, len(blkxs), "3")
    crc = 0
    zero_chunk = bytes(cs * mu.SECTOR)

    def compress(data):
        if data == zero_chunk:
            return mu.ZERO, b""
        if codec == "zlib":
            return mu.ZLIB, zlib.compress(data, 1)
        comp = lzfse_fse.encode(data, lzfse_cli)
        return (mu.LZFSE, comp) if len(comp) < len(data) else (mu.RAW, data)

    def chunks(src):
        for _ in range(part_sectors // cs):
            yield src.read(cs * mu.SECTOR).ljust(cs * mu.SECTOR, b"\x00")

    def emit_chunk(j, job):
        nonlocal pos
        kind, comp = job.result()
        part.chunks.append((kind, j * cs, cs, pos, len(comp)))
        out.write(comp)
        pos += len(comp)

    with open(raw_path, "rb") as src, ThreadPoolExecutor(2) as pool:
        window = collections.deque()  # chunks being compressed, written in disk order
        for i, data in enumerate(chunks(src)):
            crc = mu.crc32(data, crc)
            window.append((i, pool.submit(compress, data)))
            if len(window) > 8:
                emit_chunk(*window.popleft())
        while window:
            emit_chunk(*window.popleft())
    part.crc = crc
    blkxs.append(part)
    emit_plain("GPT Partition Data (Backup GPT Table : 5)", total - 33, table, "4")
    emit_plain("GPT Header (Backup GPT Header : 6)", total - 1, bhdr, "5")
    plist = {"resource-fork": {
        "blkx": [{"Attributes": "0x0050", "CFName": b.name, "Data": b.mish(), "ID": b.id, "Name": b.name}
                 for b in blkxs],
        "plst": [{"Attributes": "0x0050", "Data": bytes(1032), "ID": "0", "Name": ""}],
    }}
    xml = plistlib.dumps(plist, fmt=plistlib.FMT_XML)
    out.write(xml)
    master = 0
    for b in blkxs:
        if b.has_crc:
            master = mu.crc32(struct.pack(">I", b.crc), master)
    koly = bytearray(512)
    koly[0:4] = b"koly"
    struct.pack_into(">IIIQQQQQII", koly, 4, 4, 512, 1, 0, 0, pos, 0, 0, 1, 1)
    struct.pack_into(">QQ", koly, 216, pos, len(xml))
    struct.pack_into(">III", koly, 352, 2, 32, master)
    struct.pack_into(">IQ", koly, 488, 1, total)
    out.write(koly)
    out.close()


# ---------------------------------------------------------------- main
def parse_size(text):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text[-1].upper() in mult:
        return int(float(text[:-1]) * mult[text[-1].upper()])
    return int(text)


ROLES = {"none": 0, "system": 0x1, "user": 0x2, "recovery": 0x4, "vm": 0x8, "preboot": 0x10, "data": 0x40,
         "update": 0xC0}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--files", type=int, default=100, help="bulk files (0 = none)")
    ap.add_argument("--total-size", type=parse_size, default=parse_size("4M"), help="bytes of bulk file data")
    ap.add_argument("--dist", choices=["fixed", "uniform", "lognormal"], default="lognormal")
    ap.add_argument("--per-dir", type=int, default=100)
    ap.add_argument("--shape", choices=["bulk", "system"], default="bulk",
                    help="bulk: random-byte files stored plain (--dist sizes); system: files shaped like a macOS "
                         "system volume's, most of them decmpfs LZVN/LZFSE (samples/gen/apfs_system_shape.py)")
    ap.add_argument("--jobs", type=int, default=1, help="--shape system: processes making and encoding files")
    ap.add_argument("--distinct", type=int, default=0,
                    help="--shape system: make and encode only this many files and repeat their contents "
                         "(0 = every file its own); for multi-GB benchmark images")
    ap.add_argument("--system-codecs", choices=["mixed", "lzvn"], default="mixed",
                    help="--shape system: LZVN or LZFSE by size as on real volumes (mixed), or LZVN for every "
                         "decmpfs file, so that readers without LZFSE (python3-fsapfs) read them all")
    ap.add_argument("--extents", type=int, default=4, help="most data extents per bulk file (1 = contiguous)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--container-size", type=parse_size, default=0, help="minimum container size (sparse)")
    ap.add_argument("--name", default="Data")
    ap.add_argument("--role", choices=sorted(ROLES), default="data")
    ap.add_argument("--case-insensitive", action="store_true")
    ap.add_argument("--sealed", action="store_true", help="sealed volume: hashed fs tree, FEXT tree, integrity meta")
    ap.add_argument("--second-volume", action="store_true", help="add a small second volume 'Extra' (role user)")
    ap.add_argument("--cryptex", choices=["os"], help="one sealed volume shaped like an OS cryptex")
    ap.add_argument("--no-specials", action="store_true", help="only bulk files")
    ap.add_argument("--add-tree", action="append", default=[], metavar="VOLDIR=HOSTDIR",
                    help="copy HOSTDIR's regular files and directories into VOLDIR of the first volume "
                         "(repeatable; with --cryptex os it replaces the placeholder dyld cache)")
    ap.add_argument("--lzbitmap", action="store_true", help="add /compressed/type13*.txt and type14.bin (LZBITMAP)")
    ap.add_argument("--add-tree-decmpfs", type=int, choices=[14], default=None,
                    help="store --add-tree files as decmpfs files of this type (14: LZBITMAP resource fork, as "
                         "iOS 16+ cryptexes store their dyld cache)")
    ap.add_argument("--fill", type=float, default=1.0, help="fs-tree node fill factor (lower = deeper tree)")
    ap.add_argument("--corrupt", choices=["checksum", "cycle", "extent-past-end", "decmpfs-huge"])
    ap.add_argument("--manifest", help="write the ground truth here (JSON)")
    ap.add_argument("--gpt", help="also write the container inside a GPT disk here")
    ap.add_argument("--udif", help="also write a UDIF dmg (GPT + APFS partition) here")
    ap.add_argument("--udif-codec", choices=["zlib", "lzfse"], default="zlib",
                    help="--udif chunks: zlib, or LZFSE (ULFO) as in Apple's cryptex dmgs")
    ap.add_argument("--lzfse-cli", help="--udif-codec lzfse: encode with this `lzfse` command (`-encode`, stdin to "
                                        "stdout; the reference implementation, built locally) instead of "
                                        "lzfse_fse.py (about 1 MB/s)")
    a = ap.parse_args()

    rnd = random.Random(a.seed)
    img = Image(a.output)
    vols = []
    if a.cryptex:
        v = Volume(img, "Cryptex1,SystemOS", ROLES["system"], sealed=True, seed=a.seed)
        cryptex_os(v, rnd, placeholder_cache=not a.add_tree)
        vols.append(v)
    else:
        v = Volume(img, a.name, ROLES[a.role], case_insensitive=a.case_insensitive, sealed=a.sealed, seed=a.seed)
        if not a.no_specials:
            specials(v, rnd)
            compressed(v, rnd)
        if a.shape == "system":
            system_bulk(v, a, rnd)
        else:
            bulk(v, a, rnd)
        if a.corrupt == "decmpfs-huge":
            d = v.makedirs("/bad")
            v.add_compressed(d, "zlib-inline-huge.txt", text_data(100), 3, claim=1 << 50)
            v.add_compressed(d, "lzvn-rsrc-huge.bin", text_data(70000), 8, claim=1 << 50)
            v.add_compressed(d, "zlib-rsrc-huge.bin", text_data(70000), 4, claim=1 << 50)
        if a.corrupt == "extent-past-end":
            d = v.makedirs("/bad")
            f = v.add_file(d, "far-extent.bin", rnd.randbytes(2 * BS))
            v.bad_extent = (f.id, 1 << 40)
        vols.append(v)
        if a.second_volume:
            v2 = Volume(img, "Extra", ROLES["user"], seed=a.seed, index=1)
            e = v2.makedirs("/docs")
            v2.add_file(e, "readme.txt", b"second volume\n")
            v2.add_compressed(e, "packed.txt", text_data(5000, 11), 7)
            vols.append(v2)
    if a.lzbitmap:
        lzbitmap_files(vols[0])
    for spec in a.add_tree:
        add_tree(vols[0], spec, a.add_tree_decmpfs)
    fill = a.fill if a.corrupt != "cycle" else min(a.fill, 0.3)
    for v in vols:
        v.finish(fill)
    block_count = max((a.container_size + BS - 1) // BS, 0)
    block_count = finish_container(img, vols, block_count, a.seed)

    broken = {}
    v = vols[0]
    root_oid, root_paddr, levels = v.fs_root
    if a.corrupt == "checksum":
        buf = img.read_block(root_paddr)
        stored = struct.unpack_from("<Q", buf, 0)[0]
        buf[BS - 100] ^= 0x5A
        broken = {"rule": "checksum", "paddr": root_paddr, "oid": root_oid, "xid": XID,
                  "stored": "0x%016x" % stored, "computed": "0x%016x" % fletcher64(buf)}
        img.write_at(root_paddr, buf)
    elif a.corrupt == "cycle":
        assert levels >= 2, "cycle needs an index root"
        buf = img.read_block(root_paddr)
        toc_len = struct.unpack_from("<H", buf, 42)[0]
        _, _, voff, _ = struct.unpack_from("<HHHH", buf, 56)
        struct.pack_into("<Q", buf, BS - 40 - voff, root_oid)
        img.rewrite_checksum(root_paddr, buf)
        broken = {"rule": "cycle", "paddr": root_paddr, "oid": root_oid, "level": levels - 1, "toc_len": toc_len}
    elif a.corrupt == "extent-past-end":
        broken = {"rule": "extent-past-end", "paddr": 1 << 40, "length": 2 * BS, "inode": v.bad_extent[0]}
    elif a.corrupt == "decmpfs-huge":
        broken = {"rule": "decmpfs-huge", "claim": 1 << 50}
    img.f.close()

    info = {"container": {"block_size": BS, "block_count": block_count, "xid": XID},
            "volumes": [{"name": x.name, "role": x.role, "uuid": str(x.uuid).upper(), "sealed": x.sealed,
                         "case_insensitive": x.case_insensitive, "fs_tree_levels": x.fs_root[2],
                         "fs_tree_nodes": len(x.fs_nodes), "root_hash": getattr(x, "root_hash", None),
                         "files": x.manifest} for x in vols]}
    if broken:
        info["corrupt"] = broken
    if a.manifest:
        with open(a.manifest, "w") as m:
            json.dump(info, m, indent=1)
    if a.gpt or a.udif:
        wrap_gpt_udif(a.output, a.udif, a.gpt, codec=a.udif_codec, lzfse_cli=a.lzfse_cli)
    nfiles = sum(1 for x in vols for f in x.manifest if f["type"] == "file")
    print(f"{a.output}: {block_count} blocks, {len(vols)} volume(s), {nfiles} files, fs tree "
          f"{vols[0].fs_root[2]} level(s) / {len(vols[0].fs_nodes)} nodes", file=sys.stderr)


if __name__ == "__main__":
    main()
