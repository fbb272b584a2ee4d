// A read-only view of a whole file: a memory mapping, or for small regular files a heap copy
// (kSmallFile). Empty files give an empty view; directories and unreadable paths are Errors naming
// the path.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope {

class MappedFile {
 public:
  // Files up to this size are read with one pread instead of mapped: a build holds ~100k files of
  // tens of KiB, where mmap's faults and munmap's TLB shootdowns across threads cost more than the
  // copy (measured: 8.3 GB in 99k files hashed on 2 threads, 5.0-7.6 s mapped vs 3.2-3.3 s read).
  static constexpr uint64_t kSmallFile = 1u << 20;
  static Result<std::shared_ptr<const MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  Bytes bytes() const { return {data_, size_}; }
  uint64_t size() const { return size_; }
  // Advises the kernel that the mapping will be read front to back (large streaming reads).
  void advise_sequential() const;
  // Drops this process's mapping of the whole pages inside [off, off+len). The bytes stay in the
  // page cache and fault back in on the next read, so views stay valid; it only keeps RSS bounded
  // while a reader walks a large file once (hashing, listing a multi-GB cache).
  void release(uint64_t off, uint64_t len) const;
  // Copies [off, off + out.size()) with pread when this file keeps its descriptor (mapped files of
  // at least kByCall bytes: an IPSW, a dmg, an AEA); false when it does not, or pread fails (the
  // caller copies from the mapping). A decoder reads each compressed chunk once: by pread, no page
  // of the mapping is faulted in, and none has to be dropped afterwards (one madvise and one TLB
  // shootdown per chunk: docs/reading.md).
  bool read_by_call(uint64_t off, std::span<uint8_t> out) const;
  static constexpr uint64_t kByCall = 64ull << 20;

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::unique_ptr<uint8_t[]> copy_;  // owns data_ when the file was read, not mapped
  int fd_ = -1;                      // kept open for read_by_call
};

}  // namespace upscope
