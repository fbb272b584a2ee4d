// Symbolic normalisation (docs/diff.md §2): moved code hashes the same, code that calls or references
// something else does not; and the whole-image masking of the listings' code hash.
#include <catch2/catch.hpp>

#include <vector>

#include "disasm/address_map.hpp"
#include "disasm/normalize.hpp"
#include "disasm/symbolic.hpp"

using namespace upscope;
using disasm::Arch;

namespace {
std::vector<uint8_t> words(std::initializer_list<uint32_t> ws) {
  std::vector<uint8_t> out;
  for (uint32_t w : ws) out.insert(out.end(), {uint8_t(w), uint8_t(w >> 8), uint8_t(w >> 16), uint8_t(w >> 24)});
  return out;
}

// A hand-built image for the symbolic normaliser: one code section at `text` holding _f (the code
// under test) and _g, _h after it; a C-string section at `strings`; a GOT slot bound to `got_import`.
struct Image {
  uint64_t text = 0x1000, strings = 0x8000, got = 0xC000;
  std::vector<uint8_t> code;  // _f
  std::string cstrings = std::string("hello\0other\0", 12);
  std::string got_import = "_strcpy";
  Arch arch = Arch::kArm64;
};

// The normalised hash of _f in `img`.
std::string fn_hash(const Image& img, std::vector<std::string>* calls = nullptr, std::vector<std::string>* refs = nullptr) {
  std::vector<uint8_t> text = img.code;
  text.resize(0x100, 0);  // _g at +0x80, _h at +0xC0
  disasm::AddressMap map;
  const uint64_t fn_g = img.text + 0x80, fn_h = img.text + 0xC0;
  const std::string strings = img.cstrings;
  map.set_reader([&](uint64_t a, uint64_t max) -> Bytes {
    if (a >= img.text && a < img.text + text.size())
      return Bytes(text.data() + (a - img.text), std::min<uint64_t>(max, text.size() - (a - img.text)));
    if (a >= img.strings && a < img.strings + strings.size())
      return Bytes(reinterpret_cast<const uint8_t*>(strings.data()) + (a - img.strings),
                   std::min<uint64_t>(max, strings.size() - (a - img.strings)));
    return Bytes();
  });
  map.add_section(img.text, text.size(), "__TEXT,__text", disasm::SectionKind::kCode);
  map.add_section(img.strings, strings.size(), "__TEXT,__cstring", disasm::SectionKind::kCString);
  map.add_section(img.got, 8, "__DATA_CONST,__got", disasm::SectionKind::kPointers, 8, {map.intern(img.got_import)});
  map.add_function(img.text, "_f", "_f");
  map.add_function(fn_g, "_g", "_g");
  map.add_function(fn_h, "_h", "_h");
  map.finish();
  auto out = disasm::normalise_code(map, img.arch, {{img.text, Bytes(text)}}, disasm::CodeDetail::kFull);
  REQUIRE(out.functions.size() == 3);
  if (calls) *calls = out.functions[0].calls;
  if (refs) *refs = out.functions[0].refs;
  return out.functions[0].hash;
}

// arm64 encoders (Arm ARM): BL, B.cond, ADRP, ADD (immediate), LDR (unsigned offset, 64-bit).
uint32_t bl(uint64_t pc, uint64_t to) { return 0x94000000 | (uint32_t((int64_t(to) - int64_t(pc)) / 4) & 0x3FFFFFF); }
uint32_t adrp(unsigned rd, uint64_t pc, uint64_t to) {
  const int64_t pages = (int64_t(to & ~0xFFFull) - int64_t(pc & ~0xFFFull)) / 4096;
  return 0x90000000 | (uint32_t(pages & 3) << 29) | (uint32_t((pages >> 2) & 0x7FFFF) << 5) | rd;
}
uint32_t add(unsigned rd, unsigned rn, uint32_t imm) { return 0x91000000 | ((imm & 0xFFF) << 10) | (rn << 5) | rd; }
uint32_t ldr(unsigned rt, unsigned rn, uint32_t off) { return 0xF9400000 | (((off / 8) & 0xFFF) << 10) | (rn << 5) | rt; }
}  // namespace

TEST_CASE("arm64: calls and references are named by what they reach, not where", "[disasm][symbolic]") {
  // _f: bl _g; adrp x0, "hello"; add x0, x0, lo12; ret
  auto f = [](const Image& img, uint64_t callee, uint64_t str) {
    const uint64_t t = img.text;
    return words({bl(t, callee), adrp(0, t + 4, str), add(0, 0, uint32_t(str & 0xFFF)), 0xD65F03C0});
  };
  Image a;
  a.code = f(a, a.text + 0x80, a.strings);
  // The whole image moved: other addresses, other immediates, the same calls and strings.
  Image moved = a;
  moved.text = 0x51000;
  moved.strings = 0x94000;
  moved.got = 0x98000;
  moved.code = f(moved, moved.text + 0x80, moved.strings);
  REQUIRE(moved.code != a.code);
  std::vector<std::string> calls, refs;
  CHECK(fn_hash(a, &calls, &refs) == fn_hash(moved));
  CHECK(calls == std::vector<std::string>{"_g"});
  CHECK(refs == std::vector<std::string>{"\"hello\""});
  // A call to another function, or another string passed, is a change.
  Image other_call = a;
  other_call.code = f(a, a.text + 0xC0, a.strings);
  CHECK(fn_hash(other_call, &calls) != fn_hash(a));
  CHECK(calls == std::vector<std::string>{"_h"});
  Image other_string = a;
  other_string.code = f(a, a.text + 0x80, a.strings + 6);
  CHECK(fn_hash(other_string, nullptr, &refs) != fn_hash(a));
  CHECK(refs == std::vector<std::string>{"\"other\""});
  // The same string address with other bytes in it: a change too (the literal is its bytes).
  Image other_text = a;
  other_text.cstrings[1] = 'E';
  CHECK(fn_hash(other_text) != fn_hash(a));
}

TEST_CASE("arm64: a load from a GOT slot is named by its import, local branches keep their layout",
          "[disasm][symbolic]") {
  auto f = [](const Image& img) {
    const uint64_t t = img.text;
    return words({adrp(16, t, img.got), ldr(16, 16, uint32_t(img.got & 0xFFF)), 0xD61F0200});  // br x16
  };
  Image a;
  a.code = f(a);
  Image b = a;
  b.got_import = "_strlcpy";
  std::vector<std::string> refs;
  CHECK(fn_hash(a, nullptr, &refs) != fn_hash(b));
  CHECK(refs == std::vector<std::string>{"_strcpy"});
  // b.eq +8 vs b.eq +12 inside _f: another place in the same function, so another function.
  Image c = a, d = a;
  c.code = words({0x54000040, 0xD503201F, 0xD503201F, 0xD65F03C0});
  d.code = words({0x54000060, 0xD503201F, 0xD503201F, 0xD65F03C0});
  CHECK(fn_hash(c) != fn_hash(d));
  // b.ne is not b.eq; add x0, x1, #1 is not #2 (no ADRP in sight: a constant)
  Image e = c;
  e.code[0] = 0x41;
  CHECK(fn_hash(e) != fn_hash(c));
  Image k1 = a, k2 = a;
  k1.code = words({0x91000420});
  k2.code = words({0x91000820});
  CHECK(fn_hash(k1) != fn_hash(k2));
  // Once x8 is overwritten by a mov, its page offsets are constants again.
  Image m1 = a, m2 = a;
  m1.code = words({adrp(8, a.text, a.strings), 0xAA0103E8, add(8, 8, 0x10)});
  m2.code = words({adrp(8, a.text, a.strings), 0xAA0103E8, add(8, 8, 0x20)});
  CHECK(fn_hash(m1) != fn_hash(m2));
  // PAC and LSE words are kept as they are.
  Image p1 = a, p2 = a;
  p1.code = words({0xD503237F, 0xD65F0BFF});
  p2.code = words({0xD503237F, 0xD65F0FFF});
  CHECK(fn_hash(p1) != fn_hash(p2));
}

TEST_CASE("x86_64: rel32 calls and RIP-relative operands are named by what they reach", "[disasm][symbolic]") {
  auto rel = [](uint8_t op, uint64_t pc, uint64_t len, uint64_t to) {
    const int32_t d = int32_t(int64_t(to) - int64_t(pc + len));
    return std::vector<uint8_t>{op, uint8_t(d), uint8_t(d >> 8), uint8_t(d >> 16), uint8_t(d >> 24)};
  };
  auto f = [&](const Image& img, uint64_t callee, uint64_t str) {
    std::vector<uint8_t> code = rel(0xE8, img.text, 5, callee);                     // call _g
    const int32_t d = int32_t(int64_t(str) - int64_t(img.text + 12));
    std::vector<uint8_t> lea = {0x48, 0x8D, 0x3D, uint8_t(d), uint8_t(d >> 8), uint8_t(d >> 16), uint8_t(d >> 24)};
    code.insert(code.end(), lea.begin(), lea.end());                                 // lea rdi, [rip+str]
    code.push_back(0xC3);
    return code;
  };
  Image a;
  a.arch = Arch::kX86_64;
  a.code = f(a, a.text + 0x80, a.strings);
  Image moved = a;
  moved.text = 0x71000;
  moved.strings = 0x94010;
  moved.code = f(moved, moved.text + 0x80, moved.strings);
  REQUIRE(moved.code != a.code);
  std::vector<std::string> calls, refs;
  CHECK(fn_hash(a, &calls, &refs) == fn_hash(moved));
  CHECK(calls == std::vector<std::string>{"_g"});
  CHECK(refs == std::vector<std::string>{"\"hello\""});
  Image other = a;
  other.code = f(a, a.text + 0xC0, a.strings);
  CHECK(fn_hash(other) != fn_hash(a));
  // A displacement that is not RIP-relative is a constant: lea rax, [rbx+0x10] vs +0x20.
  Image c1 = a, c2 = a;
  c1.code = {0x48, 0x8D, 0x43, 0x10, 0xC3};
  c2.code = {0x48, 0x8D, 0x43, 0x20, 0xC3};
  CHECK(fn_hash(c1) != fn_hash(c2));
  // Undecodable bytes do not lose the stream.
  Image u = a;
  u.code = {0x0F, 0x0B, 0xC3};
  CHECK(!fn_hash(u).empty());
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
