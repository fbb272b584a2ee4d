// The x86-64 length decoder behind the x86_64 code hash: hand-checked encodings, then every
// instruction of real macOS x86_64 code compared with capstone (an independent decoder): same
// instruction boundaries, same displacement and immediate placement, same bytes masked.
#include <capstone/capstone.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <vector>

#include "disasm/normalize.hpp"
#include "disasm/x86_decode.hpp"
#include "inspect/source.hpp"
#include "macho/macho.hpp"
#include "test_support.hpp"

using namespace upscope;
using disasm::X86Insn;

namespace {

X86Insn decode(std::vector<uint8_t> b) {
  X86Insn i;
  REQUIRE(disasm::decode_x86_64(b.data(), b.size(), i));
  return i;
}

bool rejects(std::vector<uint8_t> b) {
  X86Insn i;
  return !disasm::decode_x86_64(b.data(), b.size(), i);
}

// The first byte after legacy prefixes and REX is a VEX (C4, C5) or EVEX (62) escape.
bool is_vex_or_evex(const uint8_t* p) {
  size_t i = 0;
  while (i < 14 && (p[i] == 0x66 || p[i] == 0x67 || p[i] == 0xF0 || p[i] == 0xF2 || p[i] == 0xF3 || (p[i] & 0xF0) == 0x40))
    ++i;
  return p[i] == 0x62 || p[i] == 0xC4 || p[i] == 0xC5;
}

// The normalisation the code hash applies, computed with capstone instead: decode linearly, keep
// bytes capstone rejects, zero RIP-relative displacements and relative branch immediates.
struct CapstoneReference {
  csh h = 0;
  CapstoneReference() {
    REQUIRE(cs_open(CS_ARCH_X86, CS_MODE_64, &h) == CS_ERR_OK);
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
  }
  ~CapstoneReference() { cs_close(&h); }

  struct Stats {
    size_t instructions = 0, length_mismatches = 0, unknown_to_capstone = 0, first_mismatch = SIZE_MAX;
  };

  std::vector<uint8_t> normalise(Bytes code, uint64_t address, Stats& st) {
    std::vector<uint8_t> out(code.begin(), code.end());
    std::unique_ptr<cs_insn, void (*)(cs_insn*)> insn(cs_malloc(h), [](cs_insn* p) { cs_free(p, 1); });
    const uint8_t* p = code.data();
    size_t left = code.size();
    uint64_t pc = address;
    while (left > 0) {
      const uint8_t* start = p;
      const size_t at = static_cast<size_t>(start - code.data());
      X86Insn ours;
      const bool ours_ok = disasm::decode_x86_64(start, left, ours);
      if (!cs_disasm_iter(h, &p, &left, &pc, insn.get())) {
        // Capstone 4 predates several AVX-512 extensions (VBMI, GFNI, VNNI...): an EVEX or VEX
        // instruction it rejects is taken at our length (counted, checked to be rare) and masked as
        // we mask it; anything else capstone rejects and we accept is a mismatch.
        if (ours_ok && is_vex_or_evex(start)) {
          ++st.unknown_to_capstone;
          if (ours.rip_relative)
            std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(at + ours.disp_offset), ours.disp_size, 0);
          p = start + ours.length;
          left -= ours.length;
          pc += ours.length;
          continue;
        }
        if (ours_ok && st.first_mismatch == SIZE_MAX) st.first_mismatch = at;
        st.length_mismatches += ours_ok;
        p = start + 1;
        --left;
        ++pc;
        continue;
      }
      ++st.instructions;
      // UD0 (0F FF /r) takes a ModRM byte (SDM vol. 2B); capstone 4 stops after 0F FF.
      if (ours_ok && std::string_view(insn->mnemonic) == "ud0" && ours.length == insn->size + 1) {
        ++st.unknown_to_capstone;
        p = start + ours.length;
        left -= 1;
        pc += 1;
        continue;
      }
      if (!ours_ok || ours.length != insn->size) {
        if (st.first_mismatch == SIZE_MAX) st.first_mismatch = at;
        ++st.length_mismatches;
      }
      const cs_x86& x = insn->detail->x86;
      bool rip = false;
      for (uint8_t k = 0; k < x.op_count; ++k)
        if (x.operands[k].type == X86_OP_MEM && x.operands[k].mem.base == X86_REG_RIP) rip = true;
      // A RIP-relative displacement is always 32 bits; capstone 4 reports 2 after a 66 prefix.
      if (rip && x.encoding.disp_offset)
        std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(at + x.encoding.disp_offset), 4, 0);
      if (cs_insn_group(h, insn.get(), CS_GRP_BRANCH_RELATIVE) && x.encoding.imm_offset)
        std::fill_n(out.begin() + static_cast<std::ptrdiff_t>(at + x.encoding.imm_offset), x.encoding.imm_size, 0);
    }
    return out;
  }
};

// Every __text of every x86_64 slice of `file`, compared with capstone.
void compare_with_capstone(const std::filesystem::path& file, size_t min_instructions) {
  auto src = FileSource::open(file.string());
  REQUIRE(src);
  Diagnostics d;
  auto ff = macho::parse_file(**src, d);
  REQUIRE(ff);
  auto all = (*src)->contiguous();
  REQUIRE(all);
  CapstoneReference cs;
  CapstoneReference::Stats st;
  size_t sections = 0;
  for (const auto& slice : ff->slices) {
    if (slice.arch != "x86_64" || !slice.image) continue;
    for (const auto& seg : slice.image->segments)
      for (const auto& s : seg.sections) {
        if (s.sectname != "__text" || s.zerofill()) continue;
        REQUIRE(range_fits(slice.offset + s.offset, s.size, all->size()));
        Bytes code = all->subspan(slice.offset + s.offset, s.size);
        auto ours = disasm::mask_x86_64(code);
        auto theirs = cs.normalise(code, s.addr, st);
        INFO(file.filename().string() << " " << s.segname << "," << s.sectname << ": " << st.length_mismatches
                                      << " length mismatches of " << st.instructions
                                      << " instructions (" << st.unknown_to_capstone
                                      << " unknown to capstone), the first mismatch at offset " << st.first_mismatch);
        CHECK(st.length_mismatches == 0);
        CHECK(st.unknown_to_capstone * 100 <= st.instructions);  // rare: newer AVX-512 and UD0 only
        CHECK((ours == theirs));
        ++sections;
      }
  }
  CHECK(sections > 0);
  CHECK(st.instructions >= min_instructions);
}

}  // namespace

TEST_CASE("x86_64 length decoder: hand-checked encodings", "[disasm][x86]") {
  // mov rax, [rip+0x10]: REX.W 8B /r, ModRM 05 = RIP-relative disp32
  auto i = decode({0x48, 0x8B, 0x05, 0x10, 0, 0, 0});
  CHECK(i.length == 7);
  CHECK(i.rip_relative);
  CHECK((i.disp_offset == 3 && i.disp_size == 4));
  // mov rax, [rbx+rcx*4+0x10]: SIB with disp8, not RIP-relative
  i = decode({0x48, 0x8B, 0x44, 0x8B, 0x10});
  CHECK((i.length == 5 && !i.rip_relative && i.disp_offset == 4 && i.disp_size == 1));
  // mov eax, [disp32] through a SIB without base (mod 00, base 101): absolute, not RIP-relative
  i = decode({0x8B, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12});
  CHECK((i.length == 7 && !i.rip_relative && i.disp_size == 4));
  // movabs rax, imm64; mov ax, imm16; mov eax, imm32
  CHECK(decode({0x48, 0xB8, 1, 2, 3, 4, 5, 6, 7, 8}).length == 10);
  CHECK(decode({0x66, 0xB8, 1, 2}).length == 4);
  // REX.W overrides 66; a REX before a legacy prefix is ignored, so 66 makes the immediate 16 bits
  CHECK(decode({0x66, 0x48, 0xB8, 1, 2, 3, 4, 5, 6, 7, 8}).length == 11);
  CHECK(decode({0x48, 0x66, 0xB8, 1, 2}).length == 5);
  CHECK(decode({0xB8, 1, 2, 3, 4}).length == 5);
  // mov eax, [moffs64]; with 67 the offset is 32 bits
  CHECK(decode({0xA1, 1, 2, 3, 4, 5, 6, 7, 8}).length == 9);
  CHECK(decode({0x67, 0xA1, 1, 2, 3, 4}).length == 6);
  // test eax, imm32 (F7 /0) vs not eax (F7 /2): the group decides the immediate
  CHECK(decode({0xF7, 0xC0, 1, 2, 3, 4}).length == 6);
  CHECK(decode({0xF7, 0xD0}).length == 2);
  CHECK(decode({0xF6, 0xC1, 0x80}).length == 3);
  // enter 0x10, 0: iw + ib
  CHECK(decode({0xC8, 0x10, 0x00, 0x00}).length == 4);
  // call rel32, jmp rel8, jne rel32, jrcxz rel8, xbegin rel32: relative branches
  for (auto b : std::vector<std::vector<uint8_t>>{{0xE8, 1, 0, 0, 0}, {0xEB, 5}, {0x0F, 0x85, 1, 0, 0, 0},
                                                  {0xE3, 4}, {0xC7, 0xF8, 1, 0, 0, 0}}) {
    i = decode(b);
    CHECK(i.length == b.size());
    CHECK(i.branch_relative);
    CHECK(i.imm_offset + i.imm_size == b.size());
  }
  // a 66 prefix does not shorten a near call's displacement in 64-bit mode
  CHECK(decode({0x66, 0xE8, 1, 0, 0, 0}).length == 6);
  // mov dword [rax], imm32 (C7 /0) is not a branch
  CHECK_FALSE(decode({0xC7, 0x00, 1, 0, 0, 0}).branch_relative);
  // endbr64, palignr xmm0, xmm1, 8 (0F 3A: imm8), pshufb (0F 38: none)
  CHECK(decode({0xF3, 0x0F, 0x1E, 0xFA}).length == 4);
  CHECK(decode({0x66, 0x0F, 0x3A, 0x0F, 0xC1, 0x08}).length == 6);
  CHECK(decode({0x66, 0x0F, 0x38, 0x00, 0xC1}).length == 5);
  // VEX: vbroadcastss ymm0, [rip+d] (C4, map 0F38); vpshufd xmm0, xmm1, 1 (C5, 0F 70 ib); vzeroupper
  i = decode({0xC4, 0xE2, 0x7D, 0x18, 0x05, 1, 0, 0, 0});
  CHECK((i.length == 9 && i.rip_relative));
  CHECK(decode({0xC5, 0xF9, 0x70, 0xC1, 0x01}).length == 5);
  CHECK(decode({0xC5, 0xF8, 0x77}).length == 3);
  // EVEX: vmovups zmm0, [rip+d]; vpternlogd zmm0, zmm1, zmm2, 0xff (map 0F3A: imm8)
  i = decode({0x62, 0xF1, 0x7C, 0x48, 0x10, 0x05, 1, 0, 0, 0});
  CHECK((i.length == 10 && i.rip_relative));
  CHECK(decode({0x62, 0xF3, 0x75, 0x48, 0x25, 0xC2, 0xFF}).length == 7);
  // invalid in 64-bit mode, truncated, and longer than 15 bytes
  CHECK(rejects({0x06}));
  CHECK(rejects({0xEA, 0, 0, 0, 0, 0, 0}));
  CHECK(rejects({0xE8, 1, 0}));
  CHECK(rejects({0x48, 0x8B}));
  CHECK(rejects(std::vector<uint8_t>(15, 0x66)));
  CHECK(rejects({0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xB8, 1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_CASE("x86_64 length decoder agrees with capstone on real macOS code (r2/cat-macos-arm64)", "[disasm][x86]") {
  UPSCOPE_REQUIRE_SAMPLE(dir, "r2");
  compare_with_capstone(dir / "cat-macos-arm64", 400);
}

TEST_CASE("x86_64 length decoder agrees with capstone on esbuild (@esbuild/darwin-x64)", "[disasm][x86][network]") {
  auto bin = upscope::test::npm_package_file("@esbuild/darwin-x64", "bin/esbuild");
  if (!bin) return;
  compare_with_capstone(*bin, 100000);
}

// Random bytes at every length up to 16, each in an exactly sized buffer: a decoded length never
// exceeds the bytes given or 15, and the fields lie inside it (ASan builds also catch any read past).
TEST_CASE("x86_64 length decoder stays inside its input on random bytes", "[disasm][x86]") {
  uint32_t state = 2463534242u;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  size_t decoded = 0;
  for (int round = 0; round < 200000; ++round) {
    const size_t n = 1 + next() % 16;
    std::vector<uint8_t> b(n);
    for (auto& x : b) x = static_cast<uint8_t>(next());
    X86Insn i;
    if (!disasm::decode_x86_64(b.data(), b.size(), i)) continue;
    ++decoded;
    REQUIRE(i.length >= 1);
    REQUIRE(i.length <= std::min<size_t>(n, 15));
    REQUIRE(i.disp_offset + i.disp_size <= i.length);
    REQUIRE(i.imm_offset + i.imm_size <= i.length);
  }
  CHECK(decoded > 100000);
}
