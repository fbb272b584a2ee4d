#!/usr/bin/env python3
"""Apple Encrypted Archive (AEA1) writer for upscope's tests: python3 with Debian's python3-cryptography
(HKDF-SHA256, AES-256-CTR, ECDSA/ECDH P-256, scrypt); HMAC, SHA-256, zlib and xz from the stdlib.

Follows docs/formats/aea.md: the header, auth data, prologue, root header, clusters of segments, the HMAC
chain, the signature, padding. Every profile (0-5). Every key and random byte comes from --seed, so the
output is reproducible except for ECDSA signatures (OpenSSL picks their nonce).

No LZFSE/LZVN/LZ4 encoder is at hand in Python: with --compression e|f|4 every segment is stored as is
(stored size = plaintext size, which the format allows), so those codecs' decoding is covered only by
the Apple-made sample. -, z (zlib) and x (xz) segments are really compressed when that saves space.

  make_aea.py OUT --profile 1 --input FILE --write-key KEY      (KEY: the raw 32-byte symmetric key)
  make_aea.py OUT --profile 0 --size 300000 --segment-size 65536 --checksum 1
  make_aea.py OUT --profile 4 --write-recipient-key R.pem       (the recipient's private key, PEM)
  make_aea.py OUT --profile 5 --password secret
  make_aea.py OUT --profile 1 --break stored-larger             (a rule broken under valid HMACs)
  make_aea.py --verify FILE [--key-hex HEX]                     (read back: every HMAC, the signature)
  make_aea.py --suite DIR                                       (the test suite's files, see suite())

--verify is this script's own reader of profiles 0 and 1 (the same primitives as the writer): run on
the Apple-made signed Shortcut it confirms the model the writer follows (offsets, key derivation with
the signing key from the auth data, the HMAC chain, the ECDSA signature); it prints one JSON object.

Auth data: --auth plist (a binary plist with SigningPublicKey, as signed Shortcuts carry; the default for
signed profiles), kv (key/value records with com.apple.wkms.fcs-key-url and -response, as IPSW/OTA files
carry; the default otherwise), none, or raw (opaque bytes).
"""
import argparse
import hashlib
import hmac
import lzma
import plistlib
import random
import struct
import sys
import zlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SIGNED = {0, 2, 4}
ENCRYPTED = {1, 2, 3, 4, 5}
ECDHE = {3, 4}
SIGNATURE_SIZE = {0: 128, 1: 0, 2: 160, 3: 0, 4: 160, 5: 0}
KEY_MATERIAL_SIZE = {0: 32, 1: 0, 2: 0, 3: 65, 4: 65, 5: 0}
CHECKSUM_SIZE = {0: 0, 1: 8, 2: 32}
SCRYPT_N = {0: 0x4000, 1: 0x10000, 2: 0x40000, 3: 0x100000}
MURMUR_SEED = 0xE2236FDC26A5F6D2
KEY_URL = "https://wkms-public.apple.com/fcs-keys/upscope-test.pem"
BREAKS = ["segment-oversize", "stored-larger", "short-segment", "gap", "sum-mismatch", "checksum",
          "reserved", "codec", "checksum-kind", "segment-size-zero", "segment-size-huge", "spc-zero",
          "container-size", "bad-compressed-data", "signature-garbage", "padding-mac", "signing-key-size",
          "plain-size-lie", "empty-stored", "early-end", "zero-stored", "codec-b"]


def hkdf(ikm, info, n, salt=b""):
    return HKDF(hashes.SHA256(), n, salt or None, info).derive(ikm)


def aea_mac(key, data, salt):
    return hmac.new(key[:32], salt + data + struct.pack("<Q", len(salt)), hashlib.sha256).digest()


def ctr(key, data):
    if len(key) < 80:  # profile 0: data keys are HMAC keys only, nothing is encrypted
        return data
    enc = Cipher(algorithms.AES(key[32:64]), modes.CTR(key[64:80])).encryptor()
    return enc.update(data) + enc.finalize()


def murmur64a(data, seed):
    m, r, mask = 0xC6A4A7935BD1E995, 47, (1 << 64) - 1
    h = (seed ^ (len(data) * m)) & mask
    n = len(data) // 8
    for i in range(n):
        k = struct.unpack_from("<Q", data, i * 8)[0]
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h ^= k
        h = (h * m) & mask
    tail = data[n * 8:]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * m) & mask
    h ^= h >> r
    h = (h * m) & mask
    h ^= h >> r
    return struct.pack("<Q", h)


def checksum(kind, data):
    if kind == 0:
        return b""
    if kind == 1:
        return murmur64a(data, MURMUR_SEED)
    return hashlib.sha256(data).digest()


def compress(codec, data):
    if codec == "z":
        return zlib.compress(data, 9)
    if codec == "x":
        return lzma.compress(data, format=lzma.FORMAT_XZ)
    return data  # '-', and e/f/4 (no encoder here: stored as is)


def point(pub):
    return pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def private_key(rng):
    # A deterministic P-256 scalar in [1, n-1].
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(rng.randrange(1, n), ec.SECP256R1())


def kv_record(key, value):
    body = key.encode() + b"\0" + value
    return struct.pack("<I", len(body) + 4) + body  # the length counts its own 4 bytes


def auth_data(kind, signing_pub, rng, brk=None):
    if kind == "none":
        return b""
    if kind == "raw":
        return b"\x01\x02opaque" + rng.randbytes(21)
    if kind == "kv":
        response = b'{"enc-request":"AAAA","wrapped-key":"BBBB"}'
        return kv_record("com.apple.wkms.fcs-key-url", KEY_URL.encode()) + \
            kv_record("com.apple.wkms.fcs-response", response)
    d = {"Note": "made by samples/gen/make_aea.py"}
    if signing_pub is not None:
        d["SigningPublicKey"] = signing_pub[:10] if brk == "signing-key-size" else signing_pub
    return plistlib.dumps(d, fmt=plistlib.FMT_BINARY)


def segments_of(payload, a):
    """Plaintext pieces: segment-size pieces, the last one shorter (short-segment: an early short one)."""
    size = a.segment_size
    if a.brk == "short-segment" and len(payload) > size:
        return [payload[:size - 1]] + [payload[i:i + size] for i in range(size - 1, len(payload), size)]
    return [payload[i:i + size] for i in range(0, len(payload), size)]


def build(payload, a):
    rng = random.Random(a.seed)
    profile = a.profile
    header_word = struct.pack("<I", profile | (a.scrypt_strength << 24))
    main_salt = rng.randbytes(32)
    signing_priv = private_key(random.Random(a.seed + 1)) if profile in SIGNED else None
    signing_pub = point(signing_priv.public_key()) if signing_priv else None

    key_material = b""
    info_keys = b""
    hkdf_salt = main_salt
    if profile == 0:
        key_material = rng.randbytes(32)
        ikm = key_material
    elif profile in (1, 2):
        ikm = a.key
    elif profile in ECDHE:
        sender = private_key(rng)
        recipient = private_key(random.Random(a.seed + 2))
        key_material = point(sender.public_key())
        info_keys = key_material + point(recipient.public_key())
        ikm = sender.exchange(ec.ECDH(), recipient.public_key())
        a.recipient_private = recipient
    else:  # 5: scrypt
        ext = hkdf(main_salt, b"AEA_SCRYPT", 64)
        hkdf_salt = ext[32:]
        ikm = Scrypt(ext[:32], 32, SCRYPT_N[a.scrypt_strength], 8, 1).derive(a.password.encode())
    if profile in SIGNED and not a.no_signing_key_in_info:
        info_keys += signing_pub
    main_key = hkdf(ikm, b"AEA_AMK" + header_word + info_keys, 32, hkdf_salt)
    dk = 32 if profile == 0 else 80

    auth = auth_data(a.auth or ("plist" if profile in SIGNED else "kv"), signing_pub, rng, a.brk)
    if a.auth_no_signing_key:
        auth = auth_data("plist", None, rng)

    csize = CHECKSUM_SIZE[a.checksum]
    spc = a.segments_per_cluster
    pieces = segments_of(payload, a)
    clusters = [pieces[i:i + spc] for i in range(0, len(pieces), spc)]

    padding = rng.randbytes(a.padding) if a.padding else b""
    if padding:
        pak = hkdf(main_key, b"AEA_PAK", 32)
        next_mac = hmac.new(pak, padding, hashlib.sha256).digest()
        if a.brk == "padding-mac":
            next_mac = bytes(32)
    else:
        next_mac = rng.randbytes(32)  # the last cluster's "next" slot: random when there is no padding

    blobs = []
    for ci in reversed(range(len(clusters))):
        ck = hkdf(main_key, b"AEA_CK" + struct.pack("<I", ci), 32)
        chk = hkdf(ck, b"AEA_CHEK", dk)
        headers, macs, data = b"", b"", b""
        for si in range(spc):
            piece = clusters[ci][si] if si < len(clusters[ci]) else None
            if piece is None:
                empty_stored = 7 if a.brk == "empty-stored" and ci == len(clusters) - 1 else 0
                headers += struct.pack("<II", 0, empty_stored) + bytes(csize)
                macs += rng.randbytes(32)
                continue
            stored = compress(a.compression, piece)
            if len(stored) >= len(piece):
                stored = piece
            plain_size, stored_size = len(piece), len(stored)
            if a.brk in ("bad-compressed-data", "codec-b") and ci == 0 and si == 0:
                stored = b"\xff" * 16
                stored_size = len(stored)
            if a.brk == "zero-stored" and ci == 0 and si == 0:
                stored, stored_size = b"", 0
            if a.brk == "plain-size-lie" and ci == len(clusters) - 1 and si == len(clusters[ci]) - 1:
                plain_size += 1  # the last segment claims one byte more than its data decodes to
            if a.brk == "segment-oversize" and ci == 0 and si == 0:
                plain_size = a.segment_size + 1
            if a.brk == "stored-larger" and ci == 0 and si == 0:
                stored = stored + b"\0"
                stored_size = plain_size + 1
            digest = checksum(a.checksum, piece)
            if a.brk == "checksum" and ci == 0 and si == 0:
                digest = bytes(len(digest)) if digest else digest
            sk = hkdf(ck, b"AEA_SK" + struct.pack("<I", si), dk)
            enc = ctr(sk, stored)
            headers += struct.pack("<II", plain_size, stored_size) + digest
            macs += aea_mac(sk, enc, b"")
            data += enc
        if a.brk == "gap" and ci == 0 and len(clusters[0]) > 1:
            # An empty segment before a non-empty one: swap segment 0's header out for zeros.
            headers = bytes(8 + csize) + headers[8 + csize:]
        enc_headers = ctr(chk, headers)
        cluster_mac = aea_mac(chk, enc_headers, next_mac + macs)
        blobs.append(enc_headers + next_mac + macs + data)
        next_mac = cluster_mac
    blobs.reverse()
    first_cluster_mac = next_mac

    sig_size = SIGNATURE_SIZE[profile]
    prologue_size = 12 + len(auth) + sig_size + len(key_material) + 32 + 32 + 48 + 32
    file_size = prologue_size + sum(len(b) for b in blobs) + len(padding)
    plain_size = len(payload) - (1 if a.brk == "sum-mismatch" else 0) + (1 if a.brk in ("early-end", "plain-size-lie") else 0)
    container = file_size + (1 if a.brk == "container-size" else 0)
    seg_size = {"segment-size-zero": 0, "segment-size-huge": 128 << 20}.get(a.brk, a.segment_size)
    codec = {"codec": "Q", "codec-b": "b"}.get(a.brk, a.compression)
    ck_kind = 7 if a.brk == "checksum-kind" else a.checksum
    root = struct.pack("<QQIIcB", plain_size, container, seg_size, 0 if a.brk == "spc-zero" else spc,
                       codec.encode(), ck_kind)
    root += (b"\x01" if a.brk == "reserved" else b"\0") + bytes(21)
    rhk = hkdf(main_key, b"AEA_RHEK", dk)
    enc_root = ctr(rhk, root)
    root_mac = aea_mac(rhk, enc_root, first_cluster_mac + auth)

    head = b"AEA1" + header_word + struct.pack("<I", len(auth)) + auth
    rest = key_material + main_salt + root_mac + enc_root + first_cluster_mac
    if sig_size:
        unsigned = head + bytes(sig_size) + rest
        if a.unsigned:
            sig = bytes(128)
        elif a.brk == "signature-garbage":
            sig = b"\x31\x02\x01\x01" + bytes(124)
        else:
            sig = signing_priv.sign(unsigned, ec.ECDSA(hashes.SHA256())).ljust(128, b"\0")
        if profile in ENCRYPTED:
            sek = hkdf(hkdf(main_key, b"AEA_SEK", 32), b"AEA_SEK2", 80)
            enc_sig = ctr(sek, sig)
            sig = enc_sig + aea_mac(sek, enc_sig, b"")
        head += sig
    out = head + rest + b"".join(blobs) + padding
    assert len(out) == file_size
    return out, signing_priv


def verify(path, key):
    """Reads a profile 0 or 1 file back with the writer's primitives; returns what it found."""
    d = open(path, "rb").read()
    if d[:4] != b"AEA1":
        raise SystemExit("verify: not AEA1")
    profile = int.from_bytes(d[4:7], "little")
    if profile not in (0, 1):
        raise SystemExit("verify: profile %d (only 0 and 1 here)" % profile)
    alen = struct.unpack_from("<I", d, 8)[0]
    auth = d[12:12 + alen]
    o = 12 + alen
    sig = d[o:o + SIGNATURE_SIZE[profile]]
    o += SIGNATURE_SIZE[profile]
    km = d[o:o + KEY_MATERIAL_SIZE[profile]]
    o += KEY_MATERIAL_SIZE[profile]
    salt, root_mac, root, first = d[o:o + 32], d[o + 32:o + 64], d[o + 64:o + 112], d[o + 112:o + 144]
    prologue_end = o + 144
    info = b"AEA_AMK" + d[4:8]
    signing_pub = None
    if profile == 0:
        signing_pub = plistlib.loads(auth)["SigningPublicKey"]
        info += signing_pub
    main_key = hkdf(km if profile == 0 else key, info, 32, salt)
    dk = 32 if profile == 0 else 80
    rhk = hkdf(main_key, b"AEA_RHEK", dk)
    out = {"profile": profile, "auth_data_size": alen, "clusters_offset": prologue_end,
           "root_header_mac": aea_mac(rhk, root, first + auth) == root_mac}
    root = ctr(rhk, root)
    plain, container, seg_size, spc, codec, ck = struct.unpack_from("<QQIIcB", root)
    out.update(plain_size=plain, container_size=container, segment_size=seg_size, segments_per_cluster=spc,
               compression=codec.decode(), checksum=ck)
    if profile == 0:
        pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), signing_pub)
        unsigned = d[:12 + alen] + bytes(128) + d[12 + alen + 128:prologue_end]
        try:
            pub.verify(sig[:sig[1] + 2], unsigned, ec.ECDSA(hashes.SHA256()))
            out["signature"] = True
        except Exception:  # noqa: BLE001 (cryptography raises InvalidSignature)
            out["signature"] = False
    hsize = 8 + CHECKSUM_SIZE[ck]
    pos, mac, done, ci, seg_ok, ch_ok, plaintext = prologue_end, first, 0, 0, 0, 0, b""
    while done < plain:
        ckey = hkdf(main_key, b"AEA_CK" + struct.pack("<I", ci), 32)
        chk = hkdf(ckey, b"AEA_CHEK", dk)
        headers = d[pos:pos + hsize * spc]
        nxt = d[pos + hsize * spc:pos + hsize * spc + 32]
        macs = d[pos + hsize * spc + 32:pos + hsize * spc + 32 + 32 * spc]
        ch_ok += aea_mac(chk, headers, nxt + macs) == mac
        headers = ctr(chk, headers)
        pos += hsize * spc + 32 + 32 * spc
        for si in range(spc):
            psize, ssize = struct.unpack_from("<II", headers, si * hsize)
            if psize == 0:
                continue
            sk = hkdf(ckey, b"AEA_SK" + struct.pack("<I", si), dk)
            data = d[pos:pos + ssize]
            pos += ssize
            seg_ok += aea_mac(sk, data, b"") == macs[32 * si:32 * si + 32]
            data = ctr(sk, data)
            if ssize < psize:
                if codec == b"z":
                    data = zlib.decompress(data)
                elif codec == b"x":
                    data = lzma.decompress(data)
                else:
                    data = None  # no decoder here (LZFSE, LZVN, LZ4)
            if data is not None:
                plaintext += data
            done += psize
        mac = nxt
        ci += 1
    out.update(clusters=ci, cluster_header_macs_ok=ch_ok, segment_macs_ok=seg_ok, end=pos, file_size=len(d),
               plaintext_sha256=hashlib.sha256(plaintext).hexdigest() if len(plaintext) == plain else None)
    return out


def suite(out_dir):
    """tests/unit/test_aea.cpp's inputs, written in one run: payload.bin (5000 bytes: 5 segments of
    1 KiB, 4 per cluster, so 2 clusters, the last one short with 3 empty segments), key.bin / key.b64
    (the symmetric key), recipient.pem, password.txt; pN.aea for every profile; variants of profile 1
    by codec, checksum and padding; p0-nokey.aea (no SigningPublicKey in the auth data),
    p0-unsigned.aea; break-RULE.aea for every --break."""
    import base64
    import copy
    import os
    os.makedirs(out_dir, exist_ok=True)
    base = argparse.Namespace(profile=1, seed=7, scrypt_strength=0, compression="z", checksum=2, segment_size=1024,
                              segments_per_cluster=4, padding=0, auth=None, auth_no_signing_key=False,
                              no_signing_key_in_info=False, unsigned=False, brk=None, password="upscope",
                              recipient_private=None)
    base.key = random.Random(base.seed + 3).randbytes(32)
    rnd = random.Random(99)
    payload = bytes(rnd.randrange(0, 4) for _ in range(2500)) + bytes(2500)  # compressible, not trivial
    files = {"payload.bin": payload, "key.bin": base.key, "key.b64": base64.b64encode(base.key) + b"\n",
             "password.txt": b"upscope\n"}

    def make(name, **changes):
        a = copy.copy(base)
        for k, v in changes.items():
            setattr(a, k, v)
        data, _ = build(payload, a)
        files[name] = data
        if a.recipient_private is not None and "recipient.pem" not in files:
            files["recipient.pem"] = a.recipient_private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    for p in range(6):
        make("p%d.aea" % p, profile=p)
    make("p0-nokey.aea", profile=0, auth_no_signing_key=True)
    make("p0-unsigned.aea", profile=0, unsigned=True)
    make("p2-unsigned.aea", profile=2, unsigned=True)
    make("p1-none.aea", compression="-")
    make("p1-xz.aea", compression="x")
    make("p1-lzfse-stored.aea", compression="e")
    make("p1-murmur.aea", checksum=1)
    make("p1-nosum.aea", checksum=0)
    make("p1-padded.aea", padding=100)
    make("p1-raw-auth.aea", auth="raw")
    make("p1-no-auth.aea", auth="none")
    for b in BREAKS:
        signed = b in ("signature-garbage", "signing-key-size")
        make("break-%s.aea" % b, brk=b, profile=0 if signed else 1, padding=64 if b == "padding-mac" else 0)
    for name, data in files.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--suite":
        suite(sys.argv[2])
        return
    if len(sys.argv) >= 3 and sys.argv[1] == "--verify":
        import json
        key = bytes.fromhex(sys.argv[sys.argv.index("--key-hex") + 1]) if "--key-hex" in sys.argv else None
        print(json.dumps(verify(sys.argv[2], key), sort_keys=True))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--profile", type=int, default=1, choices=range(6))
    ap.add_argument("--input", help="the plaintext (default: --size pseudo-random bytes)")
    ap.add_argument("--size", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--key-hex", help="the 32-byte symmetric key (profiles 1, 2; default: from --seed)")
    ap.add_argument("--write-key", help="write the raw 32-byte symmetric key here")
    ap.add_argument("--write-key-base64", help="write the symmetric key here as base64 text")
    ap.add_argument("--write-recipient-key", help="write the recipient's private key here as PEM (profiles 3, 4)")
    ap.add_argument("--write-signing-key", help="write the signing public key here as PEM (signed profiles)")
    ap.add_argument("--password", default="upscope", help="profile 5")
    ap.add_argument("--scrypt-strength", type=int, default=0, choices=range(4))
    ap.add_argument("--compression", default="z", choices=["-", "e", "f", "4", "x", "z"])
    ap.add_argument("--checksum", type=int, default=2, choices=[0, 1, 2])
    ap.add_argument("--segment-size", type=int, default=0x10000)
    ap.add_argument("--segments-per-cluster", type=int, default=4)
    ap.add_argument("--padding", type=int, default=0, help="bytes of padding after the last cluster")
    ap.add_argument("--auth", choices=["plist", "kv", "none", "raw"])
    ap.add_argument("--auth-no-signing-key", action="store_true",
                    help="signed profiles: leave SigningPublicKey out of the auth data")
    ap.add_argument("--no-signing-key-in-info", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--unsigned", action="store_true", help="signed profiles: a zero signature (signed later)")
    ap.add_argument("--break", dest="brk", choices=BREAKS, help="break one rule, keeping every HMAC valid")
    a = ap.parse_args()
    if a.input:
        with open(a.input, "rb") as f:
            payload = f.read()
    else:
        payload = random.Random(a.seed + 10).randbytes(a.size // 2) + bytes(a.size - a.size // 2)
    a.key = bytes.fromhex(a.key_hex) if a.key_hex else random.Random(a.seed + 3).randbytes(32)
    if len(a.key) != 32:
        sys.exit("make_aea.py: --key-hex must be 32 bytes")
    if a.profile != 5 and a.scrypt_strength:
        sys.exit("make_aea.py: --scrypt-strength is for profile 5 only")
    a.recipient_private = None
    data, signing_priv = build(payload, a)
    with open(a.out, "wb") as f:
        f.write(data)
    if a.write_key:
        with open(a.write_key, "wb") as f:
            f.write(a.key)
    if a.write_key_base64:
        import base64
        with open(a.write_key_base64, "w") as f:
            f.write(base64.b64encode(a.key).decode() + "\n")
    if a.write_recipient_key and a.recipient_private is not None:
        with open(a.write_recipient_key, "wb") as f:
            f.write(a.recipient_private.private_bytes(serialization.Encoding.PEM,
                                                      serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    if a.write_signing_key and signing_priv is not None:
        with open(a.write_signing_key, "wb") as f:
            f.write(signing_priv.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo))


if __name__ == "__main__":
    main()
