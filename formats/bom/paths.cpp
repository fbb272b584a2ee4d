// The Paths tree's entries (docs/formats/bom.md §5): name and parent from the key block, file id and
// path info from the value block, then the full paths from the parent ids.
#include <unordered_map>

#include <fmt/format.h>

#include "bom/store.hpp"
#include "bom/structs.hpp"
#include "inspect/limits.hpp"
#include "inspect/text.hpp"

namespace upscope::bom {

namespace {

// §6: paths and link targets together stay within a multiple of the file size (and --max-memory).
uint64_t text_budget(uint64_t file_size) {
  uint64_t b = (file_size > (UINT64_MAX >> 5) ? UINT64_MAX >> 1 : file_size * 16) + (uint64_t{64} << 20);
  return clamp_to_memory_limit(b);
}

// §5.1. `label` names the record in messages; fills e (info_ok on success).
Status read_info(const ByteReader& r, const std::string& label, PathEntry& e) {
  auto need = [&](uint64_t off, uint64_t n, const std::string& what) -> Status {
    if (!r.has(off, n))
      return fail(ErrorCode::kTruncated, label,
                  fmt::format("{} at +{} runs past the end of the {}-byte block", what, off, r.size()), r.base());
    return {};
  };
  UPSCOPE_CHECK(need(0, kPathInfoHead, "type and flags"));
  e.type = *r.u8(0);
  e.flags = *r.u16be(2);
  if ((e.flags & kFlagsFullRecord) == 0) {
    e.path_only = true;
    e.info_ok = true;
    return {};
  }
  UPSCOPE_CHECK(need(kPathInfoHead, kPathInfoCommon - kPathInfoHead, "mode, owner, time and size"));
  Cursor c(r, kPathInfoHead);
  e.mode = c.u16be();
  e.uid = c.u32be();
  e.gid = c.u32be();
  e.mtime = c.u32be();
  e.size = c.u32be();
  uint64_t off = kPathInfoCommon;
  switch (static_cast<Type>(e.type)) {
    case Type::kFile: {
      UPSCOPE_CHECK(need(off, 4, "checksum"));
      e.checksum = *r.u32be(off);
      off += 4;
      if (e.flags >> kFlagsBinaryShift) {
        UPSCOPE_CHECK(need(off, 5, "architecture count"));
        const uint32_t n = *r.u32be(off + 1);
        off += 5;
        if (uint64_t{n} > (r.size() - off) / kArchRecordSize)
          return fail(ErrorCode::kTruncated, label,
                      fmt::format("{} architecture records at +{} run past the end of the {}-byte block", n, off,
                                  r.size()),
                      r.base());
        for (uint32_t i = 0; i < n; ++i, off += kArchRecordSize)
          e.arches.push_back({*r.u32be(off), *r.u32be(off + 4), *r.u32be(off + 8), *r.u32be(off + 12)});
      }
      // The digest (length + bytes) where the record has room for it; bomutils' records end before.
      if (r.has(off, 4)) {
        const uint32_t n = *r.u32be(off);
        UPSCOPE_CHECK(need(off + 4, n, fmt::format("{}-byte digest", n)));
        e.digest = to_hex(*r.bytes(off + 4, n));
      }
      break;
    }
    case Type::kSymlink: {
      UPSCOPE_CHECK(need(off, 8, "checksum and link target length"));
      e.checksum = *r.u32be(off);
      const uint32_t n = *r.u32be(off + 4);
      UPSCOPE_CHECK(need(off + 8, n, fmt::format("{}-byte link target", n)));
      Bytes t = *r.bytes(off + 8, n);
      size_t len = 0;
      while (len < t.size() && t[len] != 0) ++len;
      e.link_target.assign(reinterpret_cast<const char*>(t.data()), len);
      break;
    }
    case Type::kDevice:
      UPSCOPE_CHECK(need(off, 4, "device number"));
      e.device = *r.u32be(off);
      break;
    default: break;  // directories (and unknown types) need nothing more
  }
  e.info_ok = true;
  return {};
}

// One leaf entry: the key's parent and name, the value's id and info. False when the entry cannot be
// placed at all (its name or id unreadable).
bool read_entry(const Store& s, const TreeEntry& te, PathEntry& e, Diagnostics& d) {
  auto key = s.block(te.key, "path name");
  if (!key) {
    d.add(key.error());
    return false;
  }
  const std::string key_label = fmt::format("path name (block {})", te.key);
  if (key->size() < 5) {
    d.error(key->base(), key_label, fmt::format("{} bytes, shorter than 5 (parent id, NUL-terminated name)", key->size()));
    return false;
  }
  auto name = key->cstring(4);
  if (!name) {
    d.error(key->base(), key_label, fmt::format("name is not NUL-terminated within the {}-byte block", key->size()));
    return false;
  }
  e.parent = *key->u32be(0);
  e.name = std::string(*name);
  auto rec = s.block(te.value, "path record");
  if (!rec) {
    d.add(rec.error());
    return false;
  }
  if (rec->size() < kPathRecordSize) {
    d.error(rec->base(), fmt::format("path record of '{}' (block {})", e.name, te.value),
            fmt::format("{} bytes, shorter than 8 (file id, path-info block)", rec->size()));
    return false;
  }
  e.id = *rec->u32be(0);
  const uint32_t info_block = *rec->u32be(4);
  auto info = s.block(info_block, fmt::format("path info of '{}'", e.name));
  if (!info) {
    d.add(info.error());
    return true;  // listed without its metadata
  }
  if (auto st = read_info(*info, fmt::format("path info of '{}' (block {})", e.name, info_block), e); !st)
    d.add(st.error());
  return true;
}

// Full paths from the parent ids: each chain is walked once (memoised); a missing parent or a chain
// that loops marks the entries on it with "?/" and an error. False when the budget ran out.
bool build_paths(std::vector<PathEntry>& paths, uint64_t& budget, Diagnostics& d) {
  std::unordered_map<uint32_t, size_t> by_id;
  by_id.reserve(paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!by_id.emplace(paths[i].id, i).second)
      d.warning(std::nullopt, fmt::format("path '{}'", paths[i].name),
                fmt::format("file id {} is also used by '{}'", paths[i].id, paths[by_id[paths[i].id]].name));
  }
  enum : uint8_t { kNew, kOnStack, kDone };
  std::vector<uint8_t> state(paths.size(), kNew);
  std::vector<size_t> stack;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (state[i] == kDone) continue;
    stack.clear();
    std::string base;  // the path the top of the stack hangs under, when has_base
    bool has_base = false, broken = false;
    for (size_t j = i;;) {
      if (state[j] == kDone) {
        base = paths[j].path;
        has_base = true;
        break;
      }
      if (state[j] == kOnStack) {
        d.error(std::nullopt, fmt::format("path '{}' (id {})", paths[j].name, paths[j].id),
                "its parent chain loops back to it");
        broken = true;
        break;
      }
      state[j] = kOnStack;
      stack.push_back(j);
      const uint32_t parent = paths[j].parent;
      if (parent == 0) break;
      auto it = by_id.find(parent);
      if (it == by_id.end()) {
        d.error(std::nullopt, fmt::format("path '{}' (id {})", paths[j].name, paths[j].id),
                fmt::format("parent id {} is not in the Paths tree", parent));
        broken = true;
        break;
      }
      j = it->second;
    }
    // Unwind: the deepest ancestor first. Entries above a break hang under "?".
    for (size_t k = stack.size(); k-- > 0;) {
      PathEntry& e = paths[stack[k]];
      const bool top = k == stack.size() - 1;
      if (top && broken) e.path = "?/" + e.name;
      else if (top && !has_base) e.path = e.name;
      else e.path = (top ? base : paths[stack[k + 1]].path) + "/" + e.name;
      state[stack[k]] = kDone;
      if (e.path.size() > budget) {
        d.add(make_error(ErrorCode::kLimit, "Paths tree",
                         "the full paths need more memory than the limit (16 times the file size plus 64 MiB, "
                         "or --max-memory)"));
        return false;
      }
      budget -= e.path.size();
    }
  }
  return true;
}

}  // namespace

bool read_paths(const Store& s, const std::vector<TreeEntry>& entries, Bom& out) {
  uint64_t budget = text_budget(s.file_size());
  out.paths.reserve(entries.size());
  for (const TreeEntry& te : entries) {
    PathEntry e;
    if (!read_entry(s, te, e, out.diagnostics)) continue;
    const uint64_t text = e.name.size() + e.link_target.size() + e.digest.size();
    if (text > budget) {
      out.diagnostics.add(make_error(ErrorCode::kLimit, "Paths tree",
                                     "names and link targets need more memory than the limit (16 times the file "
                                     "size plus 64 MiB, or --max-memory)"));
      return false;
    }
    budget -= text;
    out.paths.push_back(std::move(e));
  }
  return build_paths(out.paths, budget, out.diagnostics);
}

}  // namespace upscope::bom
