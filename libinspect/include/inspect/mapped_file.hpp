// A read-only memory mapping of a whole file. Empty files map to an empty view; directories and
// unreadable paths are Errors naming the path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope {

class MappedFile {
 public:
  static Result<std::shared_ptr<const MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  Bytes bytes() const { return {data_, size_}; }
  uint64_t size() const { return size_; }
  // Advises the kernel that the mapping will be read front to back (large streaming reads).
  void advise_sequential() const;
  // Drops this process's mapping of the pages around [off, off+len) (rounded out to 2 MiB, the
  // largest folio the page cache maps at once). The bytes stay in the page cache and fault back in
  // on the next read, so views stay valid; it only keeps RSS bounded while a reader walks a large
  // file once (hashing, listing a multi-GB cache).
  void release(uint64_t off, uint64_t len) const;

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace upscope
