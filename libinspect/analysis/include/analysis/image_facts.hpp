// What the diff compares for one Mach-O image, wherever it lives (a file or fat slice, a kernel
// collection entry, a dyld cache image): the symbolic code hash, and facts grouped by change class
// (docs/diff.md §3): "code/…", "data/…" (each non-executable section, pointers replaced by what
// they point to), "signature/…" (entitlements, requirements, identity), "metadata/…" (load
// commands without addresses: versions, linked libraries, build version, segment layout). Bytes
// that differ while every fact is equal are layout noise: the diff calls that `relink`.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "disasm/address_map.hpp"
#include "disasm/symbolic.hpp"
#include "analysis/model.hpp"
#include "macho/fixups.hpp"
#include "macho/macho.hpp"

namespace upscope::build {

// How to read one image: its model, its bytes by VM address, and what its pointers point to.
struct ImageInput {
  const macho::MachO* macho = nullptr;
  std::string label;                 // fact-name prefix: the architecture ("arm64e")
  // [addr, addr+max) of the image's VM (fewer bytes at the end of a mapping; none when unmapped).
  disasm::AddressMap::ReadFn read;
  // The view the image's file offsets count from (signature blob, LINKEDIT); may be empty.
  ByteReader file;
  // Fills the map's pointer slots (binds and rebases): from macho::Fixups, or a dyld cache's slide info.
  std::function<void(disasm::AddressMap&)> add_pointers;
  // Names met outside the image (a dyld cache's other images); optional.
  std::shared_ptr<disasm::ExternalNames> external;
  // Extra function/data names (a dyld cache's local symbols); VM address -> name.
  std::vector<std::pair<uint64_t, std::string>> extra_symbols;
  std::vector<uint64_t> function_starts;  // VM addresses (the model's when empty)
  std::vector<macho::Export> exports;     // the model's when empty (dyld images carry them apart)
};

// The pointer slots of macho::Fixups that lie in the image's segments, for ImageInput::add_pointers.
void add_fixups(disasm::AddressMap& map, const macho::Fixups& fixups, const macho::MachO& image);

// An image read from file bytes: a thin file or fat slice (`file` is the slice), or a kernel
// collection entry (`file` is the collection, whose fixups `fixups` are). `m`, `file` and `fixups`
// must outlive the input.
ImageInput file_image(const macho::MachO& m, const ByteReader& file, std::string label,
                      std::shared_ptr<const macho::Fixups> fixups);

// The address map of an image: sections by kind, stubs and GOT slots named through the indirect
// symbol table, functions named by symbols and exports (unnamed ones get a stable identity: the
// nearest named function before them and their rank after it), data symbols, pointer slots.
disasm::AddressMap address_map(const ImageInput& in);

struct ImageFacts {
  std::string code_hash;                       // symbolic, over every executable section (XXH3-128)
  std::map<std::string, std::string> facts;    // "<class>/<label> <what>" -> value
  std::map<std::string, std::string> functions;  // identity -> function hash (when asked)
};

// Everything above for one image. `functions`: also hash each function.
ImageFacts image_facts(const ImageInput& in, bool functions);

// The drill-down of a changed image: every function with its per-instruction tokens and what it
// calls and references, and each compared section's bytes (for counting changed bytes).
ComponentDetail image_detail(const ImageInput& in);

// Entitlements of a code signature as key -> canonical value (XML blob, else DER blob); empty when
// there are none. `sig` is the LC_CODE_SIGNATURE data.
std::map<std::string, std::string> entitlements(const macho::CodeSignature& cs, const ByteReader& sig);

}  // namespace upscope::build
