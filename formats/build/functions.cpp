#include "build/functions.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "disasm/normalize.hpp"

namespace upscope::build {

std::map<std::string, std::string> function_hashes(const macho::MachO& m, const ByteReader& file) {
  const disasm::Arch arch = macho::code_arch(m.cputype);  // the same as the whole-image code hash
  std::unordered_map<uint64_t, std::string> names;
  for (const auto& s : m.symbols)
    if ((s.type & 0xE0) == 0 && (s.type & 0x0E) == 0x0E && !s.name.empty()) names.emplace(s.value, s.name);
  const uint64_t text = m.text_vmaddr();
  for (const auto& e : m.exports)
    if (!(e.flags & 0x08)) names.emplace(text + e.address, e.name);  // not a re-export

  std::set<uint64_t> starts(m.function_starts.begin(), m.function_starts.end());
  if (starts.empty())
    for (const auto& [addr, name] : names) starts.insert(addr);

  std::vector<disasm::FunctionRange> ranges;
  size_t unnamed = 0;
  for (const auto& seg : m.segments) {
    if (!(seg.initprot & 4)) continue;  // VM_PROT_EXECUTE
    for (const auto& sec : seg.sections) {
      if (!sec.has_instructions() || sec.zerofill()) continue;
      auto bytes = file.bytes(sec.offset, sec.size);
      if (!bytes) continue;  // the reader already reported the bad range
      auto it = starts.lower_bound(sec.addr);
      for (; it != starts.end() && *it < sec.addr + sec.size; ++it) {
        auto next = std::next(it);
        uint64_t end = next != starts.end() && *next < sec.addr + sec.size ? *next : sec.addr + sec.size;
        disasm::FunctionRange f;
        auto n = names.find(*it);
        f.name = n != names.end() ? n->second : "sub_" + std::to_string(unnamed++);
        f.address = *it;
        f.code = bytes->subspan(static_cast<size_t>(*it - sec.addr), static_cast<size_t>(end - *it));
        ranges.push_back(f);
      }
    }
  }
  return disasm::hash_functions(arch, ranges);
}

}  // namespace upscope::build
