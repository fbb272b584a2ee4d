#include "disasm/normalize.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>

#include "disasm/x86_decode.hpp"
#include "inspect/hash.hpp"
#include "inspect/sha256_lanes.hpp"
#include "inspect/text.hpp"

namespace upscope::disasm {

namespace {

// One word: ADR/ADRP immediates (immlo, immhi) and B/BL imm26 cleared. The two classes are disjoint
// (bit 26 is 0 in one, 1 in the other), so both masks can be applied without a branch.
inline uint32_t mask_arm64_word(uint32_t w) {
  const uint32_t adr = (w & 0x1f000000u) == 0x10000000u ? 0x60ffffe0u : 0u;
  const uint32_t b = (w & 0x7c000000u) == 0x14000000u ? 0x03ffffffu : 0u;
  return w & ~(adr | b);
}

// Copies `src` to `dst` (which may be `src`) with every word masked; returns how many changed. Runs
// over blocks of 16 words with no branches, which the compiler vectorises at -O2: this is the code
// hash's inner loop over gigabytes of dyld cache text.
uint64_t mask_arm64_copy(Bytes src, uint8_t* dst) {
  constexpr size_t kBlock = 16;
  const size_t words = src.size() / 4;
  uint64_t changed = 0;
  size_t i = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; i + kBlock <= words; i += kBlock) {
      uint32_t w[kBlock];
      std::memcpy(w, src.data() + 4 * i, sizeof w);
      uint32_t n = 0;
      for (size_t k = 0; k < kBlock; ++k) {
        const uint32_t m = mask_arm64_word(w[k]);
        n += m != w[k];
        w[k] = m;
      }
      changed += n;
      std::memcpy(dst + 4 * i, w, sizeof w);
    }
  }
  for (; i < words; ++i) {
    const uint32_t w = load_u32le(src.data() + 4 * i);
    const uint32_t m = mask_arm64_word(w);
    changed += m != w;
    for (int k = 0; k < 4; ++k) dst[4 * i + k] = uint8_t(m >> (8 * k));
  }
  // A trailing partial word is data, kept verbatim.
  if (src.size() % 4) std::memmove(dst + 4 * words, src.data() + 4 * words, src.size() % 4);
  return changed;
}

}  // namespace

uint64_t mask_arm64_image_relative(std::span<uint8_t> code) { return mask_arm64_copy(code, code.data()); }

uint64_t hash_code(Hasher& h, Bytes code, bool arm64, std::vector<uint8_t>& buf, const PieceEdit& edit) {
  if (!arm64 && !edit) {
    h.update(code);
    return 0;
  }
  constexpr size_t kPiece = 64 * 1024;
  uint64_t masked = 0;
  for (size_t at = 0; at < code.size(); at += kPiece) {
    const Bytes piece = code.subspan(at, std::min(kPiece, code.size() - at));
    if (edit) {
      buf.assign(piece.begin(), piece.end());
      edit(buf, at);
      if (arm64) masked += mask_arm64_image_relative(buf);
    } else {
      buf.resize(piece.size());
      masked += mask_arm64_copy(piece, buf.data());  // copy and mask in one pass
    }
    h.update(buf);
  }
  return masked;
}

std::vector<CodeImageHash> code_hashes(std::span<const CodeImage> images) {
  constexpr size_t kPiece = 64 * 1024;  // as hash_code: edited and masked a piece at a time, word-aligned
  std::vector<CodeImageHash> out(images.size());
  auto edit_of = [](const CodeImage& img, size_t k) -> const PieceEdit* {
    return k < img.edits.size() && img.edits[k] ? &img.edits[k] : nullptr;
  };
  std::vector<size_t> side_by_side;
  for (size_t i = 0; i < images.size(); ++i) {
    const CodeImage& img = images[i];
    if (img.arch != Arch::kX86_64 && sha256_lanes::available()) {
      side_by_side.push_back(i);
      continue;
    }
    Hasher h(HashKind::kSha256);
    std::vector<uint8_t> buf;
    for (size_t k = 0; k < img.sections.size(); ++k) {
      const PieceEdit* edit = edit_of(img, k);
      if (img.arch != Arch::kX86_64) {
        out[i].masked += hash_code(h, img.sections[k], img.arch == Arch::kArm64, buf, edit ? *edit : PieceEdit());
      } else if (edit) {  // decoded whole: instruction boundaries do not respect pieces
        buf.assign(img.sections[k].begin(), img.sections[k].end());
        (*edit)(buf, 0);
        out[i].masked += hash_code_x86_64(h, buf);
      } else {
        out[i].masked += hash_code_x86_64(h, img.sections[k]);
      }
    }
    out[i].sha256 = h.hex_digest();
  }
  struct Cursor {
    size_t section = 0, at = 0;
    std::vector<uint8_t> buf;
  };
  std::vector<Cursor> cur(side_by_side.size());
  sha256_lanes::hash_many(
      side_by_side.size(),
      [&](size_t n) -> Result<Bytes> {
        const size_t i = side_by_side[n];
        const CodeImage& img = images[i];
        Cursor& c = cur[n];
        while (c.section < img.sections.size() && c.at >= img.sections[c.section].size()) c.section++, c.at = 0;
        if (c.section == img.sections.size()) return Bytes();
        const Bytes code = img.sections[c.section];
        const Bytes piece = code.subspan(c.at, std::min(kPiece, code.size() - c.at));
        const size_t at = c.at;
        c.at += piece.size();
        const bool arm64 = img.arch == Arch::kArm64;
        if (const PieceEdit* edit = edit_of(img, c.section)) {
          c.buf.assign(piece.begin(), piece.end());
          (*edit)(c.buf, at);
          if (arm64) out[i].masked += mask_arm64_image_relative(c.buf);
          return Bytes(c.buf);
        }
        if (!arm64) return piece;
        c.buf.resize(piece.size());
        out[i].masked += mask_arm64_copy(piece, c.buf.data());
        return Bytes(c.buf);
      },
      [&](size_t n, Result<sha256_lanes::Digest> d) {
        // The pieces come from memory and never fail.
        if (d) out[side_by_side[n]].sha256 = to_hex(Bytes(d->data(), d->size()));
      });
  return out;
}

namespace {

// x86-64 needs instruction lengths: our length decoder (x86_decode.hpp) gives each instruction's
// layout, so RIP-relative displacements and relative branch targets are zeroed and everything else
// is kept. Bytes that do not decode are kept one at a time and decoding resumes at the next byte.
// Returns how many instructions had an operand masked.
uint64_t normalise_x86_64(Bytes code, std::vector<uint8_t>& out) {
  const size_t base = out.size();
  out.insert(out.end(), code.begin(), code.end());
  uint8_t* dst = out.data() + base;
  uint64_t masked = 0;
  X86Insn insn;
  for (size_t i = 0; i < code.size();) {
    if (!decode_x86_64(code.data() + i, code.size() - i, insn)) {
      ++i;
      continue;
    }
    bool changed = false;
    if (insn.rip_relative && insn.disp_size) {
      std::memset(dst + i + insn.disp_offset, 0, insn.disp_size);
      changed = true;
    }
    if (insn.branch_relative && insn.imm_size) {
      std::memset(dst + i + insn.imm_offset, 0, insn.imm_size);
      changed = true;
    }
    masked += changed;
    i += insn.length;
  }
  return masked;
}

}  // namespace

std::vector<uint8_t> mask_x86_64(Bytes code) {
  std::vector<uint8_t> out;
  out.reserve(code.size());
  normalise_x86_64(code, out);
  return out;
}

uint64_t hash_code_x86_64(Hasher& h, Bytes code) {
  std::vector<uint8_t> norm;
  norm.reserve(code.size());
  const uint64_t masked = normalise_x86_64(code, norm);
  h.update(norm);
  return masked;
}

}  // namespace upscope::disasm
