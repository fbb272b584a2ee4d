"""File contents and layout of make_apfs.py --shape system: a volume shaped like a macOS system
volume, where most regular files are decmpfs-compressed (python3 stdlib only).

What a file holds is chosen by its kind, so that the codecs meet data like the real thing:
  macho   a Mach-O 64 header with load commands, __TEXT with arm64-like instruction words drawn from
          a per-file pool (register and immediate fields vary), C strings, __DATA pointers, a symbol
          string table and a code-signature-like run of SHA-256 page hashes (incompressible)
  text    C headers, .strings tables, man pages and scripts: lines from templates and a vocabulary
  plist   XML property lists (Info.plist, version and configuration plists)
  asset   PNG-like images whose pixel data is already compressed (random bytes): stored plain
  tiny    PkgInfo and other files of a few bytes: stored plain
The generators work a line, an instruction word or a table entry at a time through C-level helpers
(random.choices, bytes.join), not a byte at a time, so a GB of content takes seconds.

How a file is stored (the writer's model of what Apple's installer does; no real system volume is
among our samples, so the split is a model, not a measurement):
  - asset and tiny files are plain;
  - every other file is compressed with LZVN or LZFSE; the codec is drawn per file, LZFSE more often
    for larger files (40% below 64 KiB, 65% from there); LZFSE pieces of 4 KiB and more are bvx2
    blocks (samples/gen/lzfse_fse.py), smaller ones bvxn, as Apple's encoder chooses;
  - if the whole file compresses into the com.apple.decmpfs xattr (16-byte header + payload within
    the 3804 bytes of an embedded xattr) it is inline: type 7 (LZVN) or 11 (LZFSE); otherwise it goes
    to a com.apple.ResourceFork of 64 KiB chunks behind a u32 offset table: type 8 or 12;
  - a file whose resource fork would not save a 4 KiB block over the plain file stays plain.
Sizes: lognormal (sigma 2.0) scaled to --total-size, each file capped at 64 MiB; system volumes hold
many small files and a long tail of large binaries.
"""
import hashlib
import itertools
import struct

KIND_WEIGHTS = [("macho", 26), ("text", 36), ("plist", 26), ("asset", 8), ("tiny", 4)]
MAX_FILE = 64 << 20
LZFSE_SHARE_SMALL, LZFSE_SHARE_LARGE, LARGE = 0.40, 0.65, 64 << 10

_SYLL = ["ab", "ac", "ad", "al", "an", "ap", "ar", "at", "be", "ca", "co", "con", "de", "di", "do", "en",
         "er", "es", "fi", "fo", "ge", "in", "io", "is", "it", "la", "le", "li", "lo", "ma", "me", "mo", "ne",
         "no", "on", "or", "pa", "pe", "po", "pro", "qu", "ra", "re", "ri", "ro", "se", "si", "so", "st",
         "ta", "te", "ti", "to", "tr", "un", "ur", "va", "ve", "vi"]
_PREFIXES = ["NS", "CF", "CG", "UI", "AV", "CA", "CK", "MT", "SK", "IO", "Sec", "XPC", "OS", "MDM", "PK"]
_TYPES = ["int", "void", "BOOL", "NSInteger", "CGFloat", "uint32_t", "uint64_t", "CFStringRef", "id",
          "NSString *", "NSArray *", "const char *", "size_t", "OSStatus", "kern_return_t"]


class Vocab:
    """Words and identifiers shared by every file of the volume (as a real OS repeats its names)."""

    def __init__(self, rnd):
        def word(lo, hi):
            return "".join(rnd.choices(_SYLL, k=rnd.randint(lo, hi)))
        self.words = sorted({word(1, 4) for _ in range(3000)})
        # Zipf-like weights: a few words are very common
        weights = [1.0 / (i + 1) for i in range(len(self.words))]
        rnd.shuffle(weights)
        self.cum = list(itertools.accumulate(weights))
        self.idents = sorted({rnd.choice(_PREFIXES) + word(1, 3).capitalize() + word(1, 3).capitalize()
                              for _ in range(2500)})
        self.frameworks = sorted({word(2, 3).capitalize() + rnd.choice(["Kit", "Core", "Services", "UI", "",
                                                                        "Support", "Foundation"])
                                  for _ in range(300)})


class Words:
    """Words drawn from the vocabulary in batches (one C-level random.choices call per 4096)."""

    def __init__(self, rnd, vocab):
        self.rnd, self.vocab, self.buf, self.pos = rnd, vocab, [], 0

    def take(self, k):
        if self.pos + k > len(self.buf):
            self.buf = self.rnd.choices(self.vocab.words, cum_weights=self.vocab.cum, k=max(4096, k))
            self.pos = 0
        self.pos += k
        return self.buf[self.pos - k:self.pos]


def text_content(rnd, vocab, size, flavour):
    """Text lines until `size` bytes. flavour: header, strings, man, script."""
    out, n = [], 0
    idents, types = vocab.idents, _TYPES
    words = Words(rnd, vocab)
    while n < size:
        ws = words.take({"header": 16, "strings": 32, "man": 60}.get(flavour, 20))
        ids = rnd.choices(idents, k=6)
        if flavour == "header":
            lines = ["/*! @abstract %s */\n" % " ".join(ws[:9]),
                     "extern %s %s(%s %s, %s %s) API_AVAILABLE(macos(%d.%d));\n" % (
                         rnd.choice(types), ids[0], rnd.choice(types), ws[10], rnd.choice(types), ws[11],
                         rnd.randint(10, 15), rnd.randint(0, 6)),
                     "#define k%s%s 0x%04x\n" % (ids[1], ws[12].capitalize(), rnd.randrange(65536)),
                     "@property (nonatomic, %s) %s %s;\n" % (rnd.choice(["strong", "copy", "readonly", "assign"]),
                                                            rnd.choice(types), ws[13]),
                     "typedef struct %s {\n    %s %s;\n    %s %s;\n} %s;\n\n" % (
                         ids[2], rnd.choice(types), ws[14], rnd.choice(types), ws[15], ids[2] + "Ref")]
        elif flavour == "strings":
            lines = ['/* %s */\n"%s" = "%s";\n\n' % (" ".join(ws[:6]), "_".join(ws[6:9]).upper(),
                                                   " ".join(ws[9:9 + rnd.randint(2, 12)]).capitalize())]
            lines.append('"%s" = "%s %s";\n' % (ids[0], ws[30].capitalize(), ws[31]))
        elif flavour == "man":
            lines = [".Sh %s\n" % ws[0].upper(), ".Nm %s\n" % ws[1],
                     ".Fl %s Ar %s\n" % (ws[2][:1], ws[3]),
                     " ".join(ws[4:4 + rnd.randint(8, 30)]).capitalize() + ".\n",
                     " ".join(ws[40:40 + rnd.randint(5, 20)]) + ".\n.Pp\n"]
        else:
            lines = ["%s() {\n" % ws[0],
                     '    local %s="$1"\n' % ws[1],
                     '    if [ -e "/System/Library/%s.framework/%s" ]; then\n' % (rnd.choice(vocab.frameworks), ws[2]),
                     '        %s --%s "$%s" >> /var/log/%s.log 2>&1\n' % (ws[3], ws[4], ws[1], ws[5]),
                     "    fi\n}\n\n", "# %s\n" % " ".join(ws[6:6 + rnd.randint(4, 14)])]
        piece = "".join(lines).encode()
        out.append(piece)
        n += len(piece)
    return b"".join(out)[:size]


def plist_content(rnd, vocab, size):
    head = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
            b'"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n<dict>\n')
    fw = rnd.choice(vocab.frameworks)
    out = [head, ("\t<key>CFBundleIdentifier</key>\n\t<string>com.apple.%s</string>\n"
                  "\t<key>CFBundleShortVersionString</key>\n\t<string>%d.%d</string>\n"
                  % (fw.lower(), rnd.randint(1, 20), rnd.randint(0, 9))).encode()]
    n = sum(len(x) for x in out)
    words = Words(rnd, vocab)
    while n < size:
        ws = words.take(16)
        ids = rnd.choices(vocab.idents, k=3)
        r = rnd.random()
        if r < 0.35:
            s = "\t<key>%s</key>\n\t<string>%s</string>\n" % (ids[0], " ".join(ws[:rnd.randint(1, 8)]))
        elif r < 0.55:
            s = "\t<key>%s%s</key>\n\t<%s/>\n" % (ids[1], ws[0].capitalize(), rnd.choice(["true", "false"]))
        elif r < 0.75:
            s = "\t<key>%s</key>\n\t<integer>%d</integer>\n" % (ids[2], rnd.randrange(1 << rnd.choice([4, 8, 16, 32])))
        else:
            items = "".join("\t\t<string>com.apple.%s.%s</string>\n" % (w, ws[-1]) for w in ws[:rnd.randint(2, 8)])
            s = "\t<key>%s</key>\n\t<array>\n%s\t</array>\n" % (ids[0], items)
        b = s.encode()
        out.append(b)
        n += len(b)
    out.append(b"</dict>\n</plist>\n")
    return b"".join(out)[:size]


def macho_content(rnd, vocab, size):
    """Mach-O-like bytes: header and load commands, code, C strings, data pointers, symbol strings and
    a code-signature-like tail (one SHA-256 per 4 KiB page of what precedes it)."""
    page = 16384
    hdr = bytearray(struct.pack("<IiiIIIII", 0xFEEDFACF, 0x0100000C, 2, 2, 0, 0, 0x00200085, 0))
    cmds = []
    for seg, sects in (("__TEXT", ["__text", "__stubs", "__cstring", "__const"]), ("__DATA_CONST", ["__got", "__const"]),
                       ("__DATA", ["__data", "__bss"]), ("__LINKEDIT", [])):
        body = struct.pack("<16sQQQQiiII", seg.encode(), 0x100000000, 0x4000, 0, 0x4000, 5, 5, len(sects), 0)
        for s in sects:
            body += struct.pack("<16s16sQQIIIIIIII", s.encode(), seg.encode(), 0x100004000, 0x1000, 0x4000, 2,
                                0, 0, 0x80000400, 0, 0, 0)
        cmds.append(struct.pack("<II", 0x19, 8 + len(body)) + body)
    for fw in rnd.choices(vocab.frameworks, k=rnd.randint(3, 12)):
        name = ("/System/Library/Frameworks/%s.framework/Versions/A/%s" % (fw, fw)).encode() + b"\x00"
        name = name.ljust((len(name) + 7) // 8 * 8, b"\x00")
        cmds.append(struct.pack("<IIIIII", 0xC, 24 + len(name), 24, 2, 0x10000, 0x10000) + name)
    cmds.append(struct.pack("<II", 0x1B, 24) + rnd.randbytes(16))  # LC_UUID
    struct.pack_into("<II", hdr, 16, len(cmds), sum(len(c) for c in cmds))
    parts = [bytes(hdr)] + cmds
    n = sum(len(p) for p in parts)
    parts.append(bytes(min(size, page) - n if n < min(size, page) else 0))
    n = max(n, min(size, page))
    body = max(0, size - n)
    sig = min(body // 2, max(32, size // 4096 * 32))  # one 32-byte hash per 4 KiB page
    code, cstr, data = body * 55 // 100, body * 15 // 100, body * 10 // 100
    syms = max(0, body - code - cstr - data - sig)
    # code: a pool of instruction words (opcode classes with varying registers/immediates), then runs
    base = [0xD503201F, 0xD65F03C0, 0xA9BF7BFD, 0x910003FD, 0xA8C17BFD, 0xAA0003F3, 0xF9400000, 0xF9000000,
            0x94000000, 0xB4000000, 0x35000000, 0x52800000, 0x91000000, 0xD1000000, 0x8B000000, 0xEB00001F,
            0x54000000, 0x90000000, 0x39400000, 0xB9400000, 0x2A0003E0, 0x17FFFFFF]
    pool = [b | (rnd.getrandbits(26) & rnd.choice([0x1F, 0x3FF, 0x3FFFF, 0x3FFFFFF])) for b in
            rnd.choices(base, k=1024)]
    words = rnd.choices(pool, k=code // 4 + 1)
    parts.append(struct.pack("<%dI" % len(words), *words)[:code])
    strs, k = [], 0
    words = Words(rnd, vocab)
    while k < cstr:
        ws = words.take(3)
        s = (rnd.choice(["%s: %s %s", "Failed to %s %s (%s)", "com.apple.%s.%s.%s", "-[%s %s:%s]"])
             % (ws[0], ws[1], ws[2])).encode() + b"\x00"
        strs.append(s)
        k += len(s)
    parts.append(b"".join(strs)[:cstr])
    ptrs = [rnd.choice([0, 0x100000000 + rnd.randrange(0, 1 << 20, 8), 0x8010000000000000 | rnd.randrange(1 << 20)])
            for _ in range(data // 8 + 1)]
    parts.append(struct.pack("<%dQ" % len(ptrs), *ptrs)[:data])
    syml, k = [], 0
    while k < syms:
        ids = rnd.choices(vocab.idents, k=4)
        s = rnd.choice(["_OBJC_CLASS_$_%s%s", "_$s%sC%sMa", "_%s%s", "__ZN%sE%s"]) % tuple(ids[:2])
        b = s.encode() + b"\x00"
        syml.append(b)
        k += len(b)
    parts.append(b"".join(syml)[:syms])
    so_far = b"".join(parts)
    pages = max(1, len(so_far) // 4096)
    hashes = b"".join(hashlib.sha256(so_far[(j % pages) * 4096:(j % pages + 1) * 4096] + struct.pack("<I", j)).digest()
                      for j in range(sig // 32 + 1))
    tail = (b"\xfa\xde\x0c\xc0" + hashes)[:sig]
    return (so_far + tail)[:size].ljust(size, b"\x00")


def asset_content(rnd, size):
    head = b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sIIBBBBB", 13, b"IHDR", 64, 64, 8, 6, 0, 0, 0)
    return (head + rnd.randbytes(max(0, size - len(head))))[:size]


def tiny_content(rnd, size):
    return rnd.choice([b"APPL????", b"BNDL????", b"FMWK????", b"1\n", b"en\n", b"\n"])


def plan(args, rnd):
    """Yields (dir path, name, kind, size, seed) for --files files of about --total-size bytes."""
    n = args.files
    w = [rnd.lognormvariate(0, 2.0) for _ in range(n)]
    s = sum(w) or 1.0
    kinds = rnd.choices([k for k, _ in KIND_WEIGHTS], [x for _, x in KIND_WEIGHTS], k=n)
    per_dir = args.per_dir
    for i in range(n):
        kind = kinds[i]
        size = min(MAX_FILE, int(args.total_size * w[i] / s))
        d = i // per_dir
        fw = "F%04d" % d
        if kind == "macho":
            top = rnd.choice(["/System/Library/Frameworks/%s.framework/Versions/A" % fw,
                              "/System/Library/PrivateFrameworks/%s.framework/Versions/A" % fw, "/usr/lib/%s" % fw])
            name = "%s%03d%s" % (fw, i % 1000, "" if top.startswith("/System") else ".dylib")
        elif kind == "text":
            ext = rnd.choice([".h", ".strings", ".1", ".sh"])
            top = {".h": "/System/Library/Frameworks/%s.framework/Versions/A/Headers" % fw,
                   ".strings": "/System/Library/Frameworks/%s.framework/Versions/A/Resources/en.lproj" % fw,
                   ".1": "/usr/share/man/man1/%s" % fw, ".sh": "/usr/libexec/%s" % fw}[ext]
            name = "f%06d%s" % (i, ext)
        elif kind == "plist":
            top = "/System/Library/Frameworks/%s.framework/Versions/A/Resources" % fw
            name = "f%06d.plist" % i
        elif kind == "asset":
            top = "/System/Library/Frameworks/%s.framework/Versions/A/Resources" % fw
            name = "f%06d.png" % i
        else:
            top = "/System/Library/Frameworks/%s.framework/Versions/A/Resources" % fw
            name = "f%06d.PkgInfo" % i
            size = 0
        yield top, name, kind, size, (args.seed << 32) ^ i


def content(kind, name, size, rnd, vocab):
    if kind == "macho":
        return macho_content(rnd, vocab, max(size, 4096))
    if kind == "text":
        flavour = {"h": "header", "strings": "strings", "1": "man", "sh": "script"}[name.rsplit(".", 1)[1]]
        return text_content(rnd, vocab, max(size, 64), flavour)
    if kind == "plist":
        return plist_content(rnd, vocab, max(size, 300))
    if kind == "asset":
        return asset_content(rnd, max(size, 64))
    return tiny_content(rnd, size)


def choose_codec(rnd, size):
    share = LZFSE_SHARE_LARGE if size >= LARGE else LZFSE_SHARE_SMALL
    return "lzfse" if rnd.random() < share else "lzvn"
