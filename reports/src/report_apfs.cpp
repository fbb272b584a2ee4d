// `upscope inspect` of APFS containers (reports/format_reports.hpp): the superblock in use, and per
// volume its name, UUID, role, flags (case sensitivity, encryption, seal) and snapshots.
#include <fmt/format.h>

#include "apfs/json.hpp"
#include "reports/format_reports.hpp"

namespace upscope::reports {

bool apfs_volume_unreadable(const apfs::VolumeInfo& v) { return v.name.empty() && !v.error.empty(); }

FormatReport apfs_report(const apfs::Container& c, const std::vector<std::optional<ApfsVolumeReading>>& volumes) {
  FormatReport r{apfs::to_json(c), {}};
  const auto& ci = c.info();
  r.text += fmt::format("  container {}: {} blocks of {} bytes{}, checkpoint xid {} (block {})\n", ci.uuid,
                        ci.block_count, ci.block_size,
                        ci.device_blocks < ci.block_count ? fmt::format(" ({} present)", ci.device_blocks) : "",
                        ci.xid, ci.superblock_paddr);
  for (size_t i = 0; i < c.volumes().size(); ++i) {
    const auto& v = c.volumes()[i];
    if (apfs_volume_unreadable(v)) {
      r.text += fmt::format("  volume {} (oid {}): unreadable: {}\n", i, v.oid, v.error);
      continue;
    }
    std::vector<std::string> flags;
    flags.push_back(v.case_sensitive ? "case-sensitive" : "case-insensitive");
    if (v.encrypted) flags.push_back("encrypted");
    if (v.sealed) flags.push_back("sealed");
    r.text += fmt::format("  volume {} '{}' {} role {} [{}], {} files, {} directories, {} symlinks, formatted by {}\n",
                          i, v.name, v.uuid, v.role_name.empty() ? "none" : v.role_name, fmt::join(flags, ", "),
                          v.num_files, v.num_directories, v.num_symlinks, v.formatted_by);
    if (v.integrity)
      r.text += fmt::format("    seal: {} root hash {} (flags {:#x}; unverified format)\n", v.integrity->hash_type_name,
                            v.integrity->root_hash, v.integrity->flags);
    if (i >= volumes.size() || !volumes[i]) continue;  // not opened
    const ApfsVolumeReading& read = *volumes[i];
    auto& vj = r.json["volumes"][i];
    if (read.snapshots) {
      Json sj = Json::array();
      for (const auto& s : *read.snapshots) {
        sj.push_back(apfs::to_json(s));
        r.text += fmt::format("    snapshot xid {} '{}'\n", s.xid, s.name);
      }
      vj["snapshots"] = sj;
    }
    if (v.sealed && !read.cryptex_role.empty()) {
      vj["cryptex_role"] = read.cryptex_role;
      r.text += fmt::format("    looks like a cryptex: {} (unverified heuristic)\n", read.cryptex_role);
    }
  }
  return r;
}

}  // namespace upscope::reports
