#!/usr/bin/env python3
"""Installer package (.pkg) writer for upscope's tests. python3 stdlib only.

A flat installer package is a xar archive (docs/formats/pkg.md): a 28-byte big-endian header
("xar!", header size, version 1, compressed and uncompressed TOC lengths, checksum algorithm 1 =
SHA-1), the zlib-compressed XML table of contents, then the heap: the TOC's SHA-1 at heap offset 0,
then every member's bytes. A component package holds Bom (make_bom.py), PackageInfo, Payload (a cpio
archive in odc form, gzip-compressed or pbzx-wrapped) and Scripts (a gzip cpio of preinstall and
postinstall). A product archive holds a Distribution and one or more component directories.
Debian has no xar tool; 7-Zip (7zz) reads xar and cpio and is the independent reader the tests use.

Commands:
  component OUT [--payload gzip|pbzx] [--no-bom] [--no-scripts]
  product OUT                  Distribution + Hello.pkg/ (gzip payload) + Tools.pkg/ (pbzx payload)
  scripts OUT                  a Scripts member on its own (gzip cpio)
  other OUT                    a xar that is not an installer package (Content and Metadata, as a .xip)
  manifest                     prints the payload's files as JSON (path, type, mode, size)
"""
import argparse
import gzip
import hashlib
import json
import os
import struct
import sys
import zlib
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_bom  # noqa: E402
from pbz import pbzx  # noqa: E402

MTIME = 1700000000


def payload_entries():
    """What the package installs, relative to its install location (BOM paths, "./...")."""
    e = make_bom.entry
    big = b"".join(b"line %05d of the manual\n" % i for i in range(3000))
    return [
        e(".", "directory", mode=0o755),
        e("./Applications", "directory", mode=0o775, gid=80),
        e("./Applications/Hello.app", "directory", gid=80),
        e("./Applications/Hello.app/Contents", "directory", gid=80),
        e("./Applications/Hello.app/Contents/Info.plist", "file", gid=80, content=b"<plist>hello</plist>\n"),
        e("./Applications/Hello.app/Contents/MacOS", "directory", gid=80),
        e("./Applications/Hello.app/Contents/MacOS/Hello", "file", mode=0o755, gid=80,
          content=b"\xcf\xfa\xed\xfe" + bytes(range(200))),
        e("./Library", "directory"),
        e("./Library/Documentation", "directory"),
        e("./Library/Documentation/hello.txt", "file", content=big),
        e("./usr", "directory"),
        e("./usr/local", "directory"),
        e("./usr/local/bin", "directory"),
        e("./usr/local/bin/hello", "symlink", target="/Applications/Hello.app/Contents/MacOS/Hello"),
    ]


def tool_entries():
    e = make_bom.entry
    return [
        e(".", "directory"),
        e("./usr", "directory"),
        e("./usr/local", "directory"),
        e("./usr/local/bin", "directory"),
        e("./usr/local/bin/hello-tool", "file", mode=0o755, content=b"#!/bin/sh\necho tool\n"),
    ]


def cpio_odc(entries):
    """cpio "odc" (070707): six-digit octal fields, 11-digit mtime and file size; name NUL-terminated."""
    out = bytearray()
    for ino, ent in enumerate(entries, start=1):
        if ent["type"] == "file":
            data = ent["content"]
        elif ent["type"] == "symlink":
            data = ent["target"].encode()
        else:
            data = b""
        name = ent["path"].encode() + b"\0"
        out += b"070707" + b"%06o%06o%06o%06o%06o%06o%06o%011o%06o%011o" % (
            0, ino, ent["mode"], ent["uid"], ent["gid"], 1, 0, ent["mtime"], len(name), len(data))
        out += name + data
    name = b"TRAILER!!!\0"
    out += b"070707" + b"%06o%06o%06o%06o%06o%06o%06o%011o%06o%011o" % (0, 0, 0, 0, 0, 1, 0, 0, len(name), 0) + name
    return bytes(out)


def gzip_bytes(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def scripts_member():
    e = make_bom.entry
    return gzip_bytes(cpio_odc([
        e(".", "directory"),
        e("./postinstall", "file", mode=0o755, content=b"#!/bin/sh\ntouch /tmp/hello-installed\n"),
        e("./preinstall", "file", mode=0o755, content=b"#!/bin/sh\nexit 0\n"),
    ]))


def package_info(ident, entries):
    files = sum(1 for x in entries if x["type"] == "file")
    kb = sum(len(x["content"]) for x in entries if x["type"] == "file") // 1024 + 1
    return ('<?xml version="1.0" encoding="utf-8"?>\n<pkg-info format-version="2" identifier="%s" version="1.0" '
            'install-location="/" auth="root">\n  <payload numberOfFiles="%d" installKBytes="%d"/>\n</pkg-info>\n'
            % (ident, files, kb)).encode()


def component_members(ident, entries, payload="gzip", bom=True, scripts=True, prefix=""):
    cpio = cpio_odc(entries)
    members = []
    if bom:
        members.append((prefix + "Bom", make_bom.build(entries)))
    members.append((prefix + "PackageInfo", package_info(ident, entries)))
    members.append((prefix + "Payload", gzip_bytes(cpio) if payload == "gzip" else pbzx(cpio, block_size=4096)))
    if scripts:
        members.append((prefix + "Scripts", scripts_member()))
    return members


class Xar:
    """Members are stored as they are (encoding application/octet-stream, as Apple's tools store
    Payload and Bom); directories come from the '/' in member names."""

    def __init__(self):
        self.heap = bytearray(20)  # the TOC checksum goes first
        self.root = {}  # name -> dict (directory) or (offset, length, sha1)
        self.next_id = 1

    def add(self, path, data):
        parts = path.split("/")
        d = self.root
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = (len(self.heap), len(data), hashlib.sha1(data).hexdigest())
        self.heap += data

    def _toc_files(self, d, indent):
        out = []
        for name in sorted(d):
            item = d[name]
            fid = self.next_id
            self.next_id += 1
            pad = "  " * indent
            out.append('%s<file id="%d">' % (pad, fid))
            out.append("%s  <name>%s</name>" % (pad, escape(name)))
            if isinstance(item, dict):
                out.append("%s  <type>directory</type>" % pad)
                out.append("%s  <mode>0755</mode>" % pad)
                out += self._toc_files(item, indent + 1)
            else:
                off, length, sha = item
                out.append("%s  <type>file</type>" % pad)
                out.append("%s  <mode>0644</mode>" % pad)
                out.append("%s  <data>" % pad)
                out.append("%s    <length>%d</length>" % (pad, length))
                out.append("%s    <offset>%d</offset>" % (pad, off))
                out.append("%s    <size>%d</size>" % (pad, length))
                out.append('%s    <encoding style="application/octet-stream"/>' % pad)
                out.append('%s    <extracted-checksum style="sha1">%s</extracted-checksum>' % (pad, sha))
                out.append('%s    <archived-checksum style="sha1">%s</archived-checksum>' % (pad, sha))
                out.append("%s  </data>" % pad)
            out.append("%s</file>" % pad)
        return out

    def write(self):
        self.next_id = 1
        lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<xar>", " <toc>",
                 "  <creation-time>2023-11-14T22:13:20</creation-time>",
                 '  <checksum style="sha1">', "   <offset>0</offset>", "   <size>20</size>", "  </checksum>"]
        lines += self._toc_files(self.root, 2)
        lines += [" </toc>", "</xar>", ""]
        toc = "\n".join(lines).encode()
        ztoc = zlib.compress(toc, 9)
        heap = bytearray(self.heap)
        heap[0:20] = hashlib.sha1(ztoc).digest()
        header = struct.pack(">4sHHQQI", b"xar!", 28, 1, len(ztoc), len(toc), 1)
        return header + ztoc + bytes(heap)


def distribution(components):
    refs = "\n".join('  <pkg-ref id="%s" version="1.0">#%s</pkg-ref>' % (i, n) for i, n in components)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<installer-gui-script minSpecVersion="2">\n  <title>Hello</title>\n'
            '%s\n</installer-gui-script>\n' % refs).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("component")
    p.add_argument("out")
    p.add_argument("--payload", choices=["gzip", "pbzx"], default="gzip")
    p.add_argument("--no-bom", action="store_true")
    p.add_argument("--no-scripts", action="store_true")
    p = sub.add_parser("product")
    p.add_argument("out")
    for name in ("scripts", "other"):
        p = sub.add_parser(name)
        p.add_argument("out")
    sub.add_parser("manifest")
    a = ap.parse_args()
    if a.cmd == "manifest":
        json.dump(make_bom.manifest(payload_entries()), sys.stdout, indent=1)
        return 0
    if a.cmd == "scripts":
        data = scripts_member()
    else:
        x = Xar()
        if a.cmd == "other":
            members = [("Content", gzip_bytes(b"not a package\n" * 10)), ("Metadata", b"<plist/>\n")]
        elif a.cmd == "component":
            members = component_members("com.example.hello", payload_entries(), a.payload, not a.no_bom,
                                        not a.no_scripts)
        else:
            members = [("Distribution", distribution([("com.example.hello", "Hello.pkg"),
                                                      ("com.example.tools", "Tools.pkg")]))]
            members += component_members("com.example.hello", payload_entries(), "gzip", prefix="Hello.pkg/")
            members += component_members("com.example.tools", tool_entries(), "pbzx", scripts=False,
                                         prefix="Tools.pkg/")
        for name, data in members:
            x.add(name, data)
        data = x.write()
    with open(a.out, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
