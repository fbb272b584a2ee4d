#!/usr/bin/python3
"""Lists an APFS container with libfsapfs (python3-fsapfs, Debian), the independent reader the
tests and bench/bench_apfs_big.sh compare upscope with. Needs /usr/bin/python3 (Debian's).

  apfs_reference_list.py IMAGE [--offset N] [--volume I] [--no-content] [--json]

Prints one line per entry: path, inode, type, size, sha256 (files), symlink target; or with --json
a list of objects. A file whose content libfsapfs cannot read gets sha256 "error: ...".
"""
import argparse
import hashlib
import io
import json
import sys

import pyfsapfs


def kind(mode):
    t = mode & 0o170000
    return {0o040000: "directory", 0o100000: "file", 0o120000: "symlink"}.get(t, "other")


def walk(fe, path, out, content):
    for i in range(fe.number_of_sub_file_entries):
        s = fe.get_sub_file_entry(i)
        p = path + "/" + s.name
        k = kind(s.file_mode)
        e = {"path": p, "inode": s.identifier, "type": k}
        if k == "file":
            e["size"] = s.size
            if content:
                try:
                    h = hashlib.sha256()
                    left = s.size
                    s.seek_offset(0, 0)
                    while left:
                        piece = s.read_buffer(min(left, 1 << 20))
                        if not piece:
                            raise IOError("short read")
                        h.update(piece)
                        left -= len(piece)
                    e["sha256"] = h.hexdigest()
                except Exception as ex:  # report, keep walking
                    e["sha256"] = "error: %s" % ex
        if k == "symlink":
            e["target"] = s.symbolic_link_target
        xs = {}
        for j in range(s.number_of_extended_attributes):
            x = s.get_extended_attribute(j)
            xs[x.name] = x.size
        e["xattrs"] = xs
        out.append(e)
        if k == "directory":
            walk(s, p, out, content)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("--offset", type=int, default=0)
    ap.add_argument("--volume", type=int, default=-1, help="volume index (default: all)")
    ap.add_argument("--no-content", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    f = open(a.image, "rb")
    if a.offset:
        f.seek(a.offset)
        f = io.BytesIO(f.read())
    c = pyfsapfs.container()
    c.open_file_object(f)
    vols = range(c.number_of_volumes) if a.volume < 0 else [a.volume]
    doc = []
    for i in vols:
        v = c.get_volume(i)
        files = []
        walk(v.get_root_directory(), "", files, not a.no_content)
        doc.append({"name": v.name, "files": files})
    if a.json:
        json.dump(doc, sys.stdout, indent=1)
        print()
    else:
        for v in doc:
            for e in v["files"]:
                print(e["path"], e["inode"], e["type"], e.get("size", "-"), e.get("sha256", "-"), e.get("target", ""))


if __name__ == "__main__":
    main()
