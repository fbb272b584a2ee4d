"""An LZFSE encoder that writes bvx2 blocks (FSE-coded literals and L/M/D triples), as Apple's
encoder does for inputs of 4 KiB and more (python3 stdlib only; written from docs/formats/lzfse.md,
which describes what the decoder reads: §2 limits, §4 header, §5 frequency code, §6 tables and
streams). Used by make_apfs.py --shape system for decmpfs types 11/12.

An FSE encoder is the decoder run backwards: symbols are coded last to first, each choosing the
state whose decoder transition (base + the bits read) lands on the state already chosen for the
symbol after it; the bits are written forwards, so the decoder, reading from the end, meets them
first-symbol-first.
"""
import bisect
import collections
import struct
import subprocess

L_STATES, M_STATES, D_STATES, LIT_STATES = 64, 64, 256, 1024
MAX_MATCHES, MAX_LITERALS = 10000, 40000
L_EXTRA = [0] * 16 + [2, 3, 5, 8]
M_EXTRA = [0] * 16 + [3, 5, 8, 11]
D_EXTRA = [s // 4 for s in range(64)]


def _bases(extra):
    b = [0]
    for e in extra[:-1]:
        b.append(b[-1] + (1 << e))
    return b


L_BASE, M_BASE, D_BASE = _bases(L_EXTRA), _bases(M_EXTRA), _bases(D_EXTRA)
L_MAX, M_MAX = L_BASE[-1] + (1 << L_EXTRA[-1]) - 1, M_BASE[-1] + (1 << M_EXTRA[-1]) - 1  # 315, 2359
L_SYM = [bisect.bisect_right(L_BASE, v) - 1 for v in range(L_MAX + 1)]
M_SYM = [bisect.bisect_right(M_BASE, v) - 1 for v in range(M_MAX + 1)]


def normalize(counts, states):
    """Frequencies summing to `states`, every used symbol at least 1 (§6: each symbol owns freq
    consecutive states)."""
    total = sum(counts)
    if total == 0:
        return [0] * len(counts)
    freq = [max(1, c * states // total) if c else 0 for c in counts]
    diff = states - sum(freq)
    order = sorted(range(len(counts)), key=lambda s: -counts[s])
    i = 0
    while diff:
        s = order[i % len(order)]
        if counts[s]:
            if diff > 0:
                freq[s] += 1
                diff -= 1
            elif freq[s] > 1:
                freq[s] -= 1
                diff += 1
        i += 1
    return freq


class Encoder:
    """Per symbol: (first state, k, threshold, wide) for the encode step of §6's table layout."""

    def __init__(self, freq, states):
        self.n = states
        self.info = {}
        first = 0
        nbl = states.bit_length()
        for s, f in enumerate(freq):
            if not f:
                continue
            k = nbl - f.bit_length()
            self.info[s] = (first, k, (f << k) - states, ((2 * states) >> k) - f, f)
            first += f

    def step(self, s, x):
        """The state to be in before coding s so that the decoder then moves to x, and the bits
        (value, count) it reads for that move."""
        first, k, threshold, wide, f = self.info[s]
        if x < threshold:
            return first + wide + (x >> (k - 1)), x & ((1 << (k - 1)) - 1), k - 1
        return first + ((x + self.n) >> k) - f, x & ((1 << k) - 1), k


class BitWriter:
    """Bits appended above the ones already written; the decoder reads them from the top down.
    Whole bytes move to `out` as they fill, so the accumulator stays a small integer."""

    def __init__(self, zero_bytes=0):
        self.out, self.acc, self.n = bytearray(zero_bytes), 0, 0

    def write(self, value, n):
        self.acc |= value << self.n
        self.n += n
        if self.n >= 32:
            self.out += (self.acc & 0xFFFFFFFF).to_bytes(4, "little")
            self.acc >>= 32
            self.n -= 32

    def finish(self):
        """(payload bytes, final_bits): the last byte holds 8 + final_bits stream bits."""
        total = 8 * len(self.out) + self.n
        self.out += self.acc.to_bytes((self.n + 7) // 8, "little")
        return bytes(self.out), (total - 8 * len(self.out) if self.out else 0)


def _freq_code(v):
    """§5: a frequency as (code, length), the inverse of the 5-bit peek table."""
    if v < 8:
        return ((0, 2), (2, 2), (1, 3), (5, 3), (3, 5), (11, 5), (19, 5), (27, 5))[v]
    if v < 24:
        return 0x7 | ((v - 8) << 4), 8
    return 0xF | ((v - 24) << 4), 14


def encode_block(seqs, literals):
    """One bvx2 block for `seqs` [(L, M, D)] whose literals are `literals`; decodes to
    sum(L + M) bytes."""
    n_raw = sum(l + m for l, m, _ in seqs)
    lits = bytes(literals)
    # The decoder takes literals four at a time; a block without literals still gets four, since a
    # strict decoder (7-Zip's) wants every frequency table full.
    lits += bytes((-len(lits)) % 4 if lits else 4)
    # symbols and their extra bits
    lsym = [L_SYM[l] for l, _, _ in seqs]
    msym = [M_SYM[m] for _, m, _ in seqs]
    dsym = [bisect.bisect_right(D_BASE, d) - 1 for _, _, d in seqs]
    lc, mc, dc, cc = [0] * 20, [0] * 20, [0] * 64, [0] * 256
    for s in lsym:
        lc[s] += 1
    for s in msym:
        mc[s] += 1
    for s in dsym:
        dc[s] += 1
    for b, c in collections.Counter(lits).items():
        cc[b] = c
    lf, mf, df, cf = normalize(lc, L_STATES), normalize(mc, M_STATES), normalize(dc, D_STATES), \
        normalize(cc, LIT_STATES)
    # literals: four interleaved states, coded last to first (Encoder.step and BitWriter.write
    # inlined: this loop runs once per literal)
    info = Encoder(cf, LIT_STATES).info
    w = BitWriter()
    out, acc, n = w.out, 0, 0
    st = [0, 0, 0, 0]
    for i in range(len(lits) - 1, -1, -1):
        j = i & 3
        x = st[j]
        first, k, threshold, wide, f = info[lits[i]]
        if x < threshold:
            k -= 1
            st[j] = first + wide + (x >> k)
        else:
            st[j] = first + ((x + LIT_STATES) >> k) - f
        acc |= (x & ((1 << k) - 1)) << n
        n += k
        if n >= 32:
            out += (acc & 0xFFFFFFFF).to_bytes(4, "little")
            acc >>= 32
            n -= 32
    w.acc, w.n = acc, n
    lit_payload, lit_bits = w.finish()
    lit_states = st
    # L, M, D: per triple the decoder pulls L, then M, then D; each pull is state bits above extra bits
    el, em, ed = Encoder(lf, L_STATES), Encoder(mf, M_STATES), Encoder(df, D_STATES)
    w = BitWriter(zero_bytes=8)  # the stream starts with 8 zero bytes, as Apple's encoder writes it (7-Zip checks them)
    ls = ms = ds = 0
    for i in range(len(seqs) - 1, -1, -1):
        l, m, d = seqs[i]
        s = dsym[i]
        ds, bits, nb = ed.step(s, ds)
        w.write((bits << D_EXTRA[s]) | (d - D_BASE[s]), nb + D_EXTRA[s])
        s = msym[i]
        ms, bits, nb = em.step(s, ms)
        w.write((bits << M_EXTRA[s]) | (m - M_BASE[s]), nb + M_EXTRA[s])
        s = lsym[i]
        ls, bits, nb = el.step(s, ls)
        w.write((bits << L_EXTRA[s]) | (l - L_BASE[s]), nb + L_EXTRA[s])
    lmd_payload, lmd_bits = w.finish()
    # header (§4) and the coded frequencies (§5)
    fw = BitWriter()
    for v in lf + mf + df + cf:
        code, n = _freq_code(v)
        fw.write(code, n)
    freq_bytes, _ = fw.finish()
    header_size = 32 + len(freq_bytes)
    w0 = len(lits) | (len(lit_payload) << 20) | (len(seqs) << 40) | ((lit_bits + 7) << 60)
    w1 = lit_states[0] | (lit_states[1] << 10) | (lit_states[2] << 20) | (lit_states[3] << 30) | \
        (len(lmd_payload) << 40) | ((lmd_bits + 7) << 60)
    w2 = header_size | (ls << 32) | (ms << 42) | (ds << 52)
    return b"bvx2" + struct.pack("<IQQQ", n_raw, w0, w1, w2) + freq_bytes + lit_payload + lmd_payload


def greedy_matches(data):
    """The greedy LZ77 match finder both of our decmpfs encoders share (this one and make_apfs.py's
    LZVN): a 4-byte hash of positions, distances up to 64 KiB - 1 (decmpfs chunks are 64 KiB). Yields
    (literal_start, position, length, distance) per match; the next literals start at position +
    length. Written for speed in pure Python: matches are extended 32 bytes at a time, only every
    third position inside a match is indexed, and a long literal run (incompressible data) is
    scanned with a growing step."""
    n = len(data)
    table = {}
    get = table.get
    lit_start = i = 0
    while i + 4 <= n:
        key = data[i:i + 4]
        cand = get(key)
        table[key] = i
        if cand is None or i - cand > 0xFFFF:
            i += 1 + ((i - lit_start) >> 7)
            continue
        m = 4
        while i + m + 32 <= n and data[cand + m:cand + m + 32] == data[i + m:i + m + 32]:
            m += 32
        while i + m < n and data[cand + m] == data[i + m]:
            m += 1
        yield lit_start, i, m, i - cand
        for j in range(i + 1, min(i + m, n - 3), 3):
            table[data[j:j + 4]] = j
        i += m
        lit_start = i


def parse(data):
    """Greedy LZ77 parse (4-byte hash of positions, distances up to 64 KiB - 1 here since decmpfs
    chunks are 64 KiB): [(L, M, D)] with L <= 315 and M <= 2359, and the literals in order; the last
    triple may have M = 0 (trailing literals)."""
    n = len(data)
    seqs, lits = [], bytearray()
    lit_start = 0
    for lit_start, i, m, d in greedy_matches(data):
        lits += data[lit_start:i]
        l = i - lit_start
        while l > L_MAX:
            seqs.append((L_MAX, 0, 1))
            l -= L_MAX
        first = True
        left = m
        while left:
            k = min(left, M_MAX)
            seqs.append((l if first else 0, k, d))
            first = False
            left -= k
        lit_start = i + m
    lits += data[lit_start:]
    l = n - lit_start
    while l > L_MAX:
        seqs.append((L_MAX, 0, 1))
        l -= L_MAX
    if l or not seqs:
        seqs.append((l, 0, 1))
    return seqs, bytes(lits)


def encode(data, cli=None):
    """A whole LZFSE stream of bvx2 blocks (each within §2's limits) and the end-of-stream block.
    With cli, an `lzfse` command (the reference implementation, built locally by a benchmark)
    encodes instead: `cli -encode`, stdin to stdout (about 40 times faster than this one on 4 MB of a
    shared library)."""
    if cli:
        return subprocess.run([cli, "-encode"], input=data, stdout=subprocess.PIPE, check=True).stdout
    seqs, lits = parse(data)
    out = bytearray()
    start = nl = lit_pos = 0  # first triple of the block, its literal count, its first literal
    for idx, (l, _, _) in enumerate(seqs):
        if idx - start == MAX_MATCHES or nl + l > MAX_LITERALS - 4:
            out += encode_block(seqs[start:idx], lits[lit_pos:lit_pos + nl])
            lit_pos += nl
            start, nl = idx, 0
        nl += l
    out += encode_block(seqs[start:], lits[lit_pos:lit_pos + nl])
    return bytes(out) + b"bvx$"


def block_kinds(stream):
    """{magic: count} of an LZFSE stream's blocks (for the generators' manifests)."""
    kinds, pos = {}, 0
    while True:
        magic = stream[pos:pos + 4].decode()
        kinds[magic] = kinds.get(magic, 0) + 1
        if magic == "bvx$":
            return kinds
        if magic == "bvx-":
            pos += 8 + struct.unpack_from("<I", stream, pos + 4)[0]
        elif magic == "bvxn":
            pos += 12 + struct.unpack_from("<I", stream, pos + 8)[0]
        elif magic == "bvx2":
            w0, w1, w2 = struct.unpack_from("<QQQ", stream, pos + 8)
            pos += (w2 & 0xFFFFFFFF) + ((w0 >> 20) & 0xFFFFF) + ((w1 >> 40) & 0xFFFFF)
        else:
            raise ValueError("not an LZFSE block at %d" % pos)
