// Where an image's pointers are and what they point to: the fixups dyld (or the kernel linker)
// applies, decoded from chained fixups, the dyld-info rebase/bind opcodes, or classic relocations
// (docs/formats/macho-fixups.md). The symbolic diff (docs/diff.md) replaces each pointer by what it
// points to, so a pointer that only moved with its target is noise and a pointer to another
// function is a change.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "macho/macho.hpp"

namespace upscope::macho {

struct Fixup {
  static constexpr uint32_t kRebase = UINT32_MAX;
  uint64_t address = 0;       // VM address of the pointer (or of a rel32 code operand when pcrel)
  uint64_t target = 0;        // rebase: unslid VM address it points to (tag and PAC bits dropped)
  uint32_t import = kRebase;  // bind: index into Fixups::imports
  int64_t addend = 0;         // bind: added to the import's address
  uint8_t size = 8;           // bytes the fixup rewrites at `address`
  bool pcrel = false;         // a PC-relative code operand (x86-64 kext relocations)
};

struct Fixups {
  std::vector<Fixup> items;          // sorted by address, unique
  std::vector<std::string> imports;  // bind targets by name
  std::string source;                // "chained fixups (format 2)", "dyld info opcodes", "relocations", ""
  // The fixup at exactly `address`, or null.
  const Fixup* at(uint64_t address) const;
  // The first fixup at or after `address`.
  std::vector<Fixup>::const_iterator lower_bound(uint64_t address) const;
};

// Decodes every fixup of `m` whose bytes live in `file` (the view its file offsets count from, see
// ParseOptions::offsets_base). `base_vmaddr` is what offset-style targets count from: the image's
// own __TEXT address, or the kernel collection's for the fixups of a fileset. Problems go to
// `diags`; what could be read is returned. At most `max_fixups` are kept (the caller's memory cap).
Fixups read_fixups(const MachO& m, const ByteReader& file, uint64_t base_vmaddr, Diagnostics& diags,
                   uint64_t max_fixups = 64'000'000);

}  // namespace upscope::macho
