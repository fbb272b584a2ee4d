// Facts of one Mach-O image by change class (image_facts.hpp, docs/diff.md §3).
#include "analysis/image_facts.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "inspect/hash.hpp"
#include "macho/entitlements.hpp"
#include "macho/names.hpp"

namespace upscope::build {

using disasm::AddressMap;
using disasm::SectionKind;

namespace {

constexpr uint32_t S_CSTRING_LITERALS = 0x2, S_NON_LAZY_SYMBOL_POINTERS = 0x6, S_LAZY_SYMBOL_POINTERS = 0x7,
                   S_SYMBOL_STUBS = 0x8, S_LAZY_DYLIB_SYMBOL_POINTERS = 0x10;
constexpr uint32_t INDIRECT_SYMBOL_LOCAL = 0x80000000, INDIRECT_SYMBOL_ABS = 0x40000000;

std::string section_name(const macho::Section& s) { return s.segname + "," + s.sectname; }

bool executable(const macho::MachO& m, const macho::Segment& seg) {
  return seg.executable() || m.is_object();
}

SectionKind kind_of(const macho::MachO& m, const macho::Segment& seg, const macho::Section& s) {
  const uint32_t type = s.type();
  if (type == S_SYMBOL_STUBS) return SectionKind::kStubs;
  if (type == S_NON_LAZY_SYMBOL_POINTERS || type == S_LAZY_SYMBOL_POINTERS || type == S_LAZY_DYLIB_SYMBOL_POINTERS)
    return SectionKind::kPointers;
  if (type == S_CSTRING_LITERALS) return SectionKind::kCString;
  if (s.has_instructions() && executable(m, seg)) return SectionKind::kCode;
  return SectionKind::kData;
}

// Tables that encode where functions are (unwind info, DWARF CFI): they change whenever code moves,
// so they are layout, not data (docs/diff.md §3).
bool layout_table(const macho::Section& s) {
  return s.sectname == "__unwind_info" || s.sectname == "__eh_frame" || s.segname == "__LINKEDIT";
}

// The indirect symbol table's names for entries [first, first+count) (kNoName for local/absolute).
std::vector<uint32_t> indirect_names(AddressMap& map, const macho::MachO& m, const ByteReader& file, uint32_t first,
                                     uint64_t count) {
  std::vector<uint32_t> out;
  if (!m.dysymtab || m.symbols.empty()) return out;
  const auto& d = *m.dysymtab;
  auto table = file.sub(d.indirectsymoff, uint64_t(d.nindirectsyms) * 4);
  if (!table) return out;
  count = std::min<uint64_t>(count, d.nindirectsyms > first ? d.nindirectsyms - first : 0);
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint32_t sym = table->u32le((first + i) * 4).value_or(INDIRECT_SYMBOL_LOCAL);
    if ((sym & (INDIRECT_SYMBOL_LOCAL | INDIRECT_SYMBOL_ABS)) || sym >= m.symbols.size() || m.symbols[sym].name.empty())
      out.push_back(AddressMap::kNoName);
    else
      out.push_back(map.intern(m.symbols[sym].name));
  }
  return out;
}

unsigned pointer_size(const macho::MachO& m) { return m.is64 ? 8 : 4; }

std::string hex_address(uint64_t a) { return fmt::format("sub_{:x}", a); }

std::string xxh3_hex(const std::string& s) {
  return fmt::format("{:016x}", xxh3_64(bytes_of(s)));
}

}  // namespace

void add_fixups(AddressMap& map, const macho::Fixups& fixups, const macho::MachO& image) {
  std::vector<uint32_t> names(fixups.imports.size(), AddressMap::kNoName);
  for (const auto& seg : image.segments) {
    if (seg.segname == "__LINKEDIT" || seg.vmsize == 0) continue;
    for (auto it = fixups.lower_bound(seg.vmaddr); it != fixups.items.end() && it->address < seg.vmaddr + seg.vmsize; ++it) {
      const macho::Fixup& f = *it;
      if (f.import == macho::Fixup::kRebase) {
        map.add_rebase(f.address, f.target);
        continue;
      }
      if (f.import < names.size() && names[f.import] == AddressMap::kNoName) names[f.import] = map.intern(fixups.imports[f.import]);
      map.add_bind(f.address, f.import < names.size() ? names[f.import] : AddressMap::kNoName, f.addend, f.pcrel);
    }
  }
}

ImageInput file_image(const macho::MachO& m, const ByteReader& file, std::string label,
                      std::shared_ptr<const macho::Fixups> fixups) {
  ImageInput in;
  in.macho = &m;
  in.label = std::move(label);
  in.file = file;
  in.read = [&m, file](uint64_t addr, uint64_t max) -> Bytes {
    for (const auto& seg : m.segments) {
      if (addr < seg.vmaddr || addr - seg.vmaddr >= seg.filesize) continue;
      const uint64_t off = addr - seg.vmaddr;
      return file.bytes(seg.fileoff + off, std::min(max, seg.filesize - off)).value_or(Bytes());
    }
    return Bytes();
  };
  if (fixups) in.add_pointers = [fixups, &m](AddressMap& map) { add_fixups(map, *fixups, m); };
  return in;
}

AddressMap address_map(const ImageInput& in) {
  const macho::MachO& m = *in.macho;
  AddressMap map;
  map.set_reader(in.read);
  if (in.external) map.set_external(in.external);
  const unsigned ps = pointer_size(m);
  std::vector<std::pair<uint64_t, uint64_t>> code;  // code section ranges
  for (const auto& seg : m.segments) {
    for (const auto& s : seg.sections) {
      const SectionKind k = kind_of(m, seg, s);
      std::vector<uint32_t> names;
      uint32_t entry = 0;
      if (k == SectionKind::kStubs && s.reserved2) {
        entry = s.reserved2;
        names = indirect_names(map, m, in.file, s.reserved1, s.size / s.reserved2);
      } else if (k == SectionKind::kPointers) {
        entry = ps;
        names = indirect_names(map, m, in.file, s.reserved1, s.size / ps);
      }
      map.add_section(s.addr, s.size, section_name(s), k, entry, std::move(names));
      if (k == SectionKind::kCode || k == SectionKind::kStubs) code.emplace_back(s.addr, s.addr + s.size);
    }
  }
  auto in_code = [&](uint64_t a) {
    return std::any_of(code.begin(), code.end(), [&](const auto& r) { return a >= r.first && a < r.second; });
  };
  // Names: symbols defined in a section, exports, the caller's extras (a dyld cache's locals).
  std::unordered_map<uint64_t, std::string> names;
  for (const auto& s : m.symbols)
    if (s.defined_in_section() && !s.name.empty()) {
      names.emplace(s.value, s.name);
      map.add_symbol(s.value, s.name);
    }
  const uint64_t text = m.text_vmaddr();
  for (const auto& e : in.exports.empty() ? m.exports : in.exports)
    if (!e.is_reexport() && !e.is_absolute()) {
      names.emplace(text + e.address, e.name);
      map.add_symbol(text + e.address, e.name);
    }
  for (const auto& [a, n] : in.extra_symbols) {
    names.emplace(a, n);
    map.add_symbol(a, n);
  }
  std::set<uint64_t> starts;
  for (uint64_t a : in.function_starts.empty() ? m.function_starts : in.function_starts)
    if (in_code(a)) starts.insert(a);
  if (starts.empty())
    for (const auto& [a, n] : names)
      if (in_code(a)) starts.insert(a);
  // Unnamed functions are known by the named function before them and their rank after it: stable
  // when code moves, and only shifted by a new unnamed function between the same named ones.
  std::string anchor = "start";
  uint64_t rank = 0;
  for (uint64_t a : starts) {
    auto n = names.find(a);
    if (n != names.end()) {
      anchor = n->second;
      rank = 0;
      map.add_function(a, n->second, n->second);
    } else {
      map.add_function(a, fmt::format("{}+{}", anchor, ++rank), hex_address(a));
    }
  }
  if (in.add_pointers) in.add_pointers(map);
  map.finish();
  return map;
}

namespace {

std::vector<disasm::CodeSection> code_of(const ImageInput& in) {
  const macho::MachO& m = *in.macho;
  std::vector<disasm::CodeSection> out;
  for (const auto& seg : m.segments) {
    if (!executable(m, seg)) continue;
    for (const auto& s : seg.sections) {
      if (!s.has_instructions() || s.zerofill() || s.size == 0) continue;
      Bytes b = in.read(s.addr, s.size);
      if (!b.empty()) out.push_back({s.addr, b});
    }
  }
  return out;
}

// Sections compared as data: every section that is neither code nor a layout table.
template <typename Fn>
void for_each_data_section(const macho::MachO& m, Fn&& fn) {
  for (const auto& seg : m.segments)
    for (const auto& s : seg.sections) {
      const SectionKind k = kind_of(m, seg, s);
      if (k == SectionKind::kCode || k == SectionKind::kStubs || layout_table(s)) continue;
      fn(s);
    }
}

std::string uleb_version(uint32_t v) { return macho::version_string(v); }

// Load commands without addresses, sizes or offsets: what a rebuild at another layout keeps.
void metadata_facts(const ImageInput& in, AddressMap& map, std::map<std::string, std::string>& f) {
  const macho::MachO& m = *in.macho;
  const std::string p = "metadata/" + in.label + " ";
  f[p + "header"] = fmt::format("filetype {} flags {:#x} cpusubtype {:#x}", m.filetype, m.flags, m.cpusubtype);
  if (m.build_version) {
    std::string tools;
    for (const auto& t : m.build_version->tools) tools += fmt::format(" {}:{}", t.tool, uleb_version(t.version));
    f[p + "build version"] = fmt::format("platform {} minos {} sdk {}{}", m.build_version->platform,
                                         uleb_version(m.build_version->minos), uleb_version(m.build_version->sdk),
                                         tools.empty() ? "" : " tools" + tools);
  }
  for (const auto& v : m.version_mins)
    f[p + fmt::format("version min {:#x}", v.cmd)] = fmt::format("{} sdk {}", uleb_version(v.version), uleb_version(v.sdk));
  if (m.source_version) f[p + "source version"] = macho::source_version_string(*m.source_version);
  if (m.id_dylib)
    f[p + "id"] = fmt::format("{} current {} compatibility {}", m.id_dylib->name, uleb_version(m.id_dylib->current_version),
                              uleb_version(m.id_dylib->compatibility_version));
  for (size_t i = 0; i < m.dylibs.size(); ++i) {
    const auto& d = m.dylibs[i];
    if (d.is_id()) continue;
    f[p + "links " + d.name] = fmt::format("{} current {} compatibility {}", macho::load_command_name(d.cmd),
                                           uleb_version(d.current_version), uleb_version(d.compatibility_version));
  }
  std::string order;
  for (const auto& d : m.dylibs)
    if (!d.is_id()) order += d.name + "\n";
  if (!order.empty()) f[p + "library order"] = xxh3_hex(order);
  for (const auto& r : m.rpaths) f[p + "rpath " + r] = "present";
  if (m.dylinker) f[p + "dylinker"] = *m.dylinker;
  if (m.entry_point) {
    auto r = map.resolve(m.text_vmaddr() + m.entry_point->entryoff);
    f[p + "entry point"] = r.kind == disasm::RefKind::kFunction ? map.name(r.name) + fmt::format("+{}", r.offset)
                                                                 : map.describe(r);
  }
  std::string segs;
  for (const auto& s : m.segments) {
    segs += fmt::format("{} {}/{} {:#x} [", s.segname, s.initprot, s.maxprot, s.flags);
    for (const auto& sec : s.sections) segs += fmt::format(" {} {:#x}", sec.sectname, sec.flags);
    segs += " ]\n";
  }
  f[p + "segments"] = segs;
  std::string cmds;
  for (const auto& c : m.commands) cmds += macho::load_command_name(c.cmd) + std::string(" ");
  f[p + "load commands"] = cmds;
  for (const auto& e : m.encryption) f[p + fmt::format("encryption {:#x}", e.cmd)] = fmt::format("cryptid {}", e.cryptid);
  for (const auto& o : m.linker_options) {
    std::string s;
    for (const auto& x : o) s += x + " ";
    f[p + "linker option " + s] = "present";
  }
  for (const auto& s : m.sub_names) f[p + "sub " + s] = "present";
  // Imported symbols: a new import usually comes with new code, but may not (a data reference).
  std::set<std::string> imports;
  for (const auto& s : m.symbols)
    if (s.undefined_external() && !s.name.empty())
      imports.insert(s.name);
  if (m.chained_fixups)
    for (const auto& n : m.chained_fixups->import_names) imports.insert(n);
  if (!imports.empty()) {
    std::string all;
    for (const auto& n : imports) all += n + "\n";
    f[p + "imports"] = fmt::format("{} symbols {}", imports.size(), xxh3_hex(all));
  }
}

std::string canonical_json(const nlohmann::json& j) {
  std::string s = j.dump();
  return s.size() > 200 ? "sha256:" + sha256_hex(bytes_of(s)) : s;
}

}  // namespace

std::map<std::string, std::string> entitlements(const macho::CodeSignature& cs, const ByteReader& sig) {
  std::map<std::string, std::string> out;
  if (auto dict = macho::entitlements(cs, sig))
    for (auto it = dict->begin(); it != dict->end(); ++it) out[it.key()] = canonical_json(it.value());
  return out;
}

namespace {

void signature_facts(const ImageInput& in, std::map<std::string, std::string>& f) {
  const macho::MachO& m = *in.macho;
  if (!m.code_signature) return;
  const macho::CodeSignature& cs = *m.code_signature;
  const std::string p = "signature/" + in.label + " ";
  if (const macho::CodeDirectory* cd = cs.primary()) {
    f[p + "identifier"] = cd->identifier;
    if (!cd->team_id.empty()) f[p + "team id"] = cd->team_id;
    f[p + "flags"] = fmt::format("{:#x}", cd->flags);
    f[p + "hash type"] = std::to_string(cd->hash_type);
    f[p + "exec segment flags"] = fmt::format("{:#x}", cd->exec_seg_flags);
  }
  f[p + "signed"] = cs.has_cms ? "CMS signature" : "ad-hoc";
  auto sig = in.file.sub(cs.dataoff, cs.datasize);
  if (!sig) return;
  for (const auto& b : cs.blobs)
    if (b.is_requirements())
      if (auto body = sig->bytes(b.offset, b.length)) f[p + "requirements"] = sha256_hex(*body);
  for (const auto& [k, v] : build::entitlements(cs, *sig)) f[p + "entitlement " + k] = v;
}

// Bytes of the non-LINKEDIT segments that no section covers (and that are not the header and load
// commands): their non-zero bytes, so padding that grows with a relink is not a change.
std::string outside_sections(const ImageInput& in) {
  const macho::MachO& m = *in.macho;
  Hasher h(HashKind::kSha256);
  uint64_t n = 0;
  const uint64_t header_end = m.text_vmaddr() + (m.is64 ? 32 : 28) + m.sizeofcmds;
  for (const auto& seg : m.segments) {
    if (seg.segname == "__LINKEDIT" || seg.filesize == 0) continue;
    std::vector<std::pair<uint64_t, uint64_t>> covered;
    for (const auto& s : seg.sections)
      if (!s.zerofill()) covered.emplace_back(s.addr, s.addr + s.size);
    covered.emplace_back(m.text_vmaddr(), header_end);
    std::sort(covered.begin(), covered.end());
    uint64_t at = seg.vmaddr;
    const uint64_t end = seg.vmaddr + seg.filesize;
    auto gap = [&](uint64_t a, uint64_t b) {
      if (b <= a) return;
      Bytes bytes = in.read(a, b - a);
      std::vector<uint8_t> nz;
      for (uint8_t c : bytes)
        if (c) nz.push_back(c);
      n += nz.size();
      h.update(nz);
    };
    for (const auto& [a, b] : covered) {
      if (b <= at) continue;
      gap(at, std::min(a, end));
      at = std::max(at, b);
      if (at >= end) break;
    }
    gap(at, end);
  }
  return n ? h.hex_digest() : "";
}

}  // namespace

ImageFacts image_facts(const ImageInput& in, bool functions) {
  ImageFacts out;
  const macho::MachO& m = *in.macho;
  AddressMap map = address_map(in);
  const disasm::Arch arch = macho::code_arch(m.cputype);
  auto code = disasm::normalise_code(map, arch, code_of(in),
                                     functions ? disasm::CodeDetail::kFunctions : disasm::CodeDetail::kImage);
  out.code_hash = code.hash;
  out.facts["code/" + in.label] = code.hash;
  if (functions)
    for (const auto& f : code.functions) out.functions.emplace(map.name(f.identity), f.hash);
  const unsigned ps = pointer_size(m);
  for_each_data_section(m, [&](const macho::Section& s) {
    const std::string key = "data/" + in.label + " " + section_name(s);
    if (s.zerofill()) {
      out.facts[key] = fmt::format("zero-fill {}", s.size);
      return;
    }
    Bytes b = in.read(s.addr, s.size);
    out.facts[key] = fmt::format("{} {}", disasm::normalise_data(map, s.addr, b, ps), s.size);
  });
  if (auto outside = outside_sections(in); !outside.empty())
    out.facts["data/" + in.label + " (outside sections)"] = outside;
  metadata_facts(in, map, out.facts);
  signature_facts(in, out.facts);
  return out;
}

ComponentDetail image_detail(const ImageInput& in) {
  ComponentDetail out;
  const macho::MachO& m = *in.macho;
  AddressMap map = address_map(in);
  auto code = disasm::normalise_code(map, macho::code_arch(m.cputype), code_of(in), disasm::CodeDetail::kFull);
  for (auto& f : code.functions) {
    FunctionDetail d;
    d.hash = f.hash;
    d.display = map.name(f.display);
    d.address = f.addr;
    d.instructions = f.instructions;
    d.tokens = std::move(f.tokens);
    d.calls = std::move(f.calls);
    d.refs = std::move(f.refs);
    out.functions.emplace(map.name(f.identity), std::move(d));
  }
  for_each_data_section(m, [&](const macho::Section& s) {
    if (s.zerofill() || s.size > (64u << 20)) return;
    Bytes b = in.read(s.addr, s.size);
    out.sections.emplace("data/" + in.label + " " + section_name(s), std::vector<uint8_t>(b.begin(), b.end()));
  });
  return out;
}

}  // namespace upscope::build
