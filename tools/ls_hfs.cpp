// `upscope ls IMAGE[:/path]` for HFS+ / HFSX volumes (raw, partitioned, or in a disk image): CNID,
// mode, owner, size, compression, xattrs and an optional content hash per file ("hfs-ls" document),
// listed by the one file-system lister (ls_volume.hpp).
#include "ls_hfs.hpp"

#include <fmt/format.h>

#include "hfs/json.hpp"
#include "hfs/locate.hpp"
#include "hfs/volume.hpp"
#include "ls_volume.hpp"

namespace upscope::cli {
namespace {

// What `ls` shows of one HFS+ file (the first error kept when there are several), and its
// compression for the JSON row's head (built when the row is written, as for APFS).
VolumeRow describe(const hfs::Volume& vol, const hfs::FileEntry& e, std::optional<hfs::Compression>& compression) {
  VolumeRow r;
  const auto& t = e.target;
  auto note = [&](const Error& err) {
    if (!r.error) r.error = err;
  };
  if (auto xs = vol.xattrs(t.id)) {
    for (const auto& x : *xs) r.xattrs.emplace_back(x.name, x.size());
  } else {
    note(xs.error());
  }
  if (t.is_file()) {
    if (t.is_symlink()) {
      if (auto s = vol.symlink_target(t)) r.target = *s;
      else note(s.error());
    }
    r.size = t.data.logical_size;
    if (t.compressed()) {
      if (auto c = vol.compression(t)) {
        compression = *c;
        if (*c) r.size = (*c)->uncompressed_size;
      } else {
        note(c.error());
      }
    }
  }
  r.path = e.path;
  r.id = t.id;
  r.mode = fmt::format("{:06o}", t.effective_mode());
  r.uid = t.owner_id;
  r.gid = t.group_id;
  r.nlink = t.link_count();
  r.directory = t.is_folder();
  r.symlink = t.is_symlink();
  r.regular = t.is_regular();
  if (compression) r.compression = fmt::format("{}({})", compression->method, compression->type);
  return r;
}

}  // namespace

int list_hfs(Context& ctx, const LsRequest& opt, const IdentifiedInput& input) {
  const std::optional<HashKind> hk = opt.hash;
  const std::string& image = opt.image;
  const std::string path = opt.path.empty() ? "/" : opt.path;
  const bool json = ctx.global.output_format() == Format::kJson;
  Diagnostics diags;
  auto opened = input.source ? hfs::open_source(input.source, &diags) : hfs::open_image(image, &diags);
  if (!opened) {
    print_error(opened.error().in_file(image));
    return kExitError;
  }
  const hfs::Volume& v = *opened->volume;
  int rc = kExitOk;
  std::vector<hfs::FileEntry> entries;
  auto st = v.walk(path, [&](const hfs::FileEntry& e) {
    entries.push_back(e);
    return true;
  }, diags);
  if (!st) {
    print_error(st.error().in_file(image));
    return kExitError;
  }
  reports::VolumeListing header;
  header.document = "hfs-ls";
  header.image = image;
  header.located = opened->located.how;
  header.id_header = "CNID";
  header.hash = hk;
  ListingOutput out(ctx, std::move(header), diags);
  if (!out.ok()) return kExitError;
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  std::vector<std::optional<hfs::Compression>> compressions(entries.size());
  VolumeFiles vf;
  vf.name = v.info().name;
  vf.count = entries.size();
  vf.describe = [&](size_t i) { return describe(v, entries[i], compressions[i]); };
  vf.stored_size = [&](size_t i) -> uint64_t { return entries[i].target.data.logical_size; };
  vf.open_data = [&](size_t i) { return v.open_data(entries[i].target, entries[i].path); };
  vf.place = [&](size_t i) -> uint64_t {
    const hfs::CatalogEntry& t = entries[i].target;  // a compressed file's data is in its resource fork
    return (t.compressed() && t.rsrc.logical_size ? t.rsrc : t.data).extents[0].start_block;
  };
  vf.backing = &v.source();
  out.begin_volume(hfs::to_json(v.info()), {}, path, entries.size());
  list_volume_files(vf, hk, pool, [&](size_t i, VolumeRow r) {
    if (json) r.head = reports::hfs_row_head(entries[i], compressions[i], r.size);
    out.row(std::move(r));
  });
  out.end_volume();
  return out.finish(rc);
}

namespace {
const ListerRegistrar registered_ls_hfs({"hfsplus", "hfsx", "hfs"}, list_hfs);
}  // namespace

}  // namespace upscope::cli
