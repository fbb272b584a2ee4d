#include "inspect/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace upscope {

static Error io_error(const std::string& path, const std::string& what) {
  Error e = make_error(ErrorCode::kIo, "", what);
  e.file = path;
  return e;
}

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(io_error(path, std::string("cannot open: ") + std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail(io_error(path, std::string("cannot stat: ") + std::strerror(err)));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return fail(io_error(path, "is a directory, not a file"));
  }
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
    ::close(fd);
    return fail(io_error(path, "is not a regular file or block device"));
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    off_t end = ::lseek(fd, 0, SEEK_END);
    size = end > 0 ? static_cast<uint64_t>(end) : 0;
  }
  std::shared_ptr<MappedFile> mf(new MappedFile());
  mf->path_ = path;
  if (size > 0 && size <= kSmallFile && S_ISREG(st.st_mode)) {
    mf->copy_.reset(new uint8_t[size]);
    size_t got = 0;
    while (got < size) {
      const ssize_t n = ::pread(fd, mf->copy_.get() + got, size - got, static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int err = n < 0 ? errno : 0;
        ::close(fd);
        return fail(io_error(path, err ? std::string("cannot read: ") + std::strerror(err)
                                       : "file shrank while being read"));
      }
      got += static_cast<size_t>(n);
    }
    mf->data_ = mf->copy_.get();
    mf->size_ = size;
  } else if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return fail(io_error(path, std::string("cannot map: ") + std::strerror(err)));
    }
    mf->data_ = static_cast<const uint8_t*>(p);
    mf->size_ = size;
    if (size >= kByCall && S_ISREG(st.st_mode)) {
      mf->fd_ = fd;
      return std::shared_ptr<const MappedFile>(std::move(mf));
    }
  }
  ::close(fd);
  return std::shared_ptr<const MappedFile>(std::move(mf));
}

MappedFile::~MappedFile() {
  if (data_ && !copy_) ::munmap(const_cast<uint8_t*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

bool MappedFile::read_by_call(uint64_t off, std::span<uint8_t> out) const {
  if (fd_ < 0 || off > size_ || out.size() > size_ - off) return false;
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + got, out.size() - got, static_cast<off_t>(off + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

void MappedFile::release(uint64_t off, uint64_t len) const {
  constexpr uint64_t kPage = 4096;
  if (!data_ || copy_ || off >= size_ || len == 0) return;
  const uint64_t end = len > size_ - off ? size_ : off + len;
  // Only whole pages inside the range: a page shared with a neighbour (another file of a volume,
  // perhaps being hashed by another thread right now) stays mapped. The file's tail page counts.
  const uint64_t first = (off + kPage - 1) / kPage * kPage;
  const uint64_t last = end == size_ ? size_ : end / kPage * kPage;
  if (first >= last) return;
  ::madvise(const_cast<uint8_t*>(data_) + first, last - first, MADV_DONTNEED);
}

void MappedFile::advise_sequential() const {
  if (data_ && !copy_) ::madvise(const_cast<uint8_t*>(data_), size_, MADV_SEQUENTIAL);
}

}  // namespace upscope
