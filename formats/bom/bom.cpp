// BOMStore reader: header (§1), block table (§2), variables (§3), BomInfo, then the trees (tree.cpp)
// and the Paths list (paths.cpp). docs/formats/bom.md.
#include "bom/bom.hpp"

#include <fmt/format.h>

#include "bom/store.hpp"
#include "bom/structs.hpp"
#include "inspect/text.hpp"

namespace upscope::bom {

const char* type_name(uint8_t type) {
  switch (type) {
    case 1: return "file";
    case 2: return "directory";
    case 3: return "symlink";
    case 4: return "device";
    default: return "other";
  }
}

std::string mode_octal(uint16_t mode) { return fmt::format("{:06o}", mode); }

std::pair<uint32_t, uint32_t> Store::locate(uint32_t index) const {
  const uint64_t at = table_offset_ + 4 + uint64_t{index} * kTableEntrySize;
  return {file_.u32be(at).value_or(0), file_.u32be(at + 4).value_or(0)};
}

Result<ByteReader> Store::block(uint32_t index, std::string_view what) const {
  if (index == 0) return fail(ErrorCode::kMalformed, std::string(what), "refers to block 0, the null block");
  if (index >= entries_)
    return fail(ErrorCode::kMalformed, std::string(what),
                fmt::format("block {} is not in the block table ({} entries)", index, entries_));
  auto [address, length] = locate(index);
  auto sub = file_.sub(address, length);
  if (!sub)
    return fail(ErrorCode::kTruncated, fmt::format("block {}", index),
                fmt::format("{} of {} bytes runs past the end of the file ({} bytes)", what, length, file_.size()),
                address);
  return sub;
}

namespace {

Result<Header> read_header(const ByteReader& r) {
  if (r.size() < kHeaderSize)
    return fail(ErrorCode::kTruncated, "BOM header", fmt::format("needs 32 bytes, the file has {}", r.size()), 0);
  UPSCOPE_TRY(Bytes magic, r.bytes(0, kMagic.size()));
  if (std::string_view(reinterpret_cast<const char*>(magic.data()), magic.size()) != kMagic)
    return fail(ErrorCode::kMalformed, "BOM header", fmt::format("magic '{}' is not 'BOMStore'", printable(magic)), 0);
  Header h;
  Cursor c(r, kHeaderVersion);
  h.version = c.u32be();
  h.blocks_in_use = c.u32be();
  h.table_offset = c.u32be();
  h.table_length = c.u32be();
  h.variables_offset = c.u32be();
  h.variables_length = c.u32be();
  if (!c.ok()) return fail(c.error());
  if (h.version != kVersion)
    return fail(ErrorCode::kUnsupported, "BOM header", fmt::format("version {} is not 1", h.version), kHeaderVersion);
  auto area = [&](uint64_t field, const char* what, uint32_t off, uint32_t len) -> Status {
    if (!range_fits(off, len, r.size()))
      return fail(ErrorCode::kTruncated, "BOM header",
                  fmt::format("{} [{:#x}, +{}) runs past the end of the file ({} bytes)", what, off, len, r.size()),
                  field);
    return {};
  };
  UPSCOPE_CHECK(area(kHeaderTable, "block table", h.table_offset, h.table_length));
  UPSCOPE_CHECK(area(kHeaderVariables, "variables", h.variables_offset, h.variables_length));
  return h;
}

// §2: the entry count must fit the table's length; returns it.
Result<uint32_t> read_table(const ByteReader& r, const Header& h, Diagnostics& d) {
  if (h.table_length < 4)
    return fail(ErrorCode::kTruncated, "block table",
                fmt::format("{} bytes cannot hold its u32 entry count", h.table_length), h.table_offset);
  UPSCOPE_TRY(uint32_t n, r.u32be(h.table_offset));
  const uint64_t need = 4 + uint64_t{n} * kTableEntrySize;
  if (need > h.table_length)
    return fail(ErrorCode::kMalformed, "block table",
                fmt::format("{} entries need {} bytes, the table has {}", n, need, h.table_length), h.table_offset);
  uint64_t in_use = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t at = h.table_offset + 4 + uint64_t{i} * kTableEntrySize;
    in_use += r.u32be(at).value_or(0) != 0 || r.u32be(at + 4).value_or(0) != 0;
  }
  if (in_use != h.blocks_in_use)
    d.warning(kHeaderBlocksInUse, "BOM header",
              fmt::format("says {} blocks are in use, the block table has {}", h.blocks_in_use, in_use));
  return n;
}

Result<std::vector<Variable>> read_variables(const ByteReader& r, const Header& h, const Store& s) {
  const uint64_t base = h.variables_offset;
  if (h.variables_length < 4)
    return fail(ErrorCode::kTruncated, "variables", fmt::format("{} bytes cannot hold their u32 count", h.variables_length),
                base);
  UPSCOPE_TRY(ByteReader area, r.sub(base, h.variables_length));
  UPSCOPE_TRY(uint32_t n, area.u32be(0));
  if (n > (h.variables_length - 4) / kMinVariableSize)
    return fail(ErrorCode::kMalformed, "variables",
                fmt::format("{} variables cannot fit in {} bytes (5 bytes at least each)", n, h.variables_length), base);
  std::vector<Variable> out;
  out.reserve(n);
  uint64_t off = 4;
  for (uint32_t i = 0; i < n; ++i) {
    Variable v;
    v.offset = base + off;
    auto block = area.u32be(off);
    auto len = area.u8(off + 4);
    auto name = len ? area.bytes(off + 5, *len) : Result<Bytes>(fail(len.error()));
    if (!block || !name)
      return fail(ErrorCode::kTruncated, fmt::format("variable {}", i), "runs past the end of the variables area",
                  v.offset);
    v.block = *block;
    v.name.assign(reinterpret_cast<const char*>(name->data()), name->size());
    if (v.block >= s.entries())
      return fail(ErrorCode::kMalformed, fmt::format("variable '{}'", printable(*name)),
                  fmt::format("block {} is not in the block table ({} entries)", v.block, s.entries()), v.offset);
    if (v.block != 0) {
      auto [a, l] = s.locate(v.block);
      v.address = a;
      v.length = l;
    }
    out.push_back(std::move(v));
    off += 5 + *len;
  }
  return out;
}

// BomInfo (§3): per-architecture byte totals. Problems are warnings: nothing else depends on it.
std::optional<BomInfo> read_bom_info(const Store& s, uint32_t block, Diagnostics& d) {
  auto r = s.block(block, "BomInfo");
  if (!r) {
    d.add(r.error(), Severity::kWarning);
    return std::nullopt;
  }
  if (r->size() < kBomInfoHead) {
    d.warning(r->base(), fmt::format("BomInfo (block {})", block),
              fmt::format("{} bytes, shorter than its 12-byte head", r->size()));
    return std::nullopt;
  }
  BomInfo info;
  info.version = *r->u32be(0);
  info.path_count = *r->u32be(4);
  uint32_t n = *r->u32be(8);
  const uint64_t room = (r->size() - kBomInfoHead) / kBomInfoEntrySize;
  if (n > room) {
    d.warning(r->base(), fmt::format("BomInfo (block {})", block),
              fmt::format("{} entries do not fit in {} bytes: {} read", n, r->size(), room));
    n = static_cast<uint32_t>(room);
  }
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t at = kBomInfoHead + uint64_t{i} * kBomInfoEntrySize;
    info.entries.push_back({*r->u32be(at), *r->u32be(at + 8)});
  }
  return info;
}

bool is_tree_name(std::string_view n) { return n == "Paths" || n == "HLIndex" || n == "Size64"; }

// Any other variable whose block is a 21-byte tree header (asset catalogs keep several) gets statistics too.
bool looks_like_tree(const Store& s, uint32_t block) {
  auto r = s.block(block, "tree");
  return r && r->size() == kTreeHeaderSize && r->starts_with(kTreeMagic);
}

}  // namespace

Result<Bom> parse(const ByteReader& r, std::string_view name, const ParseOptions& opt) {
  auto with_name = [&](Error e) { return fail(e.in_file(std::string(name))); };
  Bom b;
  b.file_size = r.size();
  auto h = read_header(r);
  if (!h) return with_name(h.error());
  b.header = *h;
  auto n = read_table(r, b.header, b.diagnostics);
  if (!n) return with_name(n.error());
  b.table_entries = *n;
  Store store(r, b.header.table_offset, b.table_entries);
  auto vars = read_variables(r, b.header, store);
  if (!vars) return with_name(vars.error());
  b.variables = std::move(*vars);

  for (const Variable& v : b.variables) {
    if (v.name == "BomInfo") {
      b.info = read_bom_info(store, v.block, b.diagnostics);
    } else if (v.name == "VIndex") {
      // §3: a small record that names the tree's header block.
      auto rec = store.block(v.block, "VIndex");
      if (!rec) {
        b.diagnostics.add(rec.error());
      } else if (rec->size() < kVIndexSize) {
        b.diagnostics.error(rec->base(), fmt::format("VIndex (block {})", v.block),
                            fmt::format("{} bytes, shorter than 13 (version, tree block, u32, u8)", rec->size()));
      } else {
        b.trees.push_back(walk_tree(store, v.name, *rec->u32be(4), nullptr, b.diagnostics));
      }
    } else if (v.name == "Paths") {
      b.has_paths = true;
      std::vector<TreeEntry> entries;
      TreeStats st = walk_tree(store, v.name, v.block, opt.read_paths ? &entries : nullptr, b.diagnostics);
      b.paths_complete = st.complete;
      b.trees.push_back(std::move(st));
      if (opt.read_paths && !read_paths(store, entries, b)) b.paths_complete = false;
    } else if (is_tree_name(v.name) || looks_like_tree(store, v.block)) {
      b.trees.push_back(walk_tree(store, v.name, v.block, nullptr, b.diagnostics));
    }
  }
  return b;
}

Counts count_types(const Bom& b) {
  Counts c;
  for (const auto& e : b.paths) {
    switch (e.type) {
      case 1: ++c.files; break;
      case 2: ++c.directories; break;
      case 3: ++c.symlinks; break;
      case 4: ++c.devices; break;
      default: ++c.other; break;
    }
  }
  return c;
}

}  // namespace upscope::bom
