#!/usr/bin/env python3
"""Rewrites a schema 3 upscope catalogue (SQLite) as an older upscope stored it, to test migrations
(python3 stdlib only): schema 2 kept one `components` row per build and component, pointing at shared
`details` rows (hex digest), and `not_analysed` rows; schema 1 is schema 2 without details.facts.

usage: catalog_schema2.py CATALOG.db 2|1

Schema 3 (docs/catalog.md section 2) keeps each distinct component once and a build's components as
row keys in builds.members, ULEB128 throughout: encoding 0 is the count, then per run its length and
the zigzag distance of its first key from the previous run's end; encoding 1 is a delta from another
build's members: that build's key, the depth, the count, then ops whose first number is
length * 2 + kind: kind 0 copies a stretch of the base's members (zigzag distance from where the
previous copy ended), kind 1 is a run of keys as in encoding 0.
"""
import sqlite3
import sys

SCHEMA2 = """
CREATE TABLE builds(
  id INTEGER PRIMARY KEY,
  product TEXT NOT NULL, version TEXT NOT NULL, build TEXT NOT NULL, version_extra TEXT NOT NULL,
  platform TEXT NOT NULL, arch TEXT NOT NULL, source TEXT NOT NULL, digest TEXT NOT NULL,
  added_at TEXT NOT NULL, component_count INTEGER NOT NULL, not_analysed_count INTEGER NOT NULL,
  UNIQUE(product, version, build, version_extra, digest));
CREATE TABLE details(
  id INTEGER PRIMARY KEY, digest TEXT NOT NULL UNIQUE, symbols BLOB NOT NULL, functions BLOB NOT NULL,
  facts BLOB NOT NULL);
CREATE TABLE components(
  build_id INTEGER NOT NULL REFERENCES builds(id), seq INTEGER NOT NULL,
  id TEXT NOT NULL, kind TEXT NOT NULL, space TEXT NOT NULL, location TEXT NOT NULL, path TEXT NOT NULL,
  version TEXT NOT NULL, uuid TEXT NOT NULL, size INTEGER NOT NULL, code_hash TEXT NOT NULL,
  hashes BLOB NOT NULL, details_id INTEGER NOT NULL REFERENCES details(id),
  PRIMARY KEY(build_id, seq));
CREATE INDEX components_by_id ON components(id, build_id);
CREATE TABLE not_analysed(
  build_id INTEGER NOT NULL REFERENCES builds(id), seq INTEGER NOT NULL, path TEXT NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY(build_id, seq));
"""


def uleb(b, i):
    v = shift = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return v, i


def unzigzag(z):
    return (z >> 1) ^ -(z & 1)


def members(blob, base_of):
    """The keys of one build; base_of(key) gives another build's keys (for encoding 1)."""
    tag, i = uleb(blob, 0)
    base = []
    if tag == 1:
        base_key, i = uleb(blob, i)
        _depth, i = uleb(blob, i)
        base = base_of(base_key)
    else:
        assert tag == 0, tag
    n, i = uleb(blob, i)
    keys, end, copy_end = [], 0, 0
    while len(keys) < n:
        head, i = uleb(blob, i)
        z, i = uleb(blob, i)
        copy = tag == 1 and head & 1 == 0
        length = head >> 1 if tag == 1 else head
        if copy:
            start = copy_end + unzigzag(z)
            keys.extend(base[start:start + length])
            copy_end = start + length
        else:
            start = end + unzigzag(z)
            keys.extend(range(start, start + length))
            end = start + length
    return keys


def strings(blob):
    n, i = uleb(blob, 0)
    out = []
    for _ in range(n):
        length, i = uleb(blob, i)
        out.append(blob[i:i + length].decode("utf-8", "surrogateescape"))
        i += length
    return out


def main():
    path, version = sys.argv[1], int(sys.argv[2])
    db = sqlite3.connect(path)
    db.text_factory = bytes
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    db.executescript("ALTER TABLE builds RENAME TO v3_builds; ALTER TABLE components RENAME TO v3_components;"
                     "ALTER TABLE details RENAME TO v3_details; DROP INDEX components_by_cid;")
    db.executescript(SCHEMA2)
    db.execute("INSERT INTO details SELECT id, lower(hex(digest)), symbols, functions, facts FROM v3_details")
    rows = db.execute("SELECT id, product, version, build, version_extra, platform, arch, source, digest, added_at, "
                      "component_count, not_analysed_count, members, not_analysed FROM v3_builds").fetchall()
    blobs = {r[0]: r[12] for r in rows}
    decoded = {}

    def keys_of(build):
        if build not in decoded:
            decoded[build] = members(blobs[build], keys_of)
        return decoded[build]

    for r in rows:
        db.execute("INSERT INTO builds VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", r[:12])
        for seq, key in enumerate(keys_of(r[0])):
            db.execute("INSERT INTO components SELECT ?, ?, cid, kind, space, location, path, version, uuid, size, "
                       "code_hash, hashes, details_id FROM v3_components WHERE id = ?", (r[0], seq, key))
        na = strings(r[13])
        for seq in range(len(na) // 2):
            db.execute("INSERT INTO not_analysed VALUES (?, ?, ?, ?)",
                       (r[0], seq, na[2 * seq].encode("utf-8", "surrogateescape"),
                        na[2 * seq + 1].encode("utf-8", "surrogateescape")))
    db.executescript("DROP TABLE v3_builds; DROP TABLE v3_components; DROP TABLE v3_details;")
    if version == 1:
        db.execute("ALTER TABLE details DROP COLUMN facts")
    db.execute("PRAGMA user_version = %d" % version)
    db.commit()
    db.execute("VACUUM")
    db.close()


if __name__ == "__main__":
    main()
