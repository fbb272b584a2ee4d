#include "ota/files.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

namespace upscope::ota {

namespace fs = std::filesystem;

Result<PackageFiles> PackageFiles::open(const std::string& path, size_t max_items, Diagnostics& diags) {
  PackageFiles p;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    p.root_ = path;
    // Symlinks are not followed: a package tree must not reach outside itself.
    fs::recursive_directory_iterator it(path, fs::directory_options::none, ec), end;
    if (ec) return fail(make_error(ErrorCode::kIo, "", fmt::format("cannot list the directory: {}", ec.message())).in_file(path));
    for (; it != end; it.increment(ec)) {
      if (ec) return fail(make_error(ErrorCode::kIo, "", fmt::format("cannot list the directory: {}", ec.message())).in_file(path));
      const auto& e = *it;
      std::string rel = fs::relative(e.path(), path, ec).generic_string();
      if (e.is_symlink(ec)) {
        diags.warning(std::nullopt, rel, "symbolic link in the package tree: not followed");
        continue;
      }
      if (!e.is_regular_file(ec)) continue;
      if (p.files_.size() >= max_items)
        return fail(make_error(ErrorCode::kLimit, "", fmt::format("more than {} files in the package tree", max_items)).in_file(path));
      FileRef f;
      f.path = rel;
      f.size = f.stored_size = e.file_size(ec);
      p.files_.push_back(std::move(f));
    }
  } else {
    UPSCOPE_TRY(SourcePtr src, FileSource::open(path));
    return open_zip(std::move(src), diags);
  }
  return p.finish(diags);
}

Result<PackageFiles> PackageFiles::open_zip(SourcePtr src, Diagnostics& diags) {
  PackageFiles p;
  {
    UPSCOPE_TRY(zip::Archive a, zip::open(std::move(src)));
    p.archive_ = std::make_shared<zip::Archive>(std::move(a));
    diags.append(p.archive_->diagnostics);
    for (const auto& m : p.archive_->members) {
      if (m.is_directory()) continue;
      FileRef f;
      f.path = m.name;
      while (f.path.rfind("./", 0) == 0) f.path.erase(0, 2);
      f.size = m.uncompressed_size;
      f.stored_size = m.compressed_size;
      f.compression = m.method == zip::kMethodStored ? "stored"
                      : m.method == zip::kMethodDeflate ? "deflate"
                                                        : fmt::format("method {}", m.method);
      f.member = &m;
      p.files_.push_back(std::move(f));
    }
  }
  return p.finish(diags);
}

PackageFiles& PackageFiles::finish(Diagnostics& diags) {
  PackageFiles& p = *this;
  std::sort(p.files_.begin(), p.files_.end(), [](const FileRef& a, const FileRef& b) { return a.path < b.path; });
  for (size_t i = 1; i < p.files_.size(); ++i)
    if (p.files_[i].path == p.files_[i - 1].path)
      diags.warning(std::nullopt, p.files_[i].path, "the name appears more than once in the package");
  return p;
}

const FileRef* PackageFiles::find(const std::string& path) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), path,
                             [](const FileRef& f, const std::string& p) { return f.path < p; });
  return it != files_.end() && it->path == path ? &*it : nullptr;
}

bool PackageFiles::has_prefix(const std::string& prefix) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), prefix,
                             [](const FileRef& f, const std::string& p) { return f.path < p; });
  return it != files_.end() && it->path.rfind(prefix, 0) == 0;
}

Result<SourcePtr> PackageFiles::open_file(const FileRef& f, uint64_t max_inflate) const {
  if (archive_) return zip::open_member(*archive_, *f.member, max_inflate);
  const std::string full = (fs::path(root_) / f.path).string();
  UPSCOPE_TRY(auto file, MappedFile::open(full));
  return SourcePtr(std::make_shared<FileSource>(file, f.path));
}

}  // namespace upscope::ota
