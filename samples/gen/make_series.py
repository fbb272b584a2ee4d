#!/usr/bin/env python3
"""A series of seven synthetic macOS builds with known changes, for the build catalogue (python3 stdlib only).

Built from make_demo_builds.py's pieces (a boot kernel collection with the kernel and two kexts,
libSystem on the system volume, WebKit and JavaScriptCore in the OS cryptex, Safari in the App
cryptex) plus usr/lib/libexample.dylib. Each build is the previous one with one known change; every
full update also rewrites both SystemVersion.plist files (system volume and OS cryptex), an RSR only
the cryptex's:

  01-13.3       13.3 22E252             the base
  02-13.3.1     13.3.1 22E261           kernel only: the kernel's LC_UUID and one instruction of its __text
  03-13.4       13.4 22F66              kext only: com.example.driver.A's LC_UUID
  04-13.4-a     13.4 (a) 22F770820d     WebKit only (OS cryptex): new LC_UUID and _func_00002's first
                                        instruction (ret -> nop), re-signed; an RSR
  05-13.4.1     13.4.1 22F82            /usr/lib/libexample.dylib removed
  06-13.5       13.5 22G74              /usr/lib/libexample.dylib added back, byte-identical
  07-13.5.1     13.5.1 22G90            nothing but the SystemVersion.plist files

OUT/SERIES.json lists the builds and each step's expected changed component ids.

--extra N --functions M adds N more dylibs (usr/lib/bench/libbench_NNNNN.dylib, M functions each,
unchanged through the series) to make large builds for benchmarks; --builds K writes only the first K.
The Mach-O files come from make_macho.py, which llvm-objdump reads.
"""
import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_demo_builds as demo  # noqa: E402
import make_macho as mm  # noqa: E402

LIBEXAMPLE = "usr/lib/libexample.dylib"
KERNEL_UUID = bytes([0x10] * 16)    # make_macho.fileset(): the kernel entry's LC_UUID
DRIVER_A_UUID = bytes([0x11] * 16)  # ... and com.example.driver.A's
PLISTS = ["/System/Cryptexes/OS/System/Library/CoreServices/SystemVersion.plist",
          "/System/Library/CoreServices/SystemVersion.plist"]
WEBKIT_ID = "/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit"


def kernel_collection(kernel_changed, kext_changed):
    kc = bytearray(demo.kernel_collection(kernel_changed))
    if kext_changed:
        pos = kc.find(DRIVER_A_UUID)
        assert pos > 0
        kc[pos:pos + 16] = bytes([0x1E] * 16)
    return bytes(kc)


def patched_image(seed, nfuncs, ident, func_index):
    """demo.image() with one function's first instruction turned from ret into nop, then re-signed."""
    data, facts = mm.thin(mm.CPU_ARM64, 0, bytes((seed + i) & 0xFF for i in range(16)), nfuncs, ident)
    out = bytearray(data)
    pos = facts["offsets"]["text_section"] + 16 * func_index
    assert out[pos:pos + 4] == b"\xc0\x03\x5f\xd6"
    out[pos:pos + 4] = b"\x1f\x20\x03\xd5"
    sig_off = facts["offsets"]["code_signature"]
    blob = mm.super_blob(mm.code_directory(ident, bytes(out), sig_off, facts["text_size"]))
    out[sig_off:sig_off + len(blob)] = blob
    return bytes(out)


def extra_images(n, nfuncs):
    files = {}
    for k in range(n):
        uuid = struct.pack(">QQ", 0xB0B0000000000000 + k, 0x4000000000000000 + k)
        data, _ = mm.thin(mm.CPU_ARM64, 0, uuid, nfuncs, "com.example.bench%05d" % k)
        files["usr/lib/bench/libbench_%05d.dylib" % k] = data
    return files


def series(extra):
    base = {
        demo.KC: kernel_collection(False, False),
        demo.LIBSYSTEM: demo.image(0x40, 4, "libSystem.B"),
        demo.WEBKIT: demo.image(0x60, 5, "com.apple.WebKit"),
        demo.JSC: demo.image(0x80, 3, "com.apple.JavaScriptCore"),
        demo.SAFARI: demo.image(0xA0, 2, "com.apple.Safari"),
        LIBEXAMPLE: demo.image(0xC0, 4, "com.example.libexample"),
    }
    base.update(extra)
    # (directory, version, build, extra letter, {path: new bytes or None to remove}, expected change ids)
    return base, [
        ("01-13.3", "13.3", "22E252", None, {}, []),
        ("02-13.3.1", "13.3.1", "22E261", None, {demo.KC: kernel_collection(True, False)},
         ["kernel"] + PLISTS),
        ("03-13.4", "13.4", "22F66", None, {demo.KC: kernel_collection(True, True)},
         ["com.example.driver.A"] + PLISTS),
        ("04-13.4-a", "13.4", "22F770820d", "(a)", {demo.WEBKIT: patched_image(0x61, 5, "com.apple.WebKit", 2)},
         [WEBKIT_ID, PLISTS[0]]),
        ("05-13.4.1", "13.4.1", "22F82", None, {LIBEXAMPLE: None}, ["/" + LIBEXAMPLE] + PLISTS),
        ("06-13.5", "13.5", "22G74", None, {LIBEXAMPLE: base[LIBEXAMPLE]}, ["/" + LIBEXAMPLE] + PLISTS),
        ("07-13.5.1", "13.5.1", "22G90", None, {}, PLISTS),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--extra", type=int, default=0, help="more unchanged dylibs per build (default 0)")
    ap.add_argument("--functions", type=int, default=64, help="functions per extra dylib (default 64)")
    ap.add_argument("--builds", type=int, default=7, help="write only the first K builds (default 7)")
    a = ap.parse_args()
    base, steps = series(extra_images(a.extra, a.functions))
    files = dict(base)
    manifest = []
    for directory, version, build, letter, changes, expected in steps[:a.builds]:
        for path, data in changes.items():
            if data is None:
                files.pop(path, None)
            else:
                files[path] = data
        plist = demo.system_version(version, build, letter)
        if not letter:  # an RSR leaves the sealed system volume alone
            files[demo.SYSVER] = plist
        files[demo.CRYPTEX_SYSVER] = plist
        root = os.path.join(a.out_dir, directory)
        demo.write_build(root, files)
        # write_build only adds: remove what this build no longer has
        for path in changes:
            if changes[path] is None and os.path.exists(os.path.join(root, path)):
                os.remove(os.path.join(root, path))
        manifest.append({"directory": directory, "version": version, "build": build, "version_extra": letter or "",
                         "changed_from_previous": sorted(expected)})
    with open(os.path.join(a.out_dir, "SERIES.json"), "w") as f:
        json.dump({"builds": manifest, "extra_dylibs": a.extra, "functions_per_extra_dylib": a.functions}, f, indent=1)


if __name__ == "__main__":
    main()
