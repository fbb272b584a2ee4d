// The BOM as a JSON report (inspect), one path as a JSON row (ls), and the inspect text.
#include <fmt/format.h>

#include "bom/bom.hpp"
#include "inspect/text.hpp"

namespace upscope::bom {

namespace {
using Json = nlohmann::ordered_json;

// Mach-O CPU types BomInfo and executables name (mach/machine.h); anything else by number.
std::string cpu_name(uint32_t t) {
  switch (t) {
    case 0: return "any";
    case 7: return "i386";
    case 0x01000007: return "x86_64";
    case 12: return "arm";
    case 0x0100000c: return "arm64";
    case 0x0200000c: return "arm64_32";
    case 18: return "ppc";
    case 0x01000012: return "ppc64";
    default: return fmt::format("cpu {:#x}", t);
  }
}
}  // namespace

nlohmann::ordered_json to_json(const PathEntry& e) {
  Json j;
  j["path"] = e.path;
  j["id"] = e.id;
  j["parent"] = e.parent;
  j["type"] = type_name(e.type);
  j["flags"] = e.flags;
  j["path_only"] = e.path_only;
  const bool meta = e.info_ok && !e.path_only;
  j["mode"] = meta ? Json(mode_octal(e.mode)) : Json(nullptr);
  j["uid"] = meta ? Json(e.uid) : Json(nullptr);
  j["gid"] = meta ? Json(e.gid) : Json(nullptr);
  j["mtime"] = meta ? Json(e.mtime) : Json(nullptr);
  j["size"] = meta ? Json(e.size) : Json(nullptr);
  j["checksum"] = e.checksum ? Json(*e.checksum) : Json(nullptr);
  j["link_target"] = e.type == 3 && e.info_ok ? Json(e.link_target) : Json(nullptr);
  j["digest"] = e.digest.empty() ? Json(nullptr) : Json(e.digest);
  if (e.device) j["device"] = *e.device;
  if (!e.arches.empty()) {
    Json a = Json::array();
    for (const auto& x : e.arches)
      a.push_back({{"cpu", cpu_name(x.cpu_type)}, {"cpu_type", x.cpu_type}, {"cpu_subtype", x.cpu_subtype},
                   {"size", x.bytes}, {"checksum", x.checksum}});
    j["arches"] = std::move(a);
  }
  j["info_ok"] = e.info_ok;
  return j;
}

nlohmann::ordered_json to_json(const Bom& b) {
  Json j;
  j["format"] = "bom";
  j["file_size"] = b.file_size;
  const Header& h = b.header;
  j["header"] = {{"version", h.version},           {"blocks_in_use", h.blocks_in_use},
                 {"table_offset", h.table_offset}, {"table_length", h.table_length},
                 {"table_entries", b.table_entries}, {"variables_offset", h.variables_offset},
                 {"variables_length", h.variables_length}};
  Json vars = Json::array();
  for (const auto& v : b.variables)
    vars.push_back({{"name", v.name},
                    {"block", v.block},
                    {"address", v.address ? Json(*v.address) : Json(nullptr)},
                    {"size", v.length ? Json(*v.length) : Json(nullptr)}});
  j["variables"] = std::move(vars);
  if (b.info) {
    Json e = Json::array();
    for (const auto& x : b.info->entries) e.push_back({{"cpu", cpu_name(x.cpu_type)}, {"cpu_type", x.cpu_type}, {"bytes", x.bytes}});
    j["bom_info"] = {{"version", b.info->version}, {"path_count", b.info->path_count}, {"entries", std::move(e)}};
  } else {
    j["bom_info"] = nullptr;
  }
  Json trees = Json::array();
  for (const auto& t : b.trees)
    trees.push_back({{"name", t.name},
                     {"header_block", t.header_block},
                     {"root_block", t.root_block},
                     {"node_size", t.node_size},
                     {"declared_entries", t.declared_entries},
                     {"entries", t.entries},
                     {"leaf_nodes", t.leaf_nodes},
                     {"branch_nodes", t.branch_nodes},
                     {"depth", t.depth},
                     {"complete", t.complete}});
  j["trees"] = std::move(trees);
  j["has_paths"] = b.has_paths;
  Counts c = count_types(b);
  j["paths"] = {{"count", b.paths.size()}, {"complete", b.paths_complete}, {"files", c.files},
                {"directories", c.directories}, {"symlinks", c.symlinks}, {"devices", c.devices}, {"other", c.other}};
  return j;
}

std::string to_text(const Bom& b) {
  const Header& h = b.header;
  std::string s;
  s += fmt::format("  BOMStore v{}: {} blocks in use, block table of {} entries at {:#x} ({} bytes), variables at {:#x} ({} bytes)\n",
                   h.version, h.blocks_in_use, b.table_entries, h.table_offset, h.table_length, h.variables_offset,
                   h.variables_length);
  s += "  variables:\n";
  size_t w = 4;
  for (const auto& v : b.variables) w = std::max(w, v.name.size());
  s += fmt::format("    {:<{}}  {:>6}  {:>10}  {:>8}\n", "NAME", w, "BLOCK", "ADDRESS", "SIZE");
  for (const auto& v : b.variables)
    s += fmt::format("    {:<{}}  {:>6}  {:>10}  {:>8}\n", printable(bytes_of(v.name)), w,
                     v.block, v.address ? fmt::format("{:#x}", *v.address) : "-",
                     v.length ? std::to_string(*v.length) : "-");
  if (b.info) {
    s += fmt::format("  BomInfo: version {}, {} paths", b.info->version, b.info->path_count);
    for (size_t i = 0; i < b.info->entries.size(); ++i)
      s += fmt::format("{} {} {} bytes", i ? "," : ";", cpu_name(b.info->entries[i].cpu_type), b.info->entries[i].bytes);
    s += "\n";
  }
  if (!b.trees.empty()) {
    w = 4;
    for (const auto& t : b.trees) w = std::max(w, t.name.size());
    s += "  trees:\n";
    s += fmt::format("    {:<{}}  {:>9}  {:>8}  {:>6}  {:>8}  {:>5}\n", "NAME", w, "NODE SIZE", "ENTRIES", "LEAVES",
                     "BRANCHES", "DEPTH");
    for (const auto& t : b.trees)
      s += fmt::format("    {:<{}}  {:>9}  {:>8}  {:>6}  {:>8}  {:>5}{}\n", t.name, w, t.node_size, t.entries, t.leaf_nodes,
                       t.branch_nodes, t.depth, t.complete ? "" : "  (incomplete)");
  }
  if (b.has_paths) {
    Counts c = count_types(b);
    s += fmt::format("  {} paths: {} files, {} directories, {} symlinks{}{} (list them with `upscope ls`)\n", b.paths.size(),
                     c.files, c.directories, c.symlinks, c.devices ? fmt::format(", {} devices", c.devices) : "",
                     c.other ? fmt::format(", {} other", c.other) : "");
  } else {
    s += "  no Paths variable: not a file list\n";
  }
  return s;
}

}  // namespace upscope::bom
