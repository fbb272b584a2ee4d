// An x86-64 instruction length decoder: enough of the encoding (prefixes, REX, VEX, EVEX, the
// one-, two- and three-byte opcode maps, ModRM, SIB, displacement, immediate) to find where each
// instruction ends and where its displacement and immediate sit, without a disassembler. The code
// hash needs only that, and capstone spends ~50x longer building operand details we then ignore.
#pragma once

#include <cstddef>
#include <cstdint>

namespace upscope::disasm {

struct X86Insn {
  uint8_t length = 0;       // 1..15
  uint8_t disp_offset = 0;  // 0 when there is no displacement
  uint8_t disp_size = 0;    // 0, 1 or 4
  uint8_t imm_offset = 0;   // 0 when there is no immediate
  uint8_t imm_size = 0;     // 0, 1, 2, 3 (ENTER), 4 or 8
  bool rip_relative = false;     // ModRM memory operand [rip + disp32]
  bool branch_relative = false;  // the immediate is a PC-relative target (jcc, jmp, call, loop, jrcxz, xbegin)
};

// Decodes the instruction at p[0..n). False when the bytes are not a valid 64-bit-mode instruction
// (an opcode invalid in long mode, a truncated encoding, more than 15 bytes); callers then keep one
// byte and resynchronise, as they would with a disassembler.
bool decode_x86_64(const uint8_t* p, size_t n, X86Insn& out);

}  // namespace upscope::disasm
