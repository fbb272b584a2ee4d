#include "apfs/extract.hpp"

#include <fmt/format.h>

#include "apfs/structs.hpp"
#include "inspect/new_file.hpp"

namespace upscope::apfs {

namespace fs = std::filesystem;

std::string sanitize_component(const std::string& name) {
  std::string s = name;
  for (char& ch : s)
    if (ch == '/' || ch == '\0' || ch == '\\') ch = '_';
  if (s.empty()) return "_";
  if (s == "." || s == "..") return "_" + s;
  return s;
}

Result<ExtractStats> extract_tree(const Volume& volume, const std::string& path, const fs::path& out_dir,
                                  Diagnostics& diags, bool replace) {
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return fail(ErrorCode::kIo, out_dir.string(), "cannot create the output directory: " + ec.message());
  const fs::path root = fs::canonical(out_dir, ec);
  if (ec) return fail(ErrorCode::kIo, out_dir.string(), ec.message());
  UPSCOPE_TRY(uint64_t start, volume.lookup(path));
  // The walk's paths are relative to `path`; the start entry itself is named by its last component.
  std::string base = path;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  ExtractStats stats;
  auto target_for = [&](const std::string& p) -> std::optional<fs::path> {
    std::string rel = p.substr(std::min(p.size(), base == "/" ? size_t(0) : base.size()));
    fs::path out = root;
    size_t pos = 0;
    while (pos <= rel.size()) {
      size_t next = rel.find('/', pos);
      if (next == std::string::npos) next = rel.size();
      if (next > pos) out /= sanitize_component(rel.substr(pos, next - pos));
      pos = next + 1;
    }
    // Defence in depth: the lexical result must still lie inside root.
    auto norm = out.lexically_normal();
    auto r = norm.lexically_relative(root);
    if (r.empty() || *r.begin() == "..") return std::nullopt;
    return norm;
  };
  UPSCOPE_TRY(auto first, volume.inode(start));
  if (!first.is_dir()) {
    std::string leaf = base.substr(base.find_last_of('/') + 1);
    base = base.substr(0, base.size() - leaf.size());
    if (base.size() > 1) base.pop_back();
  }
  UPSCOPE_CHECK(volume.walk(
      start, path,
      [&](const FileEntry& e) {
        auto dst = target_for(e.path);
        if (!dst) {
          diags.error(std::nullopt, e.path, "would land outside the output directory; skipped");
          ++stats.skipped;
          return true;
        }
        const Inode& ino = e.inode;
        if (ino.is_dir()) {
          if (auto st = ensure_directory(dst->string()); !st) {
            diags.error(std::nullopt, e.path, st.error().rule);
            ++stats.skipped;
          } else {
            ++stats.directories;
          }
          return true;
        }
        if (ino.is_symlink()) {
          auto t = volume.symlink_target(ino);
          if (!t) {
            diags.add(t.error());
            ++stats.skipped;
          } else if (auto st = create_symlink(*t, dst->string(), replace); !st) {
            diags.error(std::nullopt, e.path, st.error().rule);
            ++stats.skipped;
          } else {
            ++stats.symlinks;
          }
          return true;
        }
        if (!ino.is_reg()) {
          diags.note(std::nullopt, e.path, fmt::format("special file (mode {:06o}) not extracted", ino.mode));
          ++stats.skipped;
          return true;
        }
        auto src = volume.open_data(ino, e.path);
        Status st = src ? write_new_file(**src, dst->string(), 0644, replace) : Status(fail(src.error()));
        if (!st) {
          diags.add(st.error());
          ++stats.skipped;
        } else {
          ++stats.files;
          stats.bytes += (*src)->size();
        }
        return true;
      },
      diags));
  return stats;
}

}  // namespace upscope::apfs
