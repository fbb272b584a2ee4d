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

const char* type_name(const hfs::CatalogEntry& t) {
  if (t.is_folder()) return "directory";
  if (t.is_symlink()) return "symlink";
  return (t.effective_mode() & 0170000) == 0100000 ? "file" : "other";
}

// What `ls` shows of one HFS+ file (the first error kept when there are several).
VolumeRow describe(const hfs::Volume& vol, const hfs::FileEntry& e) {
  VolumeRow r;
  const auto& t = e.target;
  auto note = [&](const Error& err) {
    if (!r.error) r.error = err;
  };
  std::optional<hfs::Compression> compression;
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
    r.size = t.data.logicalSize;
    if (t.compressed()) {
      if (auto c = vol.compression(t)) {
        compression = *c;
        if (*c) r.size = (*c)->uncompressed_size;
      } else {
        note(c.error());
      }
    }
  }
  auto ij = hfs::to_json(t);
  r.path = e.path;
  r.id = t.id;
  r.mode = ij["mode"].get<std::string>();
  r.uid = t.owner_id;
  r.gid = t.group_id;
  r.nlink = ij["nlink"].get<uint64_t>();
  r.directory = t.is_folder();
  r.symlink = t.is_symlink();
  r.regular = t.is_file() && !t.is_symlink() && std::string(type_name(t)) == "file";
  if (compression) r.compression = fmt::format("{}({})", compression->method, compression->type);
  r.head["path"] = e.path;
  r.head["inode"] = t.id;
  r.head["cnid"] = e.entry.id;
  r.head["parent"] = e.entry.parent_id;
  r.head["size"] = r.size;
  for (auto it = ij.begin(); it != ij.end(); ++it)
    if (!r.head.contains(it.key())) r.head[it.key()] = it.value();
  r.head["type"] = type_name(t);
  r.head["hard_link"] = e.entry.is_hard_link() || e.entry.is_dir_link();
  r.head["compression"] = compression ? hfs::to_json(*compression) : reports::Json(nullptr);
  return r;
}

}  // namespace

int list_hfs(Context& ctx, const LsRequest& opt, const IdentifiedInput& input) {
  const bool json = ctx.global.output_format() == Format::kJson;
  const std::optional<HashKind> hk = opt.hash;
  const std::string& image = opt.image;
  const std::string path = opt.path.empty() ? "/" : opt.path;
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
  auto doc = reports::make_document("hfs-ls");
  doc["image"] = image;
  doc["located"] = opened->located.how;
  ThreadPool pool(resolve_jobs(ctx.global.jobs));
  VolumeFiles vf;
  vf.name = v.info().name;
  vf.count = entries.size();
  vf.describe = [&](size_t i) { return describe(v, entries[i]); };
  vf.stored_size = [&](size_t i) -> uint64_t { return entries[i].target.data.logicalSize; };
  vf.open_data = [&](size_t i) { return v.open_data(entries[i].target, entries[i].path); };
  vf.backing = &v.source();
  RenderedRows rendered = render_volume_rows(list_volume_files(vf, hk, pool), "CNID", hk, json, diags, image);
  if (rendered.had_errors) rc = kExitError;
  if (print_diagnostics(ctx, image, diags)) rc = kExitError;
  if (diags.has_errors()) rc = kExitError;
  int out_rc;
  if (json) {
    reports::Json vj = hfs::to_json(v.info());
    vj["path"] = path;
    vj["files"] = std::move(rendered.json);
    reports::Json vols = reports::Json::array();
    vols.push_back(std::move(vj));
    doc["volumes"] = std::move(vols);
    doc["diagnostics"] = reports::to_json(diags);
    out_rc = emit(ctx, doc);
  } else {
    out_rc = emit(ctx, rendered.table);
  }
  return out_rc != kExitOk ? out_rc : rc;
}

namespace {
const ListerRegistrar registered_ls_hfs({"hfsplus", "hfsx", "hfs"}, list_hfs);
}  // namespace

}  // namespace upscope::cli
