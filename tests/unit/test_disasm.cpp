// Function-level normalisation: moved code hashes the same, changed code does not.
#include <catch2/catch.hpp>

#include <vector>

#include "disasm/normalize.hpp"

using namespace upscope;
using disasm::Arch;

namespace {
std::vector<uint8_t> words(std::initializer_list<uint32_t> ws) {
  std::vector<uint8_t> out;
  for (uint32_t w : ws) out.insert(out.end(), {uint8_t(w), uint8_t(w >> 8), uint8_t(w >> 16), uint8_t(w >> 24)});
  return out;
}
std::string h(Arch a, const std::vector<uint8_t>& code) {
  return disasm::function_hash(a, Bytes(code));
}
}  // namespace

TEST_CASE("arm64: relocated branch and address operands are masked", "[disasm]") {
  // Encodings hand-assembled from the Arm ARM: bl #0x100 = 0x94000040, bl #0x200 = 0x94000080;
  // b.eq #8 = 0x54000040 vs #16 = 0x54000080; cbz x0 = 0xB4000040 vs 0xB4000080;
  // adrp x8, page = 0x90000008 | immhi/immlo; add x8, x8, #0x10 = 0x91004108, #0x20 = 0x91008108.
  CHECK(h(Arch::kArm64, words({0x94000040, 0xD65F03C0})) == h(Arch::kArm64, words({0x94000080, 0xD65F03C0})));
  CHECK(h(Arch::kArm64, words({0x54000040})) == h(Arch::kArm64, words({0x54000080})));
  CHECK(h(Arch::kArm64, words({0x54000040})) != h(Arch::kArm64, words({0x54000041})));  // b.ne is not b.eq
  CHECK(h(Arch::kArm64, words({0xB4000040})) == h(Arch::kArm64, words({0xB4000080})));
  CHECK(h(Arch::kArm64, words({0x90000008, 0x91004108})) == h(Arch::kArm64, words({0xB0000008, 0x91008108})));
  // ldr x0, [x8, #8] after adrp x8 (page offset) vs a plain ldr from another base: only the first masked
  CHECK(h(Arch::kArm64, words({0x90000008, 0xF9400500})) == h(Arch::kArm64, words({0x90000008, 0xF9400900})));
  CHECK(h(Arch::kArm64, words({0xF9400520})) != h(Arch::kArm64, words({0xF9400920})));
  // add x0, x1, #1 vs #2 with no ADRP in sight: a real change
  CHECK(h(Arch::kArm64, words({0x91000420})) != h(Arch::kArm64, words({0x91000820})));
  // once x8 is overwritten by a mov, its page offsets are constants again
  CHECK(h(Arch::kArm64, words({0x90000008, 0xAA0103E8, 0x91004108})) !=
        h(Arch::kArm64, words({0x90000008, 0xAA0103E8, 0x91008108})));
  // PAC (retaa, pacibsp) and LSE (ldaddal) words that capstone 4 cannot decode are hashed as they are
  CHECK(h(Arch::kArm64, words({0xD503237F, 0xD65F0BFF})) != h(Arch::kArm64, words({0xD503237F, 0xD65F0FFF})));
  CHECK(disasm::normalise(Arch::kArm64, Bytes(words({0xF8E10002}))) == words({0xF8E10002}));
}

TEST_CASE("x86_64: rel32 targets and RIP-relative displacements are masked", "[disasm]") {
  // call rel32 (e8), jmp rel8 (eb), lea rax,[rip+disp32] (48 8d 05), mov eax, imm32 (b8)
  std::vector<uint8_t> call_a = {0xE8, 0x10, 0x00, 0x00, 0x00, 0xC3};
  std::vector<uint8_t> call_b = {0xE8, 0x40, 0x01, 0x00, 0x00, 0xC3};
  CHECK(h(Arch::kX86_64, call_a) == h(Arch::kX86_64, call_b));
  CHECK(h(Arch::kX86_64, {0xEB, 0x05, 0xC3}) == h(Arch::kX86_64, {0xEB, 0x07, 0xC3}));
  CHECK(h(Arch::kX86_64, {0x48, 0x8D, 0x05, 0x10, 0, 0, 0}) == h(Arch::kX86_64, {0x48, 0x8D, 0x05, 0x80, 1, 0, 0}));
  CHECK(h(Arch::kX86_64, {0xB8, 1, 0, 0, 0}) != h(Arch::kX86_64, {0xB8, 2, 0, 0, 0}));
  // lea rax, [rbx+0x10] is not RIP-relative: its displacement is a real constant
  CHECK(h(Arch::kX86_64, {0x48, 0x8D, 0x43, 0x10}) != h(Arch::kX86_64, {0x48, 0x8D, 0x43, 0x20}));
  // undecodable bytes do not lose the stream
  CHECK(disasm::normalise(Arch::kX86_64, Bytes(std::vector<uint8_t>{0x0F, 0x0B})).size() == 2);
}

TEST_CASE("hash_functions keys functions by name", "[disasm]") {
  auto a = words({0x94000040});
  auto b = words({0x91000420});
  auto m = disasm::hash_functions(Arch::kArm64, {{"_f", 0x1000, Bytes(a)}, {"_g", 0x1004, Bytes(b)}});
  REQUIRE(m.size() == 2);
  CHECK(m["_f"] == h(Arch::kArm64, a));
}

// The code hash's word masking runs in blocks the compiler vectorises; check it word by word against
// the rule written out plainly, on sizes that leave partial blocks and a partial trailing word.
TEST_CASE("arm64 image-relative masking equals the per-word rule at every length", "[disasm]") {
  uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525u + 1013904223u; };
  for (size_t size : {0u, 3u, 4u, 60u, 63u, 64u, 65u, 68u, 1000u, 4099u}) {
    std::vector<uint8_t> code(size);
    for (auto& b : code) b = uint8_t(next() >> 24);
    // Make sure both classes occur: an ADRP and a BL in the first words when there is room.
    if (size >= 8) {
      code[3] = 0x90;  // adrp x0, ...
      code[7] = 0x94;  // bl ...
    }
    std::vector<uint8_t> expect = code;
    uint64_t changes = 0;
    for (size_t i = 0; i + 4 <= size; i += 4) {
      uint32_t w = uint32_t(expect[i]) | uint32_t(expect[i + 1]) << 8 | uint32_t(expect[i + 2]) << 16 |
                   uint32_t(expect[i + 3]) << 24;
      const uint32_t o = w;
      if ((w & 0x1f000000) == 0x10000000) w &= 0x9f00001f;
      else if ((w & 0x7c000000) == 0x14000000) w &= 0xfc000000;
      if (w != o) ++changes;
      for (int k = 0; k < 4; ++k) expect[i + k] = uint8_t(w >> (8 * k));
    }
    INFO("size " << size);
    CHECK(upscope::disasm::mask_arm64_image_relative(code) == changes);
    CHECK(code == expect);
    if (size >= 8) CHECK(changes >= 2);
  }
}

TEST_CASE("code_hashes equals hash_code image by image, whatever the batch", "[disasm]") {
  // Sections of odd sizes (a trailing partial word, pieces past 64 KiB), empty images, every arch.
  std::vector<std::vector<uint8_t>> blobs;
  uint32_t x = 99;
  for (size_t n : {0u, 3u, 4u, 1000u, 65536u, 65539u, 200001u, 7u, 131072u, 12u}) {
    std::vector<uint8_t> b(n);
    for (auto& v : b) v = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
    blobs.push_back(std::move(b));
  }
  std::vector<disasm::CodeImage> images;
  for (size_t i = 0; i < 40; ++i) {
    disasm::CodeImage img;
    img.arch = i % 5 == 0 ? disasm::Arch::kX86_64 : i % 5 == 1 ? disasm::Arch::kOther : disasm::Arch::kArm64;
    for (size_t k = 0; k < i % 4; ++k) img.sections.push_back(Bytes(blobs[(i + 3 * k) % blobs.size()]));
    // Every other image edits its sections the way dyld caches zero slid pointers: here every byte
    // whose offset in the section is a multiple of 8 (so the edit depends on where each piece sits).
    if (i % 2)
      for (size_t k = 0; k < img.sections.size(); ++k)
        img.edits.push_back([](std::vector<uint8_t>& piece, size_t at) {
          for (size_t j = (8 - at % 8) % 8; j < piece.size(); j += 8) piece[j] = 0;
        });
    images.push_back(std::move(img));
  }
  auto got = disasm::code_hashes(images);
  REQUIRE(got.size() == images.size());
  for (size_t i = 0; i < images.size(); ++i) {
    Hasher h(HashKind::kSha256);
    std::vector<uint8_t> buf;
    uint64_t masked = 0;
    for (size_t k = 0; k < images[i].sections.size(); ++k) {
      const Bytes code = images[i].sections[k];
      const disasm::PieceEdit edit = k < images[i].edits.size() ? images[i].edits[k] : disasm::PieceEdit();
      if (images[i].arch == disasm::Arch::kX86_64) {
        std::vector<uint8_t> whole(code.begin(), code.end());
        if (edit) edit(whole, 0);
        masked += disasm::hash_code_x86_64(h, whole);
      } else {
        masked += disasm::hash_code(h, code, images[i].arch == disasm::Arch::kArm64, buf, edit);
      }
    }
    INFO("image " << i);
    CHECK(got[i].sha256 == h.hex_digest());
    CHECK(got[i].masked == masked);
  }
  CHECK(disasm::code_hashes({}).empty());
}
