#!/usr/bin/env python3
"""Two full-size synthetic macOS builds for the `upscope diff` benchmark (python3 stdlib only).

  make_big_builds.py OUT [--files 100000] [--volume-size 10G] [--kexts 599] [--kc-mb 300]
                         [--images 3000] [--subcaches 4] [--text-kb 1000]

OUT/old and OUT/new are system roots laid out like macOS 13:
  System/Library/KernelCollections/BootKernelExtensions.kc   Boot KC, kernel + --kexts kexts (make_kc.py)
  System/Cryptexes/OS/System/Library/dyld/dyld_shared_cache_arm64e{,.01..,.symbols}
                                                             split dyld cache (make_dyld_cache.py)
  System/Volumes/Preboot/<id>/cryptex1/current/{os,app}.dmg  cryptex dmgs (make_apfs.py --cryptex os --udif)
  System/Library/Bulk/dNNN/fNNNNNN.bin, usr/...              --files files, --volume-size bytes in all
new differs from old by: one instruction of one kext, one instruction of dyld image 1 (--variant code),
three rewritten volume files and the App cryptex dmg. The volume files of new are hard links to old's
(cp -al), so the pair costs one copy of the volume on disk; the caches and KCs are separate files.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import make_kc as mk  # noqa: E402

KC = "System/Library/KernelCollections/BootKernelExtensions.kc"
DYLD = "System/Cryptexes/OS/System/Library/dyld"
PREBOOT = "System/Volumes/Preboot/0A1B2C3D/cryptex1/current"


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * units[s[-1].upper()]) if s[-1].upper() in units else int(s)


def write_volume(root, files, total, seed):
    """`files` files of lognormal sizes summing to about `total`, content from one random block."""
    rnd = random.Random(seed)
    block = rnd.randbytes(1 << 20)
    sizes = [rnd.lognormvariate(0, 1.5) for _ in range(files)]
    scale = total / sum(sizes)
    for i, s in enumerate(sizes):
        d = os.path.join(root, "System/Library/Bulk" if i % 4 else "usr/share/bulk", "d%03d" % (i // 1000))
        os.makedirs(d, exist_ok=True)
        n = int(s * scale)
        off = (i * 4099) % len(block)
        with open(os.path.join(d, "f%06d.bin" % i), "wb") as f:
            f.write(i.to_bytes(8, "little"))
            n -= 8
            while n > 0:
                k = min(n, len(block) - off)
                f.write(block[off:off + k])
                n -= k
                off = 0


def write_kc(path, kexts, size_mb, changed):
    kc, _ = mk.build_fileset("bench", mk.kext_names(kexts, "com.apple"), True, size_mb=size_mb)
    kc = bytearray(kc)
    if changed:
        entry = mk.kext_names(kexts, "com.apple")[kexts // 2][0]
        pos = kc.find(mk.entry_code("bench" + entry, 0x400)[0][:0xF0])  # its first function, up to the ret
        assert pos >= 0, entry
        kc[pos + 8:pos + 12] = b"\x00\x00\x20\xd4"  # brk #0
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(kc)


def run(*args):
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=100000)
    ap.add_argument("--volume-size", type=parse_size, default=parse_size("10G"))
    ap.add_argument("--kexts", type=int, default=599)
    ap.add_argument("--kc-mb", type=int, default=300)
    ap.add_argument("--images", type=int, default=3000)
    ap.add_argument("--subcaches", type=int, default=4)
    ap.add_argument("--text-kb", type=int, default=1000)
    a = ap.parse_args()
    old, new = os.path.join(a.out, "old"), os.path.join(a.out, "new")
    os.makedirs(old)
    write_volume(old, a.files, a.volume_size, 1)
    subprocess.run(["cp", "-al", old, new], check=True)
    for i in (7, a.files // 2, a.files - 1):  # rewritten, so the hard link to old's copy is broken
        d = os.path.join(new, "System/Library/Bulk" if i % 4 else "usr/share/bulk", "d%03d" % (i // 1000))
        p = os.path.join(d, "f%06d.bin" % i)
        data = bytearray(open(p, "rb").read())
        os.unlink(p)
        data[:8] = b"changed!"
        open(p, "wb").write(data)
    for root, changed in ((old, False), (new, True)):
        write_kc(os.path.join(root, KC), a.kexts, a.kc_mb, changed)
        run(os.path.join(here, "make_dyld_cache.py"), "--images", str(a.images), "--subcaches", str(a.subcaches),
            "--text-kb", str(a.text_kb), "--variant", "code" if changed else "base", "--manifest", "/dev/null",
            os.path.join(root, DYLD))
        pre = os.path.join(root, PREBOOT)
        os.makedirs(pre, exist_ok=True)
        # The OS cryptex dmg holds a small framework; the dyld cache sits in the tree's cryptex above
        # (make_apfs.py's placeholder cache is replaced, since it is not a readable cache).
        fw = os.path.join(a.out, "os-tree")
        os.makedirs(fw, exist_ok=True)
        with open(os.path.join(fw, "Info.plist"), "wb") as f:
            f.write(b"<plist version=\"1.0\"><dict/></plist>\n")
        run(os.path.join(here, "make_apfs.py"), os.path.join(a.out, "os.img"), "--cryptex", "os",
            "--add-tree", "/System/Library/Frameworks/Bench.framework=" + fw, "--udif", os.path.join(pre, "os.dmg"))
        run(os.path.join(here, "make_apfs.py"), os.path.join(a.out, "app.img"), "--files", "200",
            "--total-size", "8M", "--seed", "3" if changed else "2", "--name", "Cryptex1,AppOS",
            "--udif", os.path.join(pre, "app.dmg"))
    for img in ("os.img", "app.img"):
        os.unlink(os.path.join(a.out, img))
    shutil.rmtree(os.path.join(a.out, "os-tree"))


if __name__ == "__main__":
    main()
