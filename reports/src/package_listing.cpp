// BOM and installer-package listings (reports/package_listing.hpp).
#include "reports/package_listing.hpp"

#include <fmt/format.h>

#include "reports/text_table.hpp"

namespace upscope::reports {

namespace {

// The entries (BOM paths or payload archive entries) at or under `prefix`.
template <class Entry>
std::vector<const Entry*> rows_under(const std::vector<Entry>& all, std::string_view prefix) {
  std::vector<const Entry*> rows;
  for (const auto& e : all)
    if (listed_under(e.path, prefix)) rows.push_back(&e);
  return rows;
}

std::string bom_table(const std::vector<const bom::PathEntry*>& rows) {
  using A = TextTable::Align;
  TextTable t({"TYPE", "MODE", "UID", "GID", "SIZE", "CHECKSUM", "PATH"},
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

std::string payload_table(const std::vector<const pkg::ArchiveEntry*>& rows) {
  using A = TextTable::Align;
  TextTable t({"TYPE", "MODE", "UID", "GID", "SIZE", "PATH"}, {A::kLeft, A::kLeft, A::kRight, A::kRight, A::kRight, A::kLeft});
  for (const auto* e : rows) {
    std::string path = e->path;
    if (!e->link.empty()) path += (e->type == 'H' ? " => " : " -> ") + e->link;
    t.add_row({std::string(1, e->type), pkg::mode_string(e->mode), std::to_string(e->uid), std::to_string(e->gid),
               e->type == 'D' ? "-" : std::to_string(e->size), path});
  }
  return t.str();
}

template <class Row>
Json rows_json(const std::vector<const Row*>& rows) {
  Json files = Json::array();
  for (const auto* e : rows) files.push_back(to_json(*e));
  return files;
}

std::string shown_prefix(const std::string& prefix) { return prefix.empty() ? "/" : prefix; }

}  // namespace

bool listed_under(std::string_view path, std::string_view prefix) {
  if (prefix.empty() || prefix == "/") return true;
  if (path.substr(0, 1) == ".") path.remove_prefix(1);
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  return path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

Json bom_ls_document(const std::string& source, const std::string& prefix, const bom::Bom& b) {
  const auto rows = rows_under(b.paths, prefix);
  auto doc = make_document("bom-ls");
  doc["source"] = source;
  doc["path"] = shown_prefix(prefix);
  doc["count"] = rows.size();
  doc["complete"] = b.paths_complete;
  doc["files"] = rows_json(rows);
  doc["diagnostics"] = to_json(b.diagnostics);
  return doc;
}

std::string bom_ls_text(const bom::Bom& b, const std::string& prefix) { return bom_table(rows_under(b.paths, prefix)); }

Json pkg_ls_document(const std::string& source, pkg::Kind kind, const std::string& prefix,
                     const std::vector<PkgComponentListing>& components, const Diagnostics& diags) {
  auto doc = make_document("pkg-ls");
  doc["source"] = source;
  doc["kind"] = pkg::to_string(kind);
  doc["path"] = shown_prefix(prefix);
  Json comps = Json::array();
  for (const auto& c : components) {
    Json cj;
    cj["name"] = c.name;
    cj["bom"] = nullptr;
    cj["payload"] = nullptr;
    if (c.bom) {
      const auto rows = rows_under(c.bom->paths, prefix);
      cj["bom"] = {{"member", c.bom_member}, {"count", rows.size()}, {"complete", c.bom->paths_complete}, {"files", rows_json(rows)}};
    }
    if (c.payload) {
      const auto rows = rows_under(c.payload->entries, prefix);
      cj["payload"] = {{"member", c.payload_member}, {"container", c.payload->container}, {"count", rows.size()},
                       {"truncated", c.payload->truncated}, {"files", rows_json(rows)}};
    }
    comps.push_back(std::move(cj));
  }
  doc["components"] = std::move(comps);
  doc["diagnostics"] = to_json(diags);
  return doc;
}

std::string pkg_ls_text(const std::string& prefix, const std::vector<PkgComponentListing>& components) {
  std::vector<std::pair<std::string, std::string>> tables;  // heading, table
  for (const auto& c : components) {
    if (c.bom) tables.emplace_back(c.bom_member, bom_table(rows_under(c.bom->paths, prefix)));
    if (c.payload)
      tables.emplace_back(fmt::format("{} ({})", c.payload_member, c.payload->container),
                          payload_table(rows_under(c.payload->entries, prefix)));
  }
  std::string text;
  for (const auto& [heading, table] : tables) {
    if (tables.size() > 1) text += (text.empty() ? "" : "\n") + heading + ":\n";
    text += table;
  }
  return text;
}

}  // namespace upscope::reports
