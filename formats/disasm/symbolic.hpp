// Symbolic normalisation (docs/diff.md §2). Each instruction is kept as it is unless it encodes
// where something ended up: a call or branch out of its function, an ADR/ADRP pair, a literal load,
// an x86-64 rel32 or RIP-relative operand. Those operands are cleared and replaced by a token for
// what they refer to (AddressMap::resolve): an import, a function, a symbol, a string literal's
// bytes, a section offset. A function that only moved keeps its hash; one that now calls
// _strlcpy instead of _strcpy, or passes another string, does not. Data sections get the same
// treatment at their pointer slots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "disasm/address_map.hpp"
#include "disasm/normalize.hpp"

namespace upscope::disasm {

struct CodeSection {
  uint64_t addr = 0;
  Bytes bytes;
};

struct FunctionCode {
  uint64_t addr = 0;
  uint32_t identity = AddressMap::kNoName, display = AddressMap::kNoName;
  std::string hash;                 // hex XXH3-128 of the function's normalised stream
  uint32_t instructions = 0;
  std::vector<uint64_t> tokens;     // kFull: one per instruction (word, with what it refers to)
  std::vector<std::string> calls;   // kFull: what it calls (sorted, unique)
  std::vector<std::string> refs;    // kFull: what else it references (strings, data, functions)
};

struct ImageCode {
  // hex XXH3-128 of every code section's normalised stream, in order. Not a cryptographic hash: it
  // classifies a change the content hashes (SHA-256) already found, it never decides one.
  std::string hash;
  uint64_t bytes = 0;               // code bytes read
  uint64_t references = 0;          // operands replaced by what they refer to
  std::vector<FunctionCode> functions;
};

enum class CodeDetail { kImage, kFunctions, kFull };

// Normalises `sections` (an image's executable sections, in load-command order) with `map`
// (finished). kFunctions also hashes each function of map.functions(); kFull keeps per-instruction
// tokens and the described calls and references of each function.
ImageCode normalise_code(AddressMap& map, Arch arch, const std::vector<CodeSection>& sections, CodeDetail detail);

// A non-executable section's bytes with every pointer slot (AddressMap::slots_in) replaced by what
// it points to: hex XXH3-128 (as ImageCode::hash). `pointer_size` bytes are replaced per slot.
std::string normalise_data(AddressMap& map, uint64_t addr, Bytes bytes, unsigned pointer_size);

}  // namespace upscope::disasm
