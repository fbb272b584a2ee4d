// The file-system lister of `upscope ls IMAGE[:/path]`: the files of an APFS volume (raw container,
// partitioned disk or disk image) with inode, mode, owner, size, compression and an optional hash.
// Images without an APFS container fall back to the HFS+ lister (ls_hfs.cpp); both list through
// ls_volume.hpp.
#include <fmt/format.h>

#include "apfs/json.hpp"
#include "apfs/locate.hpp"
#include "apfs/volume.hpp"
#include "cli.hpp"
#include "inspect/hash.hpp"
#include "inspect/thread_pool.hpp"
#include "ls_hfs.hpp"
#include "ls_registry.hpp"
#include "ls_volume.hpp"

namespace upscope::cli {
namespace {

// What `ls` shows of one APFS file, and its compression for the JSON row's head (built when the
// row is written: the heads of a whole volume would be most of a listing's memory).
VolumeRow describe(const apfs::Volume& vol, const apfs::FileEntry& e, std::optional<apfs::Compression>& compression) {
  VolumeRow r;
  const auto& ino = e.inode;
  auto xs = vol.xattrs(ino.id);
  if (xs) {
    for (const auto& x : *xs) r.xattrs.emplace_back(x.name, x.size());
  } else {
    r.error = xs.error();
  }
  if (ino.is_symlink()) {
    if (auto t = vol.symlink_target(ino)) r.target = *t;
    else r.error = t.error();
  }
  if (ino.compressed() && xs) {  // (unreadable xattrs: r.error says so already)
    if (auto c = vol.compression(ino, *xs)) compression = *c;
    else r.error = c.error();
  }
  r.path = e.path;
  r.id = ino.id;
  r.mode = fmt::format("{:06o}", ino.mode);
  r.uid = ino.uid;
  r.gid = ino.gid;
  r.nlink = ino.nlink();
  r.directory = ino.is_dir();
  r.regular = ino.is_reg();
  r.symlink = ino.is_symlink();
  r.size = compression ? compression->uncompressed_size : ino.dstream ? ino.dstream->size : 0;
  if (compression) r.compression = fmt::format("{}({})", compression->method, compression->type);
  return r;
}

int list_filesystem(Context& ctx, const LsRequest& opt, const IdentifiedInput& input) {
  const std::optional<HashKind> hk = opt.hash;
  const std::string& image = opt.image;
  const bool json = ctx.global.output_format() == Format::kJson;
  std::string path = opt.path;
  if (path.empty()) path = "/";
  Diagnostics diags;
  auto opened = input.source ? apfs::open_source(input.source, &diags) : apfs::open_image(image, &diags);
  // No APFS container in the image: it may hold an HFS+ volume instead.
  if (!opened && read_as_hfs(opened.error(), opt.volume)) return list_hfs(ctx, opt, input);
  if (!opened) {
    print_error(opened.error());
    return kExitError;
  }
  const auto& c = *opened->container;
  std::vector<size_t> picks;
  if (!opt.volume.empty()) {
    auto v = c.open_volume(opt.volume);
    if (!v) {
      print_error(v.error());
      return kExitError;
    }
    picks.push_back((*v)->info().index);
  } else {
    for (const auto& v : c.volumes()) picks.push_back(v.index);
  }
  int rc = kExitOk;
  reports::VolumeListing header;
  header.document = "apfs-ls";
  header.image = image;
  header.located = opened->located.how;
  header.container = c.info().uuid;
  header.id_header = "INODE";
  header.hash = hk;
  header.headings = picks.size() > 1;
  ListingOutput out(ctx, std::move(header), diags);
  if (!out.ok()) return kExitError;
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  for (size_t idx : picks) {
    if (c.volumes()[idx].name.empty() && !c.volumes()[idx].error.empty()) {
      rc = kExitError;  // unreadable volume superblock: already among the container's diagnostics
      continue;
    }
    auto vol = c.open_volume(idx);
    if (!vol) {
      diags.add(vol.error());
      rc = kExitError;
      continue;
    }
    auto start = (*vol)->lookup(path);
    if (!start) {
      print_error(start.error().in_file(image));
      rc = kExitError;
      continue;
    }
    std::vector<apfs::FileEntry> entries;
    auto st = (*vol)->walk(*start, path, [&](const apfs::FileEntry& e) {
      entries.push_back(e);
      return true;
    }, diags);
    if (!st) {
      diags.add(st.error());
      rc = kExitError;
    }
    const apfs::Volume& v = **vol;
    std::vector<std::optional<apfs::Compression>> compressions(entries.size());
    VolumeFiles vf;
    vf.name = v.info().name;
    vf.count = entries.size();
    vf.describe = [&](size_t i) { return describe(v, entries[i], compressions[i]); };
    vf.stored_size = [&](size_t i) -> uint64_t {
      const auto& ino = entries[i].inode;
      return ino.dstream ? ino.dstream->size : 0;
    };
    vf.open_data = [&](size_t i) { return v.open_data(entries[i].inode, entries[i].path); };
    // Inode numbers are handed out as files are created, and a new file's blocks are allocated then.
    vf.place = [&](size_t i) { return entries[i].inode.id; };
    vf.backing = &v.container().source();
    out.begin_volume(apfs::to_json(v.info()), fmt::format("volume {} '{}' ({})", idx, v.info().name, v.info().uuid),
                     path, entries.size());
    list_volume_files(vf, hk, pool, [&](size_t i, VolumeRow r) {
      if (json) r.head = reports::apfs_row_head(entries[i], compressions[i], r.size);
      out.row(std::move(r));
    });
    out.end_volume();
  }
  return out.finish(rc);
}

const ListerRegistrar registered_ls_filesystem({"apfs", "udif", "sparseimage", "gpt", "apm", "mbr"}, list_filesystem);

}  // namespace
}  // namespace upscope::cli
