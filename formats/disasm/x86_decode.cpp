#include "disasm/x86_decode.hpp"

#include <array>

namespace upscope::disasm {

namespace {

// What follows an opcode: whether a ModRM byte does, and which immediate. Sizes from the opcode maps
// of the Intel SDM vol. 2 appendix A (64-bit mode).
enum Imm : uint8_t {
  kNone,
  kB,       // ib
  kW,       // iw
  kZ,       // iz: 2 with a 66 prefix, else 4
  kV,       // iv: 8 with REX.W, 2 with 66, else 4 (MOV r, imm)
  kWB,      // iw, ib (ENTER)
  kMoffs,   // moffs: 8, or 4 with a 67 prefix (MOV AL/rAX <-> moffs)
  kGrp3B,   // F6: ib only for /0 and /1 (TEST)
  kGrp3Z,   // F7: iz only for /0 and /1
  kInvalid  // not an instruction in 64-bit mode
};

struct Op {
  bool modrm = false;
  Imm imm = kNone;
  bool branch = false;  // the immediate is a relative branch target
};

using Map = std::array<Op, 256>;

constexpr void set(Map& m, int lo, int hi, bool modrm, Imm imm, bool branch = false) {
  for (int i = lo; i <= hi; ++i) m[static_cast<size_t>(i)] = Op{modrm, imm, branch};
}

constexpr Map make_one_byte() {
  Map m{};
  for (int base = 0x00; base <= 0x38; base += 8) {  // ALU ops: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,ib / rAX,iz
    set(m, base, base + 3, true, kNone);
    set(m, base + 4, base + 4, false, kB);
    set(m, base + 5, base + 5, false, kZ);
  }
  for (int op : {0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F, 0x27, 0x2F, 0x37, 0x3F}) set(m, op, op, false, kInvalid);
  set(m, 0x50, 0x5F, false, kNone);
  set(m, 0x60, 0x61, false, kInvalid);
  set(m, 0x63, 0x63, true, kNone);
  set(m, 0x68, 0x68, false, kZ);
  set(m, 0x69, 0x69, true, kZ);
  set(m, 0x6A, 0x6A, false, kB);
  set(m, 0x6B, 0x6B, true, kB);
  set(m, 0x6C, 0x6F, false, kNone);
  set(m, 0x70, 0x7F, false, kB, true);  // jcc rel8
  set(m, 0x80, 0x80, true, kB);
  set(m, 0x81, 0x81, true, kZ);
  set(m, 0x82, 0x82, false, kInvalid);
  set(m, 0x83, 0x83, true, kB);
  set(m, 0x84, 0x8F, true, kNone);
  set(m, 0x90, 0x99, false, kNone);
  set(m, 0x9A, 0x9A, false, kInvalid);
  set(m, 0x9B, 0x9F, false, kNone);
  set(m, 0xA0, 0xA3, false, kMoffs);
  set(m, 0xA4, 0xA7, false, kNone);
  set(m, 0xA8, 0xA8, false, kB);
  set(m, 0xA9, 0xA9, false, kZ);
  set(m, 0xAA, 0xAF, false, kNone);
  set(m, 0xB0, 0xB7, false, kB);
  set(m, 0xB8, 0xBF, false, kV);
  set(m, 0xC0, 0xC1, true, kB);
  set(m, 0xC2, 0xC2, false, kW);
  set(m, 0xC3, 0xC3, false, kNone);
  set(m, 0xC6, 0xC6, true, kB);
  set(m, 0xC7, 0xC7, true, kZ);  // C7 F8 is XBEGIN rel32: see decode_x86_64
  set(m, 0xC8, 0xC8, false, kWB);
  set(m, 0xC9, 0xC9, false, kNone);
  set(m, 0xCA, 0xCA, false, kW);
  set(m, 0xCB, 0xCC, false, kNone);
  set(m, 0xCD, 0xCD, false, kB);
  set(m, 0xCE, 0xCE, false, kInvalid);
  set(m, 0xCF, 0xCF, false, kNone);
  set(m, 0xD0, 0xD3, true, kNone);
  set(m, 0xD4, 0xD6, false, kInvalid);
  set(m, 0xD7, 0xD7, false, kNone);
  set(m, 0xD8, 0xDF, true, kNone);  // x87
  set(m, 0xE0, 0xE3, false, kB, true);  // loopne, loope, loop, jrcxz
  set(m, 0xE4, 0xE7, false, kB);
  set(m, 0xE8, 0xE9, false, kZ, true);  // call, jmp rel32 (64-bit mode ignores 66: see below)
  set(m, 0xEA, 0xEA, false, kInvalid);
  set(m, 0xEB, 0xEB, false, kB, true);
  set(m, 0xEC, 0xEF, false, kNone);
  set(m, 0xF1, 0xF1, false, kNone);
  set(m, 0xF4, 0xF5, false, kNone);
  set(m, 0xF6, 0xF6, true, kGrp3B);
  set(m, 0xF7, 0xF7, true, kGrp3Z);
  set(m, 0xF8, 0xFD, false, kNone);
  set(m, 0xFE, 0xFF, true, kNone);
  return m;
}

constexpr Map make_two_byte() {  // 0F xx
  Map m{};
  set(m, 0x00, 0xFF, true, kNone);  // most of the map: ModRM, no immediate
  set(m, 0x04, 0x04, false, kInvalid);
  set(m, 0x05, 0x09, false, kNone);  // syscall, clts, sysret, invd, wbinvd
  set(m, 0x0A, 0x0A, false, kInvalid);
  set(m, 0x0B, 0x0B, false, kNone);  // ud2
  set(m, 0x0C, 0x0C, false, kInvalid);
  set(m, 0x0E, 0x0E, false, kNone);  // femms
  set(m, 0x0F, 0x0F, true, kB);      // 3DNow!: the opcode follows as an imm8 suffix
  set(m, 0x24, 0x27, false, kInvalid);
  set(m, 0x30, 0x35, false, kNone);  // wrmsr, rdtsc, rdmsr, rdpmc, sysenter, sysexit
  set(m, 0x36, 0x36, false, kInvalid);
  set(m, 0x37, 0x37, false, kNone);  // getsec
  set(m, 0x39, 0x39, false, kInvalid);
  set(m, 0x3B, 0x3F, false, kInvalid);
  set(m, 0x70, 0x73, true, kB);  // pshuf*, shift groups with imm8
  set(m, 0x77, 0x77, false, kNone);  // emms
  set(m, 0x80, 0x8F, false, kZ, true);  // jcc rel32
  set(m, 0xA0, 0xA2, false, kNone);  // push fs, pop fs, cpuid
  set(m, 0xA4, 0xA4, true, kB);
  set(m, 0xA6, 0xA7, false, kInvalid);
  set(m, 0xA8, 0xAA, false, kNone);  // push gs, pop gs, rsm
  set(m, 0xAC, 0xAC, true, kB);
  set(m, 0xBA, 0xBA, true, kB);
  set(m, 0xC2, 0xC2, true, kB);
  set(m, 0xC4, 0xC6, true, kB);
  set(m, 0xC8, 0xCF, false, kNone);  // bswap
  return m;
}

constexpr Map kOneByte = make_one_byte();
constexpr Map kTwoByte = make_two_byte();

// Immediates of VEX/EVEX-encoded instructions: every 0F3A opcode takes an imm8; in the 0F map only
// the shuffles, shifts by immediate, compares and inserts/extracts do; 0F38 has none.
uint8_t vex_imm_size(unsigned map, uint8_t op) {
  if (map == 3) return 1;
  if (map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xC2 || (op >= 0xC4 && op <= 0xC6))) return 1;
  return 0;
}

}  // namespace

bool decode_x86_64(const uint8_t* p, size_t n, X86Insn& out) {
  constexpr size_t kMaxLength = 15;
  if (n > kMaxLength) n = kMaxLength;
  size_t i = 0;
  bool opsize16 = false, addr32 = false, rex_w = false;
  // Legacy prefixes in any order; a REX counts only directly before the opcode (one followed by a
  // legacy prefix is ignored, and of several the last one counts).
  for (;; ++i) {
    if (i >= n) return false;
    const uint8_t b = p[i];
    if ((b & 0xF0) == 0x40) {
      rex_w = (b & 0x08) != 0;
      continue;
    }
    if (b == 0x66) opsize16 = true;
    else if (b == 0x67) addr32 = true;
    else if (!(b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0x64 ||
               b == 0x65))
      break;
    rex_w = false;
  }
  uint8_t op = p[i++];
  Op d;
  unsigned vex_map = 0;  // 1..3 for VEX/EVEX (0F, 0F38, 0F3A); 0 for legacy encodings
  bool one_byte_map = false;
  if (op == 0xC4 || op == 0xC5 || op == 0x62) {
    // VEX (2- or 3-byte) or EVEX: always so in 64-bit mode (LES, LDS and BOUND are gone).
    size_t payload = op == 0xC5 ? 1 : op == 0xC4 ? 2 : 3;
    if (i + payload >= n) return false;
    if (op == 0xC5) {
      vex_map = 1;
    } else {
      vex_map = p[i] & (op == 0x62 ? 0x07 : 0x1F);
      if (op == 0x62 && (p[i + 1] & 0x04) == 0) return false;  // EVEX P1 bit 2 is fixed at 1
      if (op == 0x62 && (vex_map == 5 || vex_map == 6)) vex_map = vex_map == 5 ? 1 : 2;  // AVX512-FP16 maps
      else if (vex_map < 1 || vex_map > 3) return false;
      if (op == 0xC4) rex_w = (p[i + 1] & 0x80) != 0;
    }
    i += payload;
    op = p[i++];
    // VZEROUPPER/VZEROALL (VEX 0F 77) are the only VEX instructions without a ModRM byte.
    d.modrm = !(vex_map == 1 && op == 0x77);
    d.imm = kNone;
  } else if (op == 0x0F) {
    if (i >= n) return false;
    op = p[i++];
    if (op == 0x38 || op == 0x3A) {
      if (i >= n) return false;
      const bool with_imm = op == 0x3A;
      op = p[i++];
      d = Op{true, with_imm ? kB : kNone, false};
    } else {
      d = kTwoByte[op];
    }
  } else {
    d = kOneByte[op];
    one_byte_map = true;
  }
  if (d.imm == kInvalid) return false;

  out = X86Insn{};
  if (d.modrm) {
    if (i >= n) return false;
    const uint8_t modrm = p[i++];
    const unsigned mod = modrm >> 6, reg = (modrm >> 3) & 7, rm = modrm & 7;
    // Groups with reserved /reg values (SDM table A-6): FE has only /0-/1, FF has no /7, 8F only
    // /0 (other values are AMD's XOP prefix, absent from Apple's code), C6/C7 only /0 and F8.
    if (one_byte_map && ((op == 0xFE && reg > 1) || (op == 0xFF && reg == 7) || (op == 0x8F && reg != 0) ||
                         ((op == 0xC6 || op == 0xC7) && reg != 0 && modrm != 0xF8)))
      return false;
    if (d.imm == kGrp3B) d.imm = reg < 2 ? kB : kNone;
    if (d.imm == kGrp3Z) d.imm = reg < 2 ? kZ : kNone;
    // C7 F8: XBEGIN rel32 (the other C7 forms are MOV Ev, iz).
    if (one_byte_map && op == 0xC7 && modrm == 0xF8) d.branch = true;
    if (mod != 3) {
      uint8_t disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
      if (rm == 4) {  // SIB
        if (i >= n) return false;
        const uint8_t sib = p[i++];
        if (mod == 0 && (sib & 7) == 5) disp = 4;  // no base: disp32
      } else if (mod == 0 && rm == 5) {
        disp = 4;
        out.rip_relative = !addr32;  // [eip + disp32] with a 67 prefix: still relative, but 32-bit
      }
      if (disp) {
        out.disp_offset = static_cast<uint8_t>(i);
        out.disp_size = disp;
        i += disp;
      }
    }
  }
  uint8_t imm = 0;
  switch (d.imm) {
    case kNone: imm = vex_map ? vex_imm_size(vex_map, op) : 0; break;
    case kB: imm = 1; break;
    case kW: imm = 2; break;
    // Near branches are 64-bit in long mode whatever 66 says: their displacement stays 32 bits.
    case kZ: imm = (opsize16 && !rex_w && !d.branch) ? 2 : 4; break;
    case kV: imm = rex_w ? 8 : opsize16 ? 2 : 4; break;
    case kWB: imm = 3; break;
    case kMoffs: imm = addr32 ? 4 : 8; break;
    default: return false;
  }
  if (imm) {
    out.imm_offset = static_cast<uint8_t>(i);
    out.imm_size = imm;
    i += imm;
  }
  if (i > n) return false;
  out.length = static_cast<uint8_t>(i);
  out.branch_relative = d.branch;
  return true;
}

}  // namespace upscope::disasm
