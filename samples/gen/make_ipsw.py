#!/usr/bin/env python3
"""Writes a small synthetic macOS IPSW (python3 stdlib only), modelled on a real one's layout:

  BuildManifest.plist            ProductVersion, ProductBuildVersion, SupportedProductTypes and two
                                 BuildIdentities (Erase, Update) whose Manifest names every member
  Restore.plist                  restore metadata
  kernelcache.release.mac14g     IM4P ('krnl') wrapping a complzss Boot KC (make_kc.py: kernel +
                                 IOSurfaceAccelerator + AppleAVD kexts)        Manifest key KernelCache
  090-10001-001.dmg              the system volume: UDIF (GPT + APFS, make_apfs.py) with
                                 SystemVersion.plist, libSystem, /usr/bin/true                key OS
  090-10002-001.dmg              the OS cryptex: WebKit, JavaScriptCore, SystemVersion.plist
                                                                             key Cryptex1,SystemOS
  090-10003-001.dmg              the App cryptex: Safari                        key Cryptex1,AppOS
  Firmware/...root_hash          seals of each volume (Cryptex1,SystemVolume, ...): IM4P of a SHA-384
  Firmware/...trustcache         trust caches (StaticTrustCache, Cryptex1,SystemTrustCache, ...): IM4P
                                 'trst' of a version 2 module, one entry per file of the volume (cdhash:
                                 the first 20 bytes of the file's SHA-256, make_trustcache.py)
  Firmware/all_flash/iBoot.j414c.RELEASE.im4p   IM4P 'ibot'                   key iBoot
  090-10009-001.dmg              a stand-in restore ramdisk (opaque bytes)      key RestoreRamDisk

Members: the dmgs are stored (as in real IPSWs), everything else deflated.

Variants, so tests can build pairs:
  --app-seed N         a different Safari (only the App cryptex changes)
  --kernel-changed     one instruction of the kernel's code replaced (the kernelcache changes)
  --corrupt-cryptex os|app   the cryptex dmg is cut in half (unreadable)
  --aea-os-key HEX     the OS cryptex is shipped as Apple does on macOS 15+: 090-10002-001.dmg.aea, the
                       dmg in an AEA of profile 1 (symmetric key HEX, make_aea.py); its seals are named
                       after the .aea file
  --stale-app-trust-cache    the App cryptex's trust cache lists the Safari of --app-seed 0 whatever
                       the seed (a cryptex that changed without its trust cache)
  --devices N          N device classes, each with its own kernelcache (kernelcache.release.mac14h...)
  --images-dir DIR     also write every member to DIR (same relative paths) plus DIR/images.txt, an
                       upscope image list naming them with their roles

  make_ipsw.py old.ipsw && make_ipsw.py --app-seed 2 new.ipsw
"""
import argparse
import hashlib
import os
import plistlib
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_apfs as ma  # noqa: E402
import make_demo_builds as demo  # noqa: E402
import make_kc as mk  # noqa: E402
import make_ota as mo  # noqa: E402
import make_trustcache as mt  # noqa: E402

KERNELCACHE = "kernelcache.release.mac14g"
SYSTEM_DMG = "090-10001-001.dmg"
OS_DMG = "090-10002-001.dmg"
AEA_KEY = None  # --aea-os-key: the OS cryptex as OS_DMG + ".aea"
APP_DMG = "090-10003-001.dmg"
RAMDISK = "090-10009-001.dmg"
IBOOT = "Firmware/all_flash/iBoot.j414c.RELEASE.im4p"

# Manifest key -> (member path, image-list role)
def layout():
    os_dmg = OS_DMG + (".aea" if AEA_KEY else "")
    return [
        ("KernelCache", KERNELCACHE, "kernelcache"),
        ("OS", SYSTEM_DMG, "system-volume"),
        ("Cryptex1,SystemOS", os_dmg, "cryptex-os"),
        ("Cryptex1,AppOS", APP_DMG, "cryptex-app"),
        ("SystemVolume", "Firmware/" + SYSTEM_DMG + ".root_hash", "system-seal"),
        ("StaticTrustCache", "Firmware/" + SYSTEM_DMG + ".trustcache", "system-trust-cache"),
        ("Cryptex1,SystemVolume", "Firmware/" + os_dmg + ".root_hash", "cryptex-os-seal"),
        ("Cryptex1,SystemTrustCache", "Firmware/" + os_dmg + ".trustcache", "cryptex-os-trust-cache"),
        ("Cryptex1,AppVolume", "Firmware/" + APP_DMG + ".root_hash", "cryptex-app-seal"),
        ("Cryptex1,AppTrustCache", "Firmware/" + APP_DMG + ".trustcache", "cryptex-app-trust-cache"),
        ("iBoot", IBOOT, "firmware"),
        ("RestoreRamDisk", RAMDISK, "restore"),
    ]


def volume_dmg(name, files, seed):
    """A UDIF dmg (GPT + one sealed APFS volume) holding `files` {path: bytes}."""
    with tempfile.TemporaryDirectory() as d:
        raw = os.path.join(d, "raw.img")
        dmg = os.path.join(d, "out.dmg")
        img = ma.Image(raw)
        vol = ma.Volume(img, name, ma.ROLES["system"], sealed=True, seed=seed)
        for path in sorted(files):
            parent = vol.makedirs(os.path.dirname(path)) if os.path.dirname(path) != "/" else 2
            vol.add_file(parent, os.path.basename(path), files[path])
        vol.finish()
        ma.finish_container(img, [vol], 0, seed)
        img.f.close()
        ma.wrap_gpt_udif(raw, dmg)
        with open(dmg, "rb") as f:
            return f.read()


def trust_cache(files, name):
    """IM4P 'trst' of a version 2 trust cache listing every file of a volume (cdhash: the file's
    SHA-256, first 20 bytes; hash type 2 = SHA-256), its UUID derived from the volume's name."""
    return trust_cache_of((hashlib.sha256(data).digest() for data in files.values()), name)


def trust_cache_of(sha256s, name):
    """The same from the files' SHA-256 digests."""
    entries = sorted((digest[:20], 2, 0, 0) for digest in sha256s)
    uuid = hashlib.sha256(name.encode()).digest()[:16]
    return mk.im4p("trst", "trust cache", mt.raw_module(2, uuid, entries))


def device_kernelcache(n):
    """The kernelcache member of device class n (0: KERNELCACHE)."""
    return KERNELCACHE if n == 0 else "kernelcache.release.mac14%s" % chr(ord("g") + n)


def manifest_plists(digest, version, build_id, devices=1):
    """BuildManifest.plist and Restore.plist: each layout() member by digest(path), its SHA-384;
    device classes after the first each boot their own kernelcache (device_kernelcache(n))."""
    manifest = {key: {"Digest": digest(path), "Info": {"Path": path}} for key, path, _ in layout()}
    # As in real IPSWs, the restore environment may boot the same kernelcache file.
    manifest["RestoreKernelCache"] = manifest["KernelCache"]
    identities = [{"ApBoardID": "0x28", "ApChipID": "0x6020",
                   "Info": {"DeviceClass": "j414cap", "RestoreBehavior": behaviour, "Variant":
                            "macOS Customer Erase Install (IPSW)" if behaviour == "Erase" else "macOS Customer Upgrade Install (IPSW)",
                            "BuildNumber": build_id},
                   "Manifest": manifest} for behaviour in ("Erase", "Update")]
    for n in range(1, devices):
        name = device_kernelcache(n)
        other = dict(manifest)
        other["KernelCache"] = {"Digest": digest(name), "Info": {"Path": name}}
        identities.append({"ApBoardID": "0x%02x" % (0x28 + n), "ApChipID": "0x6020",
                           "Info": {"DeviceClass": "j41%dap" % n, "RestoreBehavior": "Erase", "BuildNumber": build_id},
                           "Manifest": other})
    build_manifest = plistlib.dumps({"BuildIdentities": identities, "ManifestVersion": 0,
                                     "ProductBuildVersion": build_id, "ProductVersion": version,
                                     "SupportedProductTypes": ["Mac14,6"]}, fmt=plistlib.FMT_XML)
    restore = plistlib.dumps({"ProductBuildVersion": build_id, "ProductVersion": version,
                              "SupportedProductTypes": ["Mac14,6"]}, fmt=plistlib.FMT_XML)
    return build_manifest, restore


def app_files(seed):
    return {"/System/Applications/Safari.app/Contents/MacOS/Safari":
            demo.image(0xA0 + seed, 2 + seed, "com.apple.Safari")}


def build(args):
    version, build_id = args.version, args.build
    kc = demo.boot_kc(("com.apple.kernel",) if args.kernel_changed else ())
    files = {
        SYSTEM_DMG: ("Macintosh HD", {
            "/System/Library/CoreServices/SystemVersion.plist": demo.system_version(version, build_id),
            "/usr/lib/libSystem.B.dylib": demo.image(0x40, 4, "libSystem.B"),
            "/usr/bin/true": demo.image(0x48, 1, "com.apple.true"),
        }, 11),
        OS_DMG: ("Cryptex1,SystemOS", {
            "/System/Library/CoreServices/SystemVersion.plist": demo.system_version(version, build_id),
            "/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit": demo.image(0x60, 5, "com.apple.WebKit"),
            "/System/Library/Frameworks/JavaScriptCore.framework/Versions/A/JavaScriptCore":
                demo.image(0x80, 3, "com.apple.JavaScriptCore"),
        }, 12),
        APP_DMG: ("Cryptex1,AppOS", app_files(args.app_seed), 13),
    }
    members = {
        KERNELCACHE: mk.im4p("krnl", "KernelCacheBuilder_release-2238.100.3", mk.complzss(kc)),
        IBOOT: mk.im4p("ibot", "iBoot-8422.100.650", b"iBoot for j414c, RELEASE\0" + bytes(range(256)) * 4),
        RAMDISK: b"restore ramdisk stand-in\0" + hashlib.sha256(b"ramdisk").digest() * 64,
    }
    for dmg, (name, contents, seed) in files.items():
        members[dmg] = volume_dmg(name, contents, seed)
        digest = hashlib.sha384(members[dmg]).digest()
        members["Firmware/" + dmg + ".root_hash"] = mk.im4p("isys", "root hash", digest)
        listed = app_files(0) if dmg == APP_DMG and args.stale_app_trust_cache else contents
        members["Firmware/" + dmg + ".trustcache"] = trust_cache(listed, name)
    if AEA_KEY:
        with tempfile.TemporaryDirectory() as d:
            plain, sealed = os.path.join(d, "os.dmg"), os.path.join(d, "os.dmg.aea")
            with open(plain, "wb") as f:
                f.write(members.pop(OS_DMG))
            subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "make_aea.py"),
                            sealed, "--profile", "1", "--key-hex", AEA_KEY, "--input", plain],
                           check=True, stdout=subprocess.DEVNULL)
            with open(sealed, "rb") as f:
                members[OS_DMG + ".aea"] = f.read()
        for ext in (".root_hash", ".trustcache"):
            members["Firmware/" + OS_DMG + ".aea" + ext] = members.pop("Firmware/" + OS_DMG + ext)
    if args.corrupt_cryptex:
        dmg = OS_DMG if args.corrupt_cryptex == "os" else APP_DMG
        members[dmg] = members[dmg][:len(members[dmg]) // 2]

    # More devices: each its own kernelcache (the same kexts), sharing the volumes and cryptexes.
    for n in range(1, args.devices):
        members[device_kernelcache(n)] = members[KERNELCACHE]
    build_manifest, restore = manifest_plists(lambda path: hashlib.sha384(members[path]).digest(), version,
                                              build_id, args.devices)
    zipped = [("BuildManifest.plist", build_manifest, 8), ("Restore.plist", restore, 8)]
    for name in sorted(members):
        zipped.append((name, members[name], 0 if name.endswith(".dmg") else 8))
    return zipped


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--version", default="13.3.1")
    ap.add_argument("--build", default="22E261")
    ap.add_argument("--app-seed", type=int, default=0)
    ap.add_argument("--kernel-changed", action="store_true")
    ap.add_argument("--corrupt-cryptex", choices=["os", "app"])
    ap.add_argument("--stale-app-trust-cache", action="store_true",
                    help="the App trust cache lists the Safari of --app-seed 0 whatever the seed")
    ap.add_argument("--aea-os-key", metavar="HEX", help="the OS cryptex as an AEA (profile 1) with this 32-byte key")
    ap.add_argument("--devices", type=int, default=1, help="device classes, each with its own kernelcache")
    ap.add_argument("--images-dir")
    a = ap.parse_args()
    global AEA_KEY
    AEA_KEY = a.aea_os_key
    zipped = build(a)
    mo.write_zip(a.output, zipped)
    if a.images_dir:
        roles = {path: role for _, path, role in layout()}
        lines = ["# upscope image list", "BuildManifest.plist manifest"]
        for name, data, _ in zipped:
            path = os.path.join(a.images_dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            if name in roles:
                lines.append(f"{name} {roles[name]}")
        with open(os.path.join(a.images_dir, "images.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    print(f"{a.output}: {len(zipped)} members, {os.path.getsize(a.output)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
