#include "inspect/new_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace upscope {

bool remove_non_directory(const std::string& path) {
  struct stat sb;
  return ::lstat(path.c_str(), &sb) == 0 && !S_ISDIR(sb.st_mode) && ::unlink(path.c_str()) == 0;
}

Status write_new_file(const Source& src, const std::string& path, unsigned mode, bool replace) {
  if (replace) remove_non_directory(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST) return fail(ErrorCode::kIo, path, "exists; not overwritten");
  if (fd < 0) return fail(ErrorCode::kIo, path, fmt::format("cannot create: {}", std::strerror(errno)));
  auto put = [&](Bytes b) -> Status {
    for (size_t w = 0; w < b.size();) {
      ssize_t r = ::write(fd, b.data() + w, b.size() - w);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return fail(ErrorCode::kIo, path, fmt::format("write failed: {}", std::strerror(errno)));
      w += static_cast<size_t>(r);
    }
    return {};
  };
  Status st;
  if (auto all = src.contiguous()) {
    st = put(*all);
  } else {
    constexpr uint64_t kPiece = 1 << 20;
    std::vector<uint8_t> buf;
    for (uint64_t off = 0; off < src.size() && st; off += kPiece) {
      buf.resize(std::min(kPiece, src.size() - off));
      st = src.read_at(off, buf);
      if (st) st = put(buf);
    }
  }
  if (::close(fd) != 0 && st) st = fail(ErrorCode::kIo, path, fmt::format("close failed: {}", std::strerror(errno)));
  return st;
}

Status ensure_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST)
    return fail(ErrorCode::kIo, path, fmt::format("mkdir failed: {}", std::strerror(errno)));
  struct stat sb;
  if (::lstat(path.c_str(), &sb) != 0 || !S_ISDIR(sb.st_mode))
    return fail(ErrorCode::kIo, path, "exists and is not a directory; skipped");
  return {};
}

Status create_symlink(const std::string& target, const std::string& path, bool replace) {
  if (replace) remove_non_directory(path);
  if (::symlink(target.c_str(), path.c_str()) != 0)
    return fail(ErrorCode::kIo, path, fmt::format("symlink failed: {}", std::strerror(errno)));
  return {};
}

}  // namespace upscope
