#!/usr/bin/env python3
"""The demo: three small synthetic macOS builds laid out as system roots (python3 stdlib only),
modelled on the spring 2023 updates (docs/placement.md §6):

  OUT/13.3       base: a boot kernel collection (kernel + IOSurfaceAccelerator + AppleAVD kexts, with
                 PRELINK_INFO), libSystem on the system volume, WebKit and JavaScriptCore in the OS
                 cryptex, Safari in the App cryptex
  OUT/13.3.1     a full update: the kernel, the IOSurfaceAccelerator kext and WebKit changed
  OUT/13.3.1-a   an RSR on top of 13.3.1: only WebKit (OS cryptex) changed, and the cryptex's
                 SystemVersion.plist says (a)

The Mach-O files come from make_macho.py and the kernel collection from make_kc.py, which
llvm-objdump-16 reads. The RSR package for 13.3.1 (a) is written by make_ota.py (see make_demo.sh).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_kc as mk  # noqa: E402
import make_macho as mm  # noqa: E402

KC = "System/Library/KernelCollections/BootKernelExtensions.kc"
WEBKIT = "System/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/Versions/A/WebKit"
JSC = "System/Cryptexes/OS/System/Library/Frameworks/JavaScriptCore.framework/Versions/A/JavaScriptCore"
SAFARI = "System/Cryptexes/App/System/Applications/Safari.app/Contents/MacOS/Safari"
LIBSYSTEM = "usr/lib/libSystem.B.dylib"
SYSVER = "System/Library/CoreServices/SystemVersion.plist"
CRYPTEX_SYSVER = "System/Cryptexes/OS/System/Library/CoreServices/SystemVersion.plist"


def system_version(version, build, extra=None):
    keys = [("ProductName", "macOS"), ("ProductVersion", version), ("ProductBuildVersion", build)]
    if extra:
        keys.append(("ProductVersionExtra", extra))
    body = "".join(f"<key>{k}</key><string>{v}</string>" for k, v in keys)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
            '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0"><dict>'
            f"{body}</dict></plist>\n").encode()


def image(seed, nfuncs, ident):
    data, _ = mm.thin(mm.CPU_ARM64, 0, bytes((seed + i) & 0xFF for i in range(16)), nfuncs, ident)
    return data


KEXTS = [("com.apple.iokit.IOSurfaceAccelerator", "1.0.0"), ("com.apple.driver.AppleAVD", "2.0.0")]


def kernel_collection(kernel_changed):
    """make_macho's small fileset (kernel + 2 kexts, no PRELINK_INFO entries); used by make_series.py."""
    kc, _ = mm.fileset()
    if kernel_changed:
        kc = bytearray(kc)
        old_uuid = bytes([0x10] * 16)  # the kernel entry's LC_UUID in make_macho.fileset()
        pos = kc.find(old_uuid)
        kc[pos:pos + 16] = bytes([0x1F] * 16)
        pos = kc.find(b"\x1f\x20\x03\xd5")  # first nop of the kernel's __text: now a brk #0
        kc[pos:pos + 4] = b"\x00\x00\x20\xd4"
        kc = bytes(kc)
    return kc


def boot_kc(changed=()):
    """A Boot KC; each entry id in `changed` gets one instruction of its first function replaced by brk #0."""
    kc = bytearray(mk.build_fileset("boot", KEXTS, True)[0])
    for entry_id in changed:
        code = mk.entry_code("boot" + entry_id, 0x400)[0]
        pos = kc.find(code)
        assert pos >= 0, entry_id
        kc[pos + 8:pos + 12] = b"\x00\x00\x20\xd4"
    return bytes(kc)


def write_build(root, files):
    for rel, data in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_demo_builds.py OUT_DIR")
    out = sys.argv[1]
    base = {
        KC: boot_kc(),
        LIBSYSTEM: image(0x40, 4, "libSystem.B"),
        WEBKIT: image(0x60, 5, "com.apple.WebKit"),
        JSC: image(0x80, 3, "com.apple.JavaScriptCore"),
        SAFARI: image(0xA0, 2, "com.apple.Safari"),
        SYSVER: system_version("13.3", "22E252"),
        CRYPTEX_SYSVER: system_version("13.3", "22E252"),
    }
    full = dict(base)
    full[KC] = boot_kc(("com.apple.kernel", "com.apple.iokit.IOSurfaceAccelerator"))
    full[WEBKIT] = image(0x61, 6, "com.apple.WebKit")
    full[SYSVER] = system_version("13.3.1", "22E261")
    full[CRYPTEX_SYSVER] = system_version("13.3.1", "22E261")
    rsr = dict(full)
    rsr[WEBKIT] = image(0x62, 7, "com.apple.WebKit")
    rsr[CRYPTEX_SYSVER] = system_version("13.3.1", "22E772610a", "(a)")
    for name, files in (("13.3", base), ("13.3.1", full), ("13.3.1-a", rsr)):
        write_build(os.path.join(out, name), files)


if __name__ == "__main__":
    main()
