// `upscope inspect` for APFS containers: the container superblock in use, and per volume its name,
// UUID, role, flags (case sensitivity, encryption, seal) and snapshots.
#include <fmt/format.h>

#include "apfs/container.hpp"
#include "apfs/json.hpp"
#include "apfs/volume.hpp"
#include "inspect_registry.hpp"

namespace upscope::cli {
namespace {

InspectResult inspect_apfs(const Context&, const SourcePtr& src, const Identification&) {
  InspectResult r;
  auto c = apfs::Container::open(src);
  if (!c) {
    r.error = c.error();
    return r;
  }
  r.diagnostics.append((*c)->diagnostics());
  const auto& ci = (*c)->info();
  r.json = apfs::to_json(**c);
  r.text += fmt::format("  container {}: {} blocks of {} bytes{}, checkpoint xid {} (block {})\n", ci.uuid,
                        ci.block_count, ci.block_size,
                        ci.device_blocks < ci.block_count ? fmt::format(" ({} present)", ci.device_blocks) : "",
                        ci.xid, ci.superblock_paddr);
  for (size_t i = 0; i < (*c)->volumes().size(); ++i) {
    const auto& v = (*c)->volumes()[i];
    if (v.name.empty() && !v.error.empty()) {
      r.text += fmt::format("  volume {} (oid {}): unreadable: {}\n", i, v.oid, v.error);
      continue;  // already among the container's diagnostics
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
    auto vol = (*c)->open_volume(i);
    if (!vol) {
      r.diagnostics.add(vol.error());
      continue;
    }
    auto& vj = r.json["volumes"][i];
    if (auto snaps = (*vol)->snapshots()) {
      reports::Json sj = reports::Json::array();
      for (const auto& s : *snaps) {
        sj.push_back(apfs::to_json(s));
        r.text += fmt::format("    snapshot xid {} '{}'\n", s.xid, s.name);
      }
      vj["snapshots"] = sj;
    } else {
      r.diagnostics.add(snaps.error());
    }
    if (v.sealed) {
      std::string role = (*vol)->guess_cryptex_role();
      if (!role.empty()) {
        vj["cryptex_role"] = role;
        r.text += fmt::format("    looks like a cryptex: {} (unverified heuristic)\n", role);
      }
    }
  }
  return r;
}

const InspectorRegistrar registered_inspect_apfs({"apfs"}, inspect_apfs);

}  // namespace
}  // namespace upscope::cli
