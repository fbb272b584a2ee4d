// `upscope inspect` of HFS+ / HFSX volumes (reports/format_reports.hpp): volume header fields, journal
// presence (noted, never replayed), case sensitivity, the catalog B-tree's shape and record counts.
#include <fmt/format.h>

#include "hfs/json.hpp"
#include "reports/format_reports.hpp"

namespace upscope::reports {

FormatReport hfs_report(const hfs::VolumeInfo& info, const hfs::BTreeShape& ct,
                        const std::optional<hfs::Volume::Counts>& records) {
  const auto& h = info.header;
  FormatReport r{hfs::to_json(info), {}};
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
  if (const auto& c = records) {
    r.json["records"] = {{"folders", c->folders},       {"files", c->files},       {"threads", c->threads},
                         {"hard_links", c->hard_links}, {"symlinks", c->symlinks}, {"compressed", c->compressed}};
    r.text += fmt::format("  catalog: {} folders, {} files ({} hard links, {} symlinks, {} compressed), {} threads\n",
                          c->folders, c->files, c->hard_links, c->symlinks, c->compressed, c->threads);
  }
  return r;
}

}  // namespace upscope::reports
