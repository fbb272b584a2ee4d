// The rows of a BOM's file list, shared by `upscope ls` of a .bom file and of an installer package's
// Bom: the text table (TYPE MODE UID GID SIZE CHECKSUM PATH) and the JSON rows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "bom/bom.hpp"
#include "inspect/limits.hpp"
#include "inspect/source.hpp"
#include "reports/json.hpp"
#include "reports/text_table.hpp"

namespace upscope::cli {

// A BOM file's bytes: the mapped file, or a copy (within --max-memory) when the source is not contiguous.
inline Result<Bytes> bom_bytes(const Source& src, std::vector<uint8_t>& copy) {
  if (auto b = src.contiguous()) return *b;
  UPSCOPE_CHECK(check_memory(src.size(), "BOM file"));
  UPSCOPE_TRY(copy, src.read_vector(0, src.size()));
  return Bytes(copy);
}

// True when a BOM path ("./System/Library") lies at or under `prefix` ("/System", "" or "/" for all).
inline bool bom_path_under(std::string_view bom_path, std::string_view prefix) {
  if (prefix.empty() || prefix == "/") return true;
  if (bom_path.substr(0, 1) == ".") bom_path.remove_prefix(1);
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  return bom_path.substr(0, prefix.size()) == prefix &&
         (bom_path.size() == prefix.size() || bom_path[prefix.size()] == '/');
}

inline std::vector<const bom::PathEntry*> bom_rows(const bom::Bom& b, std::string_view prefix) {
  std::vector<const bom::PathEntry*> rows;
  for (const auto& e : b.paths)
    if (bom_path_under(e.path, prefix)) rows.push_back(&e);
  return rows;
}

inline std::string bom_table(const std::vector<const bom::PathEntry*>& rows) {
  using A = reports::TextTable::Align;
  reports::TextTable t({"TYPE", "MODE", "UID", "GID", "SIZE", "CHECKSUM", "PATH"},
                       {A::kLeft, A::kLeft, A::kRight, A::kRight, A::kRight, A::kRight, A::kLeft});
  for (const auto* e : rows) {
    const bool meta = e->info_ok && !e->path_only;
    std::string path = e->path;
    if (e->type == 3 && e->info_ok) path += " -> " + e->link_target;
    t.add_row({bom::type_name(e->type), meta ? bom::mode_octal(e->mode) : "-", meta ? std::to_string(e->uid) : "-",
               meta ? std::to_string(e->gid) : "-", meta && e->type != 2 ? std::to_string(e->size) : "-",
               e->checksum ? std::to_string(*e->checksum) : "-", path});
  }
  return t.str();
}

inline reports::Json bom_json_rows(const std::vector<const bom::PathEntry*>& rows) {
  reports::Json files = reports::Json::array();
  for (const auto* e : rows) files.push_back(bom::to_json(*e));
  return files;
}

}  // namespace upscope::cli
