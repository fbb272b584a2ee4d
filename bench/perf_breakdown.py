#!/usr/bin/env python3
"""Where a run's CPU time goes, by component: reads `perf report --no-children --sort dso,symbol
--stdio` on stdin and sums the self time of each symbol into the parts of upscope's work (a flat
profile, so a decoder's time counts once whichever container it decoded)."""
import re
import sys

# First match wins: (part, regular expression on "dso symbol").
PARTS = [
    ("kernel (page faults, reads, page zeroing, TLB flushes)", r"\[kernel|\[k\]"),
    ("zlib inflate (UDIF chunks, deflated zip members)", r"deflate_decompress|libdeflate|inflate|adler32|libz\."),
    ("LZFSE / LZVN decode (ULFO chunks, decmpfs)",
     r"compress::.*(decode_lmd|decode_literals|lzvn|lzfse|fse::|StreamDecoder)|lzvn_run"),
    ("SHA-256 (content hashes, AEA HMACs)", r"sha256|SHA256"),
    ("AES-CTR (AEA)", r"aesni|aes_|AES_|ctr32"),
    ("disassembly and code hashes", r"disasm|capstone|image_facts|outside_sections|code_hash"),
    ("xxHash (dyld image hashes)", r"xxh|XXH"),
    ("APFS reading", r"apfs::"),
    ("memset / memcpy", r"memset|memmove|memcpy"),
    ("allocation", r"malloc|_int_free|cfree|operator new|operator delete|unlink_chunk|malloc_consolidate"),
]


def main():
    totals = {name: 0.0 for name, _ in PARTS}
    other = 0.0
    for line in sys.stdin:
        m = re.match(r"\s*([0-9.]+)%\s+(.*)", line)
        if not m:
            continue
        pct, rest = float(m.group(1)), m.group(2)
        for name, pattern in PARTS:
            if re.search(pattern, rest):
                totals[name] += pct
                break
        else:
            other += pct
    print("| part | share of CPU samples |")
    print("|---|---:|")
    for name, _ in PARTS:
        print(f"| {name} | {totals[name]:.1f}% |")
    print(f"| other | {other:.1f}% |")


if __name__ == "__main__":
    main()
