#include "macho/linkedit.hpp"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>

#include "macho/structs.hpp"

namespace upscope::macho {

std::vector<uint64_t> read_function_starts(ByteReader blob, uint64_t base_vmaddr, Diagnostics& diags,
                                           const std::string& structure) {
  std::vector<uint64_t> out;
  uint64_t off = 0, addr = base_vmaddr;
  while (off < blob.size()) {
    auto leb = blob.uleb128(off);
    if (!leb) {
      diags.error(blob.base() + off, structure,
                  fmt::format("function start {} is a bad ULEB128: {}", out.size(), leb.error().rule));
      break;
    }
    off += leb->length;
    if (leb->value == 0) break;
    auto next = checked_add(addr, leb->value);
    if (!next) {
      diags.error(blob.base() + off, structure, fmt::format("function start {} overflows the address space", out.size()));
      break;
    }
    addr = *next;
    out.push_back(addr);
  }
  return out;
}

std::vector<Export> read_export_trie(ByteReader trie, Diagnostics& diags, const std::string& structure) {
  std::vector<Export> out;
  if (trie.size() == 0) return out;
  // Every node is visited at most once (a second visit means a cycle or a shared node), so the
  // walk is linear in the trie; names are capped in length and in total bytes.
  constexpr size_t kMaxDepth = 512;
  constexpr size_t kMaxName = 64 * 1024;
  const uint64_t max_total = std::min<uint64_t>(trie.size() * 64 + (16u << 20), uint64_t(1) << 32);
  uint64_t total = 0;
  struct Item { uint64_t node; std::string prefix; size_t depth; };
  std::vector<Item> stack;
  std::unordered_set<uint64_t> visited;
  stack.push_back({0, std::string(), 0});
  auto err = [&](uint64_t node, const std::string& msg) { diags.error(trie.base() + node, structure, msg); };
  while (!stack.empty()) {
    Item it = std::move(stack.back());
    stack.pop_back();
    if (!visited.insert(it.node).second) {
      err(it.node, fmt::format("export trie node at +{:#x} is reached twice (cycle)", it.node));
      continue;
    }
    Cursor c(trie, it.node);
    uint64_t terminal = c.uleb128();
    if (!c.ok()) { err(it.node, fmt::format("export trie node at +{:#x}: {}", it.node, c.error().rule)); continue; }
    const uint64_t children_at = c.tell() + terminal;
    if (terminal != 0) {
      Export e;
      e.name = it.prefix;
      e.flags = c.uleb128();
      if (e.flags & EXPORT_SYMBOL_FLAGS_REEXPORT) {
        e.reexport_ordinal = c.uleb128();
        if (c.ok()) {
          auto s = trie.cstring(c.tell(), children_at > c.tell() ? children_at - c.tell() : 0);
          if (s) e.reexport_name = std::string(*s);
          else err(it.node, fmt::format("export '{}': re-export name is not NUL-terminated in its node", e.name));
        }
      } else {
        e.address = c.uleb128();
        if (e.flags & EXPORT_SYMBOL_FLAGS_STUB_AND_RESOLVER) e.resolver = c.uleb128();
      }
      if (!c.ok() || c.tell() > children_at) {
        err(it.node, fmt::format("export '{}': terminal info overruns its {} bytes", e.name, terminal));
        continue;
      }
      out.push_back(std::move(e));
    }
    auto nchildren = trie.u8(children_at);
    if (!nchildren) {
      err(it.node, fmt::format("export trie node at +{:#x}: child count at +{:#x} is past the end of the trie",
                               it.node, children_at));
      continue;
    }
    uint64_t off = children_at + 1;
    std::vector<Item> kids;
    for (unsigned k = 0; k < *nchildren; ++k) {
      auto edge = trie.cstring(off);
      if (!edge) { err(it.node, fmt::format("export trie node at +{:#x}: edge {} is not a string", it.node, k)); break; }
      off += edge->size() + 1;
      auto child = trie.uleb128(off);
      if (!child) { err(it.node, fmt::format("export trie node at +{:#x}: edge {} offset is truncated", it.node, k)); break; }
      off += child->length;
      if (child->value >= trie.size()) {
        err(it.node, fmt::format("export trie node at +{:#x}: edge '{}' points past the end of the trie (+{:#x})",
                                 it.node, *edge, child->value));
        continue;
      }
      if (it.depth + 1 > kMaxDepth || it.prefix.size() + edge->size() > kMaxName) {
        err(it.node, fmt::format("export trie node at +{:#x}: deeper than {} levels or a name longer than {} bytes",
                                 it.node, kMaxDepth, kMaxName));
        continue;
      }
      total += it.prefix.size() + edge->size();
      if (total > max_total) {
        err(it.node, fmt::format("export names exceed {} bytes in total: stopping", max_total));
        return out;
      }
      kids.push_back({child->value, it.prefix + std::string(*edge), it.depth + 1});
    }
    for (auto k = kids.rbegin(); k != kids.rend(); ++k) stack.push_back(std::move(*k));
  }
  return out;
}

std::optional<ChainedFixups> read_chained_fixups(ByteReader blob, Diagnostics& diags, const std::string& structure) {
  auto h = blob.read<dyld_chained_fixups_header>(0);
  if (!h) {
    diags.error(blob.base(), structure, fmt::format("dyld_chained_fixups_header is truncated ({} bytes)", blob.size()));
    return std::nullopt;
  }
  ChainedFixups f;
  f.fixups_version = h->fixups_version;
  f.starts_offset = h->starts_offset;
  f.imports_offset = h->imports_offset;
  f.symbols_offset = h->symbols_offset;
  f.imports_count = h->imports_count;
  f.imports_format = h->imports_format;
  f.symbols_format = h->symbols_format;
  if (f.fixups_version != 0)
    diags.warning(blob.base(), structure, fmt::format("unknown fixups_version {}", f.fixups_version));
  // starts_in_image: seg_count then seg_info_offset[seg_count], all relative to starts_offset.
  auto seg_count = blob.u32le(f.starts_offset);
  if (!seg_count) {
    diags.error(blob.base(), structure, fmt::format("starts_offset {:#x} is past the end of the {}-byte blob",
                                                    f.starts_offset, blob.size()));
  } else if (!blob.has(uint64_t(f.starts_offset) + 4, uint64_t(*seg_count) * 4)) {
    diags.error(blob.base() + f.starts_offset, structure,
                fmt::format("seg_count {} does not fit in the blob", *seg_count));
  } else {
    f.seg_count = *seg_count;
    for (uint32_t s = 0; s < *seg_count; ++s) {
      uint32_t info = *blob.u32le(uint64_t(f.starts_offset) + 4 + s * 4ull);
      if (info == 0) continue;
      const uint64_t at = uint64_t(f.starts_offset) + info;
      Cursor c(blob, at);
      ChainedFixups::SegmentStarts st;
      st.segment_index = s;
      c.u32le();  // size
      st.page_size = c.u16le();
      st.pointer_format = c.u16le();
      st.segment_offset = c.u64le();
      st.max_valid_pointer = c.u32le();
      st.page_count = c.u16le();
      c.skip(uint64_t(st.page_count) * 2);
      if (!c.ok()) {
        diags.error(blob.base() + std::min<uint64_t>(at, blob.size()), structure,
                    fmt::format("starts for segment {} at +{:#x} run past the end of the blob", s, at));
        continue;
      }
      f.segments.push_back(st);
    }
  }
  // Import names (uncompressed symbol strings only).
  const uint64_t isize = f.imports_format == DYLD_CHAINED_IMPORT ? 4
                         : f.imports_format == DYLD_CHAINED_IMPORT_ADDEND ? 8
                         : f.imports_format == DYLD_CHAINED_IMPORT_ADDEND64 ? 16 : 0;
  if (isize == 0) {
    diags.warning(blob.base(), structure, fmt::format("unknown imports_format {}", f.imports_format));
  } else if (!blob.has(f.imports_offset, uint64_t(f.imports_count) * isize)) {
    diags.error(blob.base(), structure, fmt::format("{} imports of {} bytes at +{:#x} run past the end of the blob",
                                                    f.imports_count, isize, f.imports_offset));
  } else if (f.symbols_format == 0) {
    f.import_names.reserve(f.imports_count);
    size_t bad = 0;
    for (uint32_t i = 0; i < f.imports_count; ++i) {
      const uint64_t at = f.imports_offset + i * isize;
      uint64_t name_off = isize == 16 ? (*blob.u64le(at) >> 32) : (*blob.u32le(at) >> (isize == 4 || isize == 8 ? 9 : 0));
      auto s = blob.cstring(uint64_t(f.symbols_offset) + name_off);
      if (s) f.import_names.emplace_back(*s);
      else { f.import_names.emplace_back(); ++bad; }
    }
    if (bad)
      diags.error(blob.base(), structure, fmt::format("{} import names lie outside the symbol strings", bad));
  }
  return f;
}

}  // namespace upscope::macho
