// The listings' code hash (`ls`, `dsc images`, `inspect`): an image's executable sections with the
// operands that only encode where things ended up (arm64 B/BL and ADR/ADRP immediates, x86-64
// relative branch targets and RIP-relative displacements) masked, so a kext or dyld image that
// merely moved keeps its hash. Fast and layout-blind; the diff's code hash is symbolic instead
// (symbolic.hpp): it names what each call and reference reaches.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/hash.hpp"

namespace upscope::disasm {

enum class Arch { kArm64, kX86_64, kOther };

// Image-level masking for whole-image code hashes (Mach-O, kext, dyld-cache image), in place: the
// immediates of arm64 ADR/ADRP (immhi:immlo) and B/BL (imm26) are zeroed, keeping opcode and Rd.
// Those are what changes when a linker or the cache builder moves an image by whole pages; branches
// inside a function and page offsets (lo12) do not. Returns how many words were changed.
uint64_t mask_arm64_image_relative(std::span<uint8_t> code);

// Feeds `code` to `h` as an image code hash sees it: when `arm64` or `edit` asks for changes, a
// cache-sized piece at a time (64 KiB, a multiple of 4 so words stay aligned) is copied into `buf`,
// edited by `edit(piece, offset in code)` (dyld caches zero slid pointers), masked by
// mask_arm64_image_relative when `arm64`, and hashed while hot; otherwise hashed as it is.
// Returns how many words the masking changed.
using PieceEdit = std::function<void(std::vector<uint8_t>& piece, size_t offset)>;
uint64_t hash_code(Hasher& h, Bytes code, bool arm64, std::vector<uint8_t>& buf, const PieceEdit& edit = {});

// The x86-64 counterpart of hash_code: `code` (a whole section: instruction boundaries do not respect
// pieces) is decoded, the rel32/rel8 targets of relative branches and calls and every RIP-relative
// displacement zeroed (what a move of the image changes; see normalise), and fed to `h`. Bytes the
// length decoder (x86_decode.hpp) rejects are kept and decoding resumes at the next byte. Returns
// how many instructions had an operand masked.
uint64_t hash_code_x86_64(Hasher& h, Bytes code);
// The masked byte stream hash_code_x86_64 hashes (exposed for the test against capstone).
std::vector<uint8_t> mask_x86_64(Bytes code);

// Several images' code hashes at once, each the hex SHA-256 that hash_code (arm64: masked; kOther: as
// it is) or hash_code_x86_64 gives over its sections in order, with edits[k] (when given) applied to
// section k first as hash_code applies `edit` (x86-64: to the whole section, at offset 0). Images other
// than x86-64 run side by side in SHA-256 lanes where the CPU has them (inspect/sha256_lanes.hpp).
struct CodeImage {
  Arch arch = Arch::kOther;
  std::vector<Bytes> sections;
  std::vector<PieceEdit> edits;  // empty, or one per section (an empty function: no edit)
};
struct CodeImageHash {
  std::string sha256;
  uint64_t masked = 0;  // words (arm64) or instructions (x86-64) whose operands were masked
};
std::vector<CodeImageHash> code_hashes(std::span<const CodeImage> images);

}  // namespace upscope::disasm
