#include "disasm/address_map.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "inspect/hash.hpp"

namespace upscope::disasm {

uint32_t AddressMap::intern(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it != index_.end()) return it->second;
  const uint32_t i = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  hashes_.push_back(xxh3_64(bytes_of(name)));
  index_.emplace(names_.back(), i);
  return i;
}

void AddressMap::add_section(uint64_t addr, uint64_t size, std::string_view name, SectionKind kind,
                             uint32_t entry_size, std::vector<uint32_t> entry_names) {
  if (size == 0 || addr + size < addr) return;
  sections_.push_back({addr, addr + size, intern(name), kind, entry_size, std::move(entry_names)});
}

void AddressMap::add_function(uint64_t addr, std::string_view identity, std::string_view display) {
  functions_.push_back({addr, intern(identity), intern(display)});
}

void AddressMap::add_symbol(uint64_t addr, std::string_view name) { symbols_.emplace_back(addr, intern(name)); }

void AddressMap::add_bind(uint64_t addr, uint32_t import_name, int64_t addend, bool pcrel) {
  slots_.push_back({addr, 0, import_name, addend, pcrel});
}

void AddressMap::add_rebase(uint64_t addr, uint64_t target) { slots_.push_back({addr, target, kNoName, 0, false}); }

void AddressMap::finish() {
  std::sort(sections_.begin(), sections_.end(), [](const Section& a, const Section& b) { return a.addr < b.addr; });
  std::stable_sort(functions_.begin(), functions_.end(), [](const Function& a, const Function& b) { return a.addr < b.addr; });
  functions_.erase(std::unique(functions_.begin(), functions_.end(),
                               [](const Function& a, const Function& b) { return a.addr == b.addr; }),
                   functions_.end());
  std::stable_sort(symbols_.begin(), symbols_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::stable_sort(slots_.begin(), slots_.end(), [](const Slot& a, const Slot& b) { return a.addr < b.addr; });
}

const AddressMap::Section* AddressMap::section_at(uint64_t addr) const {
  auto it = std::upper_bound(sections_.begin(), sections_.end(), addr,
                             [](uint64_t a, const Section& s) { return a < s.addr; });
  if (it == sections_.begin()) return nullptr;
  --it;
  return addr < it->end ? &*it : nullptr;
}

const AddressMap::Function* AddressMap::function_at(uint64_t addr) const {
  auto it = std::upper_bound(functions_.begin(), functions_.end(), addr,
                             [](uint64_t a, const Function& f) { return a < f.addr; });
  if (it == functions_.begin()) return nullptr;
  --it;
  return addr < function_end(*it) ? &*it : nullptr;
}

uint64_t AddressMap::function_end(const Function& f) const {
  const Section* s = section_at(f.addr);
  uint64_t end = s ? s->end : f.addr;
  const size_t i = static_cast<size_t>(&f - functions_.data());
  if (i + 1 < functions_.size() && functions_[i + 1].addr < end) end = functions_[i + 1].addr;
  return end;
}

const AddressMap::Slot* AddressMap::slot_at(uint64_t addr) const {
  auto it = std::lower_bound(slots_.begin(), slots_.end(), addr, [](const Slot& s, uint64_t a) { return s.addr < a; });
  return it != slots_.end() && it->addr == addr ? &*it : nullptr;
}

std::pair<const AddressMap::Slot*, const AddressMap::Slot*> AddressMap::slots_in(uint64_t begin, uint64_t end) const {
  auto lo = std::lower_bound(slots_.begin(), slots_.end(), begin, [](const Slot& s, uint64_t a) { return s.addr < a; });
  auto hi = std::lower_bound(lo, slots_.end(), end, [](const Slot& s, uint64_t a) { return s.addr < a; });
  return {slots_.data() + (lo - slots_.begin()), slots_.data() + (hi - slots_.begin())};
}

// Where a stub sends control: its GOT slot (x86-64 `jmp [rip+d]`; arm64 ADRP + LDR + BR) or a
// direct target (arm64 ADRP + ADD + BR, as the dyld cache builder rewrites stubs). Reads at most
// four instructions of the stub.
std::optional<uint64_t> AddressMap::follow_stub(const Section& s, uint64_t addr) const {
  const uint64_t size = s.entry_size ? std::min<uint64_t>(s.entry_size, 16) : 16;
  Bytes code = read(addr, size);
  if (code.size() >= 6 && code[0] == 0xFF && code[1] == 0x25) {  // x86-64: jmp qword ptr [rip + disp32]
    return addr + 6 + static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(load_u32le(code.data() + 2))));
  }
  uint64_t value[32] = {};
  uint32_t known = 0, loaded = 0;  // registers holding an address; of those, addresses of a loaded slot
  for (size_t i = 0; i + 4 <= code.size(); i += 4) {
    const uint32_t w = load_u32le(code.data() + i);
    const uint64_t pc = addr + i;
    const uint32_t rd = w & 31, rn = (w >> 5) & 31;
    if ((w & 0x9F000000) == 0x90000000) {  // ADRP
      const int64_t imm = sign_extend(((w >> 29) & 3) | (((w >> 5) & 0x7FFFF) << 2), 21);
      value[rd] = (pc & ~uint64_t{0xFFF}) + static_cast<uint64_t>(imm * 4096);
      known |= 1u << rd;
      loaded &= ~(1u << rd);
    } else if ((w & 0xFF800000) == 0x91000000 && (known >> rn & 1)) {  // ADD Xd, Xn, #imm
      const uint64_t imm = ((w >> 10) & 0xFFF) << ((w >> 22 & 1) ? 12 : 0);
      value[rd] = value[rn] + imm;
      known |= 1u << rd;
      loaded &= ~(1u << rd);
    } else if ((w & 0xFFC00000) == 0xF9400000 && (known >> rn & 1)) {  // LDR Xt, [Xn, #imm]
      value[rd] = value[rn] + (((w >> 10) & 0xFFF) << 3);
      known |= 1u << rd;
      loaded |= 1u << rd;
    } else if ((w & 0xFFFFFC1F) == 0xD61F0000 || (w & 0xFEFFF800) == 0xD61F0800) {  // BR / BRAA(Z) / BRAB(Z)
      if (known >> rn & 1) return value[rn];  // a slot (loaded) or the target itself: resolve_in tells
      return std::nullopt;
    } else if ((w & 0xFFFFFFFF) == 0xD503201F) {  // NOP
    } else {
      known &= ~(1u << rd);
    }
  }
  return std::nullopt;
}

Ref AddressMap::resolve(uint64_t addr) { return resolve_in(addr, 0); }

Ref AddressMap::resolve_in(uint64_t addr, int depth) {
  Ref r;
  r.address = addr;
  const Section* s = section_at(addr);
  if (!s) {
    if (external_) {
      if (auto k = external_->key(addr)) {
        r.kind = RefKind::kExternal;
        r.string = *k;
        return r;
      }
    }
    r.kind = RefKind::kUnmapped;
    return r;
  }
  const uint64_t off = addr - s->addr;
  auto section_ref = [&] {
    r.kind = RefKind::kSection;
    r.name = s->name;
    r.offset = static_cast<int64_t>(off);
    return r;
  };
  switch (s->kind) {
    case SectionKind::kStubs:
    case SectionKind::kPointers: {
      if (s->entry_size) {
        const uint64_t i = off / s->entry_size;
        if (i < s->entry_names.size() && s->entry_names[i] != kNoName) {
          r.kind = RefKind::kImport;
          r.name = s->entry_names[i];
          return r;
        }
      }
      if (const Slot* slot = slot_at(addr)) {
        if (slot->import != kNoName) {
          r.kind = RefKind::kImport;
          r.name = slot->import;
          r.offset = slot->addend;
          return r;
        }
        if (depth < 3) return resolve_in(slot->target, depth + 1);
      }
      if (s->kind == SectionKind::kStubs && depth < 3) {
        // Every call through a stub resolves it again: remember what each stub reached.
        auto known = stubs_.find(addr);
        if (known != stubs_.end()) return known->second;
        const uint64_t start = s->entry_size ? s->addr + off / s->entry_size * s->entry_size : addr;
        if (auto next = follow_stub(*s, start)) {
          if (*next != addr) {
            Ref via = resolve_in(*next, depth + 1);
            stubs_.emplace(addr, via);
            return via;
          }
        }
      }
      return section_ref();
    }
    case SectionKind::kCode: {
      if (const Function* f = function_at(addr)) {
        r.kind = RefKind::kFunction;
        r.name = f->identity;
        r.offset = static_cast<int64_t>(addr - f->addr);
        return r;
      }
      return section_ref();
    }
    case SectionKind::kCString: {
      Bytes b = read(addr, std::min<uint64_t>(s->end - addr, 4096));
      const auto nul = std::find(b.begin(), b.end(), uint8_t{0});
      r.kind = RefKind::kString;
      r.string = xxh3_64(b.subspan(0, static_cast<size_t>(nul - b.begin())));
      return r;
    }
    case SectionKind::kData: {
      auto it = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                                 [](uint64_t a, const std::pair<uint64_t, uint32_t>& x) { return a < x.first; });
      if (it != symbols_.begin() && std::prev(it)->first >= s->addr) {
        --it;
        r.kind = RefKind::kSymbol;
        r.name = it->second;
        r.offset = static_cast<int64_t>(addr - it->first);
        return r;
      }
      return section_ref();
    }
  }
  return section_ref();
}

namespace {
// splitmix64's finaliser: every input bit reaches every output bit.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
}  // namespace

uint64_t AddressMap::token(const Ref& r) const {
  const uint64_t name = (r.kind == RefKind::kString || r.kind == RefKind::kExternal ||
                         r.kind == RefKind::kUnmapped || r.kind == RefKind::kNone)
                            ? 0 : hashes_[r.name];
  uint64_t h = mix(static_cast<uint64_t>(r.kind) + 0x9E3779B97F4A7C15ull);
  h = mix(h ^ name);
  h = mix(h ^ static_cast<uint64_t>(r.offset));
  return mix(h ^ r.string);
}

std::string AddressMap::describe(const Ref& r) const {
  auto plus = [](int64_t off) { return off == 0 ? std::string() : fmt::format("{}{:#x}", off < 0 ? "-" : "+", off < 0 ? -off : off); };
  switch (r.kind) {
    case RefKind::kNone: return "";
    case RefKind::kImport:
    case RefKind::kSymbol:
    case RefKind::kSection:
      return names_[r.name] + plus(r.offset);
    case RefKind::kExternal: return external_ ? external_->describe(r.address) : "[external]";
    case RefKind::kFunction: {
      // The display name of the function whose identity this is.
      if (display_of_.empty())
        for (const auto& f : functions_) display_of_.emplace(f.identity, f.display);
      auto it = display_of_.find(r.name);
      return names_[it != display_of_.end() ? it->second : r.name] + plus(r.offset);
    }
    case RefKind::kString: {
      Bytes b = read(r.address, 4096);
      std::string out = "\"";
      size_t n = 0;
      for (uint8_t c : b) {
        if (c == 0) break;
        if (++n > 48) {
          out += "…";
          break;
        }
        if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
        else if (c == '\n') out += "\\n";
        else if (c < 0x20 || c >= 0x7F) out += fmt::format("\\x{:02x}", c);
        else out += static_cast<char>(c);
      }
      return out + "\"";
    }
    case RefKind::kUnmapped: return "[unmapped]";
  }
  return "";
}

}  // namespace upscope::disasm
