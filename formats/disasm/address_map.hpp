// What each address of one image refers to, for symbolic code and data normalisation
// (docs/diff.md §2): a call or a pointer is replaced by what it points to (an import through its
// stub, GOT slot or bind; a function; a symbol; a string literal by its bytes; a section offset), so
// code that only moved normalises to the same bytes and a call to another function does not.
// Filled by the container's reader (libinspect/analysis): thin Mach-O, kernel-collection entry, dyld image.
// Not thread-safe: one image is normalised by one thread (names met outside the image are interned).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inspect/byte_reader.hpp"

namespace upscope::disasm {

// The low `bits` bits of v as a two's-complement number (arm64 immediates).
inline int64_t sign_extend(uint64_t v, unsigned bits) {
  const uint64_t m = uint64_t{1} << (bits - 1);
  v &= (uint64_t{1} << bits) - 1;
  return static_cast<int64_t>((v ^ m) - m);
}

enum class RefKind : uint8_t { kNone, kImport, kFunction, kSymbol, kString, kSection, kExternal, kUnmapped };

struct Ref {
  RefKind kind = RefKind::kNone;
  uint32_t name = 0;     // AddressMap name index (import, function identity, symbol, section, external)
  int64_t offset = 0;    // from the start of what `name` names; an import's addend
  uint64_t string = 0;   // kString: XXH3 of the string's bytes; kExternal: ExternalNames::key
  uint64_t address = 0;  // the address resolved (for describing a string; never part of the token)
};

enum class SectionKind : uint8_t { kCode, kStubs, kPointers, kCString, kData };

// Names addresses outside the image (a dyld cache's other images). key() runs for every such
// reference of every image, so it hands back a number, not a string; describe() is for people.
class ExternalNames {
 public:
  virtual ~ExternalNames() = default;
  // A stable key for what `address` reaches (say, a hash of the export there), or nullopt.
  virtual std::optional<uint64_t> key(uint64_t address) = 0;
  virtual std::string describe(uint64_t address) = 0;
};

class AddressMap {
 public:
  static constexpr uint32_t kNoName = UINT32_MAX;

  // The image's bytes at a VM address (up to `max`; fewer at the end of a mapping, none outside).
  using ReadFn = std::function<Bytes(uint64_t address, uint64_t max)>;

  uint32_t intern(std::string_view name);
  const std::string& name(uint32_t index) const { return names_[index]; }
  uint64_t name_hash(uint32_t index) const { return hashes_[index]; }

  // `entry_names` (stubs, pointer sections): the import each entry of `entry_size` bytes stands for
  // (kNoName when unknown: stubs are then followed to their slot, slots to their pointer).
  void add_section(uint64_t addr, uint64_t size, std::string_view name, SectionKind kind, uint32_t entry_size = 0,
                   std::vector<uint32_t> entry_names = {});
  // A function start with its stable identity (a symbol name, or an unnamed function's place among
  // the named ones) and the name people see ("sub_100003f20").
  void add_function(uint64_t addr, std::string_view identity, std::string_view display);
  void add_symbol(uint64_t addr, std::string_view name);
  // A pointer slot: bound to an import (name index), or rebased to a target address.
  void add_bind(uint64_t addr, uint32_t import_name, int64_t addend, bool pcrel = false);
  void add_rebase(uint64_t addr, uint64_t target);
  void set_reader(ReadFn read) { read_ = std::move(read); }
  void set_external(std::shared_ptr<ExternalNames> external) { external_ = std::move(external); }
  // Sorts what was added; call once before resolving.
  void finish();

  struct Function {
    uint64_t addr = 0;
    uint32_t identity = kNoName, display = kNoName;
  };
  const std::vector<Function>& functions() const { return functions_; }
  // The function whose range holds `addr` (its start, up to the next start or the end of its
  // section), or null.
  const Function* function_at(uint64_t addr) const;
  uint64_t function_end(const Function& f) const;

  struct Slot {
    uint64_t addr = 0;
    uint64_t target = 0;
    uint32_t import = kNoName;  // kNoName: a rebase to `target`
    int64_t addend = 0;
    bool pcrel = false;
  };
  const Slot* slot_at(uint64_t addr) const;
  // Slots in [begin, end), in address order.
  std::pair<const Slot*, const Slot*> slots_in(uint64_t begin, uint64_t end) const;

  Ref resolve(uint64_t addr);
  // A stable 64-bit token for what a reference names (kind, name, offset, string bytes); equal
  // references in two builds give equal tokens.
  uint64_t token(const Ref& r) const;
  // For people: "_strcpy", "\"Hello\"", "sub_100003f20+0x10", "__DATA,__data+0x10".
  std::string describe(const Ref& r) const;

  Bytes read(uint64_t address, uint64_t max) const { return read_ ? read_(address, max) : Bytes(); }

 private:
  struct Section {
    uint64_t addr, end;
    uint32_t name;
    SectionKind kind;
    uint32_t entry_size;
    std::vector<uint32_t> entry_names;
  };
  const Section* section_at(uint64_t addr) const;
  Ref resolve_in(uint64_t addr, int depth);
  std::optional<uint64_t> follow_stub(const Section& s, uint64_t addr) const;

  std::vector<std::string> names_;
  std::vector<uint64_t> hashes_;
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<Section> sections_;
  std::vector<Function> functions_;
  std::vector<std::pair<uint64_t, uint32_t>> symbols_;
  std::vector<Slot> slots_;
  std::unordered_map<uint64_t, Ref> stubs_;  // stub address -> what it reaches (resolve)
  mutable std::unordered_map<uint32_t, uint32_t> display_of_;  // function identity -> display name (describe)
  ReadFn read_;
  std::shared_ptr<ExternalNames> external_;
};

}  // namespace upscope::disasm
