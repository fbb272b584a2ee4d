#!/usr/bin/env python3
"""A pair of real-size synthetic macOS IPSWs for the end-to-end `upscope verdict` benchmark (issue 28).

  make_big_ipsw.py OUT [--lzfse LZFSE_CLI] [--files 100000] [--volume-size 12G] [--images 3000]
                       [--subcaches 4] [--text-kb 1000] [--kexts 599] [--kc-mb 300] [--app-size 8M]
                       [--aea-key HEX]

OUT/old.ipsw and OUT/new.ipsw have make_ipsw.py's layout (BuildManifest, seals, trust caches, the
same member names), at real size and in real shape:
  system volume   a UDIF dmg (zlib) of --files files, --volume-size bytes, most of them decmpfs LZVN
                  or LZFSE (make_apfs.py --shape system); old and new share every file but
                  SystemVersion.plist and /usr/libexec/upscope-bench, which differ
  OS cryptex      a sealed APFS volume holding a split dyld cache of --images images and --subcaches
                  subcaches (make_dyld_cache.py; new differs by one instruction), in a dmg of LZFSE
                  (ULFO) chunks, shipped as an AEA of profile 1 with the key --aea-key
  App cryptex     200 files in --app-size bytes and Safari (which differs), ULFO chunks
  kernelcache     IM4P 'krnl' holding an LZFSE stream of a Boot KC of --kexts kexts, --kc-mb MB
                  (make_kc.py; new differs by one instruction of one kext)
LZFSE is encoded by LZFSE_CLI (`-encode`, stdin to stdout): the reference implementation, which a
benchmark builds locally; without it by lzfse_fse.py, about 1 MB/s, which only small pairs (tests) afford.
For peers that cannot read AEA, OUT/old-os.dmg and OUT/new-os.dmg are the OS cryptexes' plain dmgs.
The members are streamed into a zip64 (make_ota.write_zip_files); intermediate images are deleted
as soon as they are wrapped. At the default sizes the outputs take 19 GB (two 7.15 GB IPSWs and the two
plain OS cryptex dmgs), and the generator's peak RSS was 12.2 GB (20 minutes on two cores).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import make_big_builds as mbb  # noqa: E402
import make_demo_builds as demo  # noqa: E402
import make_ipsw as mi  # noqa: E402
import make_kc as mk  # noqa: E402
import make_ota as mo  # noqa: E402
import lzfse_fse  # noqa: E402

VERSIONS = {"old": ("26.1", "25B78"), "new": ("26.2", "25C56")}


def log(msg, t0=[time.time()]):
    print("make_big_ipsw: %6.0f s  %s" % (time.time() - t0[0], msg), file=sys.stderr, flush=True)


def run(*args):
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)


def sha256s(manifest_path):
    """The SHA-256 of every regular file make_apfs.py recorded in its manifest."""
    with open(manifest_path) as f:
        info = json.load(f)
    return [bytes.fromhex(e["sha256"]) for v in info["volumes"] for e in v["files"] if e.get("sha256")]


def sha384_file(path):
    h = hashlib.sha384()
    with open(path, "rb") as f:
        while piece := f.read(8 << 20):
            h.update(piece)
    return h.digest()


def volume(work, a, side, name, *args):
    """make_apfs.py into WORK/<name>.img, wrapped as WORK/<name>.dmg; the image is deleted."""
    img, dmg, manifest = (os.path.join(work, name + ext) for ext in (".img", ".dmg", ".json"))
    run(os.path.join(here, "make_apfs.py"), img, "--manifest", manifest, "--udif", dmg, *args)
    os.unlink(img)
    log(f"{side}: {name}.dmg {os.path.getsize(dmg)} bytes")
    return dmg, manifest


def build(a, side):
    work = os.path.join(a.out, side + ".parts")
    os.makedirs(work, exist_ok=True)
    changed = side == "new"
    version, build_id = VERSIONS[side]
    ulfo = ("--udif-codec", "lzfse") + (("--lzfse-cli", a.lzfse) if a.lzfse else ())

    # System volume: the shaped files are the same on both sides (same seed); the added tree differs.
    tree = os.path.join(work, "system-tree")
    for rel, data in (("CoreServices/SystemVersion.plist", demo.system_version(version, build_id)),
                      ("libexec/upscope-bench", demo.image(0x50 + changed, 3 + changed, "com.apple.upscope-bench"))):
        os.makedirs(os.path.join(tree, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(tree, rel), "wb") as f:
            f.write(data)
    system_dmg, system_json = volume(
        work, a, side, "system", "--shape", "system", "--files", str(a.files), "--total-size", str(a.volume_size),
        "--distinct", "10000", "--jobs", "2", "--seed", "1", "--name", "Macintosh HD", "--role", "system",
        "--add-tree", "/System/Library/CoreServices=" + os.path.join(tree, "CoreServices"),
        "--add-tree", "/usr/libexec=" + os.path.join(tree, "libexec"))

    # OS cryptex: the split dyld cache in a sealed volume, ULFO chunks, then the AEA.
    dsc = os.path.join(work, "dyld")
    run(os.path.join(here, "make_dyld_cache.py"), "--images", str(a.images), "--subcaches", str(a.subcaches),
        "--text-kb", str(a.text_kb), "--variant", "code" if changed else "base", "--manifest", "/dev/null", dsc)
    log(f"{side}: dyld cache")
    os_dmg, os_json = volume(work, a, side, "os", "--cryptex", "os", "--add-tree", "/System/Library/dyld=" + dsc,
                             *ulfo)
    shutil.rmtree(dsc)
    os_aea = os.path.join(work, "os.dmg.aea")
    run(os.path.join(here, "make_aea.py"), os_aea, "--profile", "1", "--key-hex", a.aea_key, "--input", os_dmg)
    plain_os = os.path.join(a.out, side + "-os.dmg")
    os.replace(os_dmg, plain_os)
    log(f"{side}: os.dmg.aea {os.path.getsize(os_aea)} bytes")

    safari = os.path.join(work, "safari")
    os.makedirs(safari)
    with open(os.path.join(safari, "Safari"), "wb") as f:
        f.write(demo.image(0xA0 + changed, 2 + changed, "com.apple.Safari"))
    app_dmg, app_json = volume(work, a, side, "app", "--files", "200", "--total-size", a.app_size, "--seed", "2",
                               "--name", "Cryptex1,AppOS", "--add-tree",
                               "/System/Applications/Safari.app/Contents/MacOS=" + safari, *ulfo)

    kc_path = os.path.join(work, "kc")
    mbb.write_kc(kc_path, a.kexts, a.kc_mb, changed)
    with open(kc_path, "rb") as f:
        kernelcache = mk.im4p("krnl", "KernelCacheBuilder_release-2238.100.3", lzfse_fse.encode(f.read(), a.lzfse))
    os.unlink(kc_path)
    log(f"{side}: kernelcache {len(kernelcache)} bytes")

    # Members as make_ipsw.py names them; the big ones stay on disk.
    mi.AEA_KEY = a.aea_key
    os_name = mi.OS_DMG + ".aea"
    members = {
        mi.KERNELCACHE: kernelcache,
        mi.IBOOT: mk.im4p("ibot", "iBoot-13822.60.10", b"iBoot for j414c, RELEASE\0" + bytes(range(256)) * 4),
        mi.RAMDISK: b"restore ramdisk stand-in\0" + hashlib.sha256(b"ramdisk").digest() * 64,
        mi.SYSTEM_DMG: system_dmg, os_name: os_aea, mi.APP_DMG: app_dmg,
    }
    digests = {}

    def digest(path):  # SHA-384, once per member: a seal and the BuildManifest both name the big ones
        if path not in digests:
            data = members[path]
            digests[path] = sha384_file(data) if isinstance(data, str) else hashlib.sha384(data).digest()
        return digests[path]

    for member, manifest, vol_name in ((mi.SYSTEM_DMG, system_json, "Macintosh HD"),
                                       (os_name, os_json, "Cryptex1,SystemOS"),
                                       (mi.APP_DMG, app_json, "Cryptex1,AppOS")):
        members["Firmware/" + member + ".root_hash"] = mk.im4p("isys", "root hash", digest(member))
        members["Firmware/" + member + ".trustcache"] = mi.trust_cache_of(sha256s(manifest), vol_name)

    build_manifest, restore = mi.manifest_plists(digest, version, build_id)
    zipped = [("BuildManifest.plist", build_manifest, 8), ("Restore.plist", restore, 8)]
    zipped += [(name, members[name], 0 if isinstance(members[name], str) else 8) for name in sorted(members)]
    ipsw = os.path.join(a.out, side + ".ipsw")
    mo.write_zip_files(ipsw, zipped)
    shutil.rmtree(work)
    log(f"{side}: {ipsw} {os.path.getsize(ipsw)} bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--lzfse", help="the reference `lzfse` CLI (without it, lzfse_fse.py: small pairs only)")
    ap.add_argument("--app-size", default="8M", help="bytes of the App cryptex's 200 files")
    ap.add_argument("--files", type=int, default=100000)
    ap.add_argument("--volume-size", default="12G")
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--subcaches", type=int, default=4)
    ap.add_argument("--text-kb", type=int, default=1000)
    ap.add_argument("--kexts", type=int, default=599)
    ap.add_argument("--kc-mb", type=int, default=300)
    ap.add_argument("--aea-key", default="11" * 32, help="the OS cryptex's AEA key (64 hex digits)")
    ap.add_argument("--side", choices=["old", "new", "both"], default="both")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for side in ("old", "new") if a.side == "both" else (a.side,):
        build(a, side)


if __name__ == "__main__":
    main()
