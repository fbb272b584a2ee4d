// `upscope inspect` for HFS+ / HFSX volumes (and HFS wrappers): volume header fields, journal
// presence (noted, never replayed), case sensitivity, B-tree shapes and catalog record counts.
#include <fmt/format.h>

#include "hfs/json.hpp"
#include "hfs/volume.hpp"
#include "inspect_registry.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_hfs(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto v = hfs::Volume::open(src, &r.diagnostics);
  if (!v) {
    r.error = v.error();
    return r;
  }
  const auto& info = (*v)->info();
  const auto& h = info.header;
  r.json = hfs::to_json(info);
  const hfs::BTreeShape ct = (*v)->catalog_shape();
  r.json["catalog_btree"] = {{"depth", ct.depth},         {"root_node", ct.root_node},     {"leaf_records", ct.leaf_records},
                             {"node_size", ct.node_size}, {"total_nodes", ct.total_nodes}, {"free_nodes", ct.free_nodes},
                             {"key_compare_type", fmt::format("0x{:02x}", ct.key_compare_type)}};
  r.text += fmt::format("  {} volume '{}' ({}), version {}, {} blocks of {} bytes ({} free)\n",
                        h.hfsx() ? "HFSX" : "HFS+", info.name, info.how, h.version,
                        h.total_blocks, h.block_size, h.free_blocks);
  r.text += fmt::format("  {} files, {} folders, next CNID {}, {}, attributes 0x{:08x}, last mounted by '{}'\n",
                        h.file_count, h.folder_count, h.next_catalog_id,
                        info.case_sensitive ? "case-sensitive" : "case-insensitive", h.attributes,
                        hfs::fourcc(h.last_mounted_version));
  if (info.journaled)
    r.text += fmt::format("  journaled (journal info block {}); the journal is not replayed\n", h.journal_info_block);
  r.text += fmt::format("  catalog B-tree: depth {}, {} leaf records, {} of {} nodes of {} bytes in use\n", ct.depth,
                        ct.leaf_records, ct.total_nodes - ct.free_nodes, ct.total_nodes, ct.node_size);
  if (auto c = (*v)->count_records()) {
    r.json["records"] = {{"folders", c->folders},       {"files", c->files},       {"threads", c->threads},
                         {"hard_links", c->hard_links}, {"symlinks", c->symlinks}, {"compressed", c->compressed}};
    r.text += fmt::format("  catalog: {} folders, {} files ({} hard links, {} symlinks, {} compressed), {} threads\n",
                          c->folders, c->files, c->hard_links, c->symlinks, c->compressed, c->threads);
  } else {
    r.diagnostics.add(c.error());
  }
  return r;
}

const InspectorRegistrar registered_inspect_hfs({"hfsplus", "hfsx"}, inspect_hfs);

}  // namespace
}  // namespace upscope::cli
