#include "hfs/extract.hpp"

#include <set>

#include <fmt/format.h>

#include "inspect/new_file.hpp"

#include "apfs/extract.hpp"  // sanitize_component, shared by the volume extractors

namespace upscope::hfs {

namespace fs = std::filesystem;

Result<ExtractStats> extract_tree(const Volume& volume, const std::string& path_in, const fs::path& out_dir,
                                  Diagnostics& diags, bool replace) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return fail(ErrorCode::kIo, out_dir.string(), "cannot create the output directory: " + ec.message());
  const fs::path root = fs::canonical(out_dir, ec);
  if (ec) return fail(ErrorCode::kIo, out_dir.string(), ec.message());
  std::string base = path_in.empty() ? "/" : path_in;
  if (base.front() != '/') base.insert(base.begin(), '/');
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  UPSCOPE_TRY(CatalogEntry first, volume.lookup(base));
  // A file is written as out_dir/<its name>; a folder's contents go straight into out_dir.
  std::string strip = base == "/" ? "" : base;
  if (!first.is_folder()) strip = base.substr(0, base.find_last_of('/'));
  std::set<std::string> dirs_ok = {root.string()};  // directories this run created or verified
  ExtractStats stats;
  UPSCOPE_CHECK(volume.walk(base, [&](const FileEntry& e) {
    std::string rel = e.path.substr(std::min(e.path.size(), strip.size()));
    fs::path dst = root;
    for (size_t pos = 0; pos <= rel.size();) {
      size_t next = rel.find('/', pos);
      if (next == std::string::npos) next = rel.size();
      if (next > pos) dst /= apfs::sanitize_component(rel.substr(pos, next - pos));
      pos = next + 1;
    }
    dst = dst.lexically_normal();
    auto r = dst.lexically_relative(root);
    if (r.empty() || *r.begin() == "..") {
      diags.error(std::nullopt, e.path, "would land outside the output directory; skipped");
      ++stats.skipped;
      return true;
    }
    if (dst == root) return true;  // the folder being extracted is out_dir itself
    if (!dirs_ok.count(dst.parent_path().string())) {
      diags.error(std::nullopt, e.path, "its parent directory was not created by this extraction; skipped");
      ++stats.skipped;
      return true;
    }
    const CatalogEntry& t = e.target;
    if (t.is_folder()) {
      if (auto st = ensure_directory(dst.string()); !st) {
        diags.error(std::nullopt, e.path, st.error().rule);
        ++stats.skipped;
      } else {
        dirs_ok.insert(dst.string());
        ++stats.directories;
      }
      return true;
    }
    if (t.is_symlink()) {
      auto target = volume.symlink_target(t);
      if (!target) {
        diags.add(target.error());
        ++stats.skipped;
      } else if (auto st = create_symlink(*target, dst.string(), replace); !st) {
        diags.error(std::nullopt, e.path, st.error().rule);
        ++stats.skipped;
      } else {
        ++stats.symlinks;
      }
      return true;
    }
    const uint16_t type = t.effective_mode() & 0170000;
    if (!t.is_file() || (type != 0100000)) {
      diags.note(std::nullopt, e.path, fmt::format("special file (mode {:06o}) not extracted", t.effective_mode()));
      ++stats.skipped;
      return true;
    }
    auto src = volume.open_data(t, e.path);
    Status st = src ? write_new_file(**src, dst.string(), 0644, replace) : Status(fail(src.error()));
    if (!st) {
      diags.add(st.error());
      ++stats.skipped;
    } else {
      ++stats.files;
      stats.bytes += (*src)->size();
    }
    return true;
  }, diags));
  return stats;
}

}  // namespace upscope::hfs
