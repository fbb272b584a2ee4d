// Extraction with every path kept inside the target: unsafe names are refused, parents are
// checked for symlinks, and the archive's own symlinks are made only after every file is written.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "aa/aa.hpp"
#include "inspect/hash.hpp"
#include "inspect/new_file.hpp"
#include "inspect/text.hpp"

namespace upscope::aa {
namespace fs = std::filesystem;

namespace {

// True when some component between root (exclusive) and p (inclusive) is a symlink.
bool through_symlink(const fs::path& root, const fs::path& rel) {
  fs::path cur = root;
  for (const auto& part : rel) {
    cur /= part;
    std::error_code ec;
    auto st = fs::symlink_status(cur, ec);
    if (ec) return false;  // does not exist yet: nothing further can exist either
    if (fs::is_symlink(st)) return true;
  }
  return false;
}

std::string hex_of(const std::vector<uint8_t>& d) { return to_hex(d); }

}  // namespace

Result<ExtractReport> extract(Bytes archive, const std::string& dir, const ReadOptions& opt) {
  ExtractReport rep;
  auto& d = rep.diagnostics;
  fs::path root(dir);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return fail(make_error(ErrorCode::kIo, "output directory", "cannot create: " + ec.message()).in_file(dir));
  std::vector<std::pair<fs::path, std::string>> links;
  std::vector<std::pair<fs::path, uint64_t>> dir_modes;
  std::vector<uint8_t> buf(1 << 20);
  // Whether `target` may be written: nothing is there, or --overwrite and what is there (a file or a
  // symlink, never followed; a directory stays) was removed. Else an error naming `shown`, skipped.
  auto make_room = [&](const fs::path& target, std::optional<uint64_t> offset, const std::string& where,
                       const std::string& shown) {
    std::error_code lec;
    if (!fs::exists(fs::symlink_status(target, lec))) return true;
    if (!opt.overwrite) {
      d.error(offset, where, fmt::format("'{}' already exists in the target; not overwritten", shown));
      ++rep.skipped;
      return false;
    }
    remove_non_directory(target.string());
    return true;
  };

  auto result = walk(archive, opt, d, [&](Visit& v) -> Status {
    const Entry& e = v.entry;
    auto type = e.type();
    auto path = e.path();
    std::string where = fmt::format("entry {}", e.index);
    if (!type || !path) {
      d.note(e.offset, where, "no TYP or PAT field: not extracted");
      ++rep.skipped;
      return {};
    }
    if (std::string why = e.unsafe_path_reason(); !why.empty()) {
      d.error(e.offset, where, fmt::format("path '{}' rejected: {}", printable({reinterpret_cast<const uint8_t*>(path->data()), path->size()}), why));
      ++rep.skipped;
      return {};
    }
    fs::path rel = fs::path(*path).lexically_normal();
    fs::path target = path->empty() ? root : root / rel;
    if (!path->empty() && through_symlink(root, rel.parent_path())) {
      d.error(e.offset, where, fmt::format("path '{}' rejected: a parent directory is a symlink", *path));
      ++rep.skipped;
      return {};
    }
    auto mode = e.uint("MOD");
    if (*type == 'D') {
      fs::create_directories(target, ec);
      if (ec) { d.error(e.offset, where, fmt::format("cannot create directory '{}': {}", *path, ec.message())); return {}; }
      if (mode) dir_modes.emplace_back(target, *mode);
      ++rep.directories;
      return {};
    }
    if (*type == 'L') {
      auto lnk = e.link();
      if (!lnk || lnk->find('\0') != std::string::npos) {
        d.error(e.offset, where, fmt::format("symlink '{}' has no usable LNK target", *path));
        ++rep.skipped;
        return {};
      }
      links.emplace_back(target, *lnk);
      return {};
    }
    if (*type != 'F') {
      d.note(e.offset, where, fmt::format("{} '{}' not extracted", type_name(*type), *path));
      ++rep.skipped;
      return {};
    }
    if (rel.has_parent_path()) fs::create_directories(root / rel.parent_path(), ec);
    if (!make_room(target, e.offset, where, *path)) return {};
    // O_EXCL|O_NOFOLLOW: a file or symlink that appeared meanwhile is not written through either.
    int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    std::FILE* f = fd >= 0 ? ::fdopen(fd, "wb") : nullptr;
    if (!f) {
      if (fd >= 0) ::close(fd);
      d.error(e.offset, where, fmt::format("cannot create '{}'", *path));
      ++rep.skipped;
      return {};
    }
    const Field* sh1 = e.find("SH1");
    const Field* sh2 = e.find("SH2");
    Hasher h1(HashKind::kSha1), h2(HashKind::kSha256);
    bool write_ok = true;
    for (const auto& fl : e.fields) {  // the payload is the blobs in field order
      if (fl.kind != FieldKind::kBlob) continue;
      uint64_t left = fl.uint_value;
      const bool is_data = fl.key == "DAT";
      while (left) {
        size_t want = size_t(std::min<uint64_t>(left, buf.size()));
        UPSCOPE_TRY(size_t got, v.read_payload({buf.data(), want}));
        if (got == 0) break;
        left -= got;
        if (!is_data) continue;
        Bytes b(buf.data(), got);
        if (sh1) h1.update(b);
        if (sh2) h2.update(b);
        if (std::fwrite(buf.data(), 1, got, f) != got) write_ok = false;
        rep.bytes += got;
      }
    }
    if (std::fclose(f) != 0 || !write_ok) d.error(e.offset, where, fmt::format("writing '{}' failed", *path));
    if (sh1 && h1.hex_digest() != hex_of(sh1->digest))
      d.error(e.offset, where, fmt::format("'{}': SHA-1 of DAT does not match the SH1 field {}", *path, hex_of(sh1->digest)));
    if (sh2 && h2.hex_digest() != hex_of(sh2->digest))
      d.error(e.offset, where, fmt::format("'{}': SHA-256 of DAT does not match the SH2 field {}", *path, hex_of(sh2->digest)));
    if (mode) fs::permissions(target, fs::perms(*mode & 0777), ec);
    ++rep.files;
    return {};
  });
  if (!result) return fail(result.error());
  for (const auto& [p, target] : links) {
    if (!make_room(p, std::nullopt, "symlink", p.string())) continue;
    std::error_code lec;
    fs::create_directories(p.parent_path(), lec);
    fs::create_symlink(target, p, lec);
    if (lec) d.error(std::nullopt, "symlink", fmt::format("cannot create '{}': {}", p.string(), lec.message()));
    else ++rep.symlinks;
  }
  for (auto it = dir_modes.rbegin(); it != dir_modes.rend(); ++it)
    fs::permissions(it->first, fs::perms(it->second & 0777), ec);
  return rep;
}

}  // namespace upscope::aa
