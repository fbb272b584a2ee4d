// Source: a random-access, read-only byte range that readers stack. A mapped file is a Source;
// a partition is a SliceSource of a decoded disk image; a decompressed stream is a MemorySource;
// later readers add their own (a UDIF image, a file inside an APFS volume). read_at must be
// thread-safe: several workers may read the same Source at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "inspect/byte_reader.hpp"
#include "inspect/mapped_file.hpp"
#include "inspect/result.hpp"

namespace upscope {

class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  // A human name for messages: "os.dmg", "os.dmg[partition 2]", "os.dmg:/usr/lib/libz.dylib".
  virtual std::string name() const = 0;
  // Reads exactly out.size() bytes at off, or fails (a short read past the end is an Error).
  virtual Status read_at(uint64_t off, std::span<uint8_t> out) const = 0;
  // When the bytes already sit in memory (a mapping, a buffer), the whole range without copying.
  virtual std::optional<Bytes> contiguous() const { return std::nullopt; }
  // The bytes from off on, without copying, when they sit in memory: a non-empty view of at most
  // max bytes (shorter where the backing store is not contiguous, e.g. at an extent boundary), or
  // nullopt (a hole, a compressed or unmapped range: use read_at). off must be below size().
  virtual std::optional<Bytes> piece_at(uint64_t off, uint64_t max) const;
  // The source this one is a window of, and where the window starts, for quoting root offsets.
  virtual const Source* parent() const { return nullptr; }
  virtual uint64_t offset_in_parent() const { return 0; }
  // A hint that [off, off+n) will not be read again soon: a mapped file drops its pages from this
  // process (see MappedFile::release). Views stay valid; a no-op for memory-backed sources.
  virtual void release(uint64_t /*off*/, uint64_t /*n*/) const {}
  // A hint that reading is done for now: caches of decoded data (a disk image's chunk cache) are
  // emptied; later reads decode again. A window passes it to its parent.
  virtual void drop_caches() const {
    if (parent()) parent()->drop_caches();
  }

  // [off, off+n) as a ByteReader: a zero-copy view when contiguous, otherwise copied into
  // *scratch (which must outlive the reader). Labels errors with `label`.
  Result<ByteReader> view(uint64_t off, uint64_t n, std::vector<uint8_t>& scratch,
                          std::string_view label = {}) const;
  // [off, off+n) copied into a new buffer; n is checked against size() before allocating.
  Result<std::vector<uint8_t>> read_vector(uint64_t off, uint64_t n) const;
  // The offset of `off` in the outermost source (the file on disk), following parents.
  uint64_t root_offset(uint64_t off) const;

 protected:
  Error read_error(uint64_t off, uint64_t n) const;
};

using SourcePtr = std::shared_ptr<const Source>;

// A mapped file on disk.
class FileSource final : public Source {
 public:
  static Result<SourcePtr> open(const std::string& path);
  explicit FileSource(std::shared_ptr<const MappedFile> file, std::string display_name = {});
  uint64_t size() const override { return file_->size(); }
  std::string name() const override { return name_; }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override;
  std::optional<Bytes> contiguous() const override { return file_->bytes(); }
  void release(uint64_t off, uint64_t n) const override { file_->release(off, n); }
  const MappedFile& file() const { return *file_; }
  static constexpr size_t kReadByCallMin = 16u << 10;

 private:
  std::shared_ptr<const MappedFile> file_;
  std::string name_;
};

// Bytes owned in memory (a decompressed stream, a generated fixture).
class MemorySource final : public Source {
 public:
  MemorySource(std::vector<uint8_t> data, std::string name);
  uint64_t size() const override { return data_.size(); }
  std::string name() const override { return name_; }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override;
  std::optional<Bytes> contiguous() const override { return Bytes(data_); }

 private:
  std::vector<uint8_t> data_;
  std::string name_;
};

// A window [offset, offset+length) of a parent Source (a partition, a member of an archive).
class SliceSource final : public Source {
 public:
  // Fails when the window does not lie inside the parent.
  static Result<SourcePtr> make(SourcePtr parent, uint64_t offset, uint64_t length, std::string name);
  uint64_t size() const override { return length_; }
  std::string name() const override { return name_; }
  Status read_at(uint64_t off, std::span<uint8_t> out) const override;
  std::optional<Bytes> contiguous() const override;
  const Source* parent() const override { return parent_.get(); }
  uint64_t offset_in_parent() const override { return offset_; }
  void release(uint64_t off, uint64_t n) const override;

 private:
  SliceSource(SourcePtr parent, uint64_t offset, uint64_t length, std::string name)
      : parent_(std::move(parent)), offset_(offset), length_(length), name_(std::move(name)) {}
  SourcePtr parent_;
  uint64_t offset_;
  uint64_t length_;
  std::string name_;
};

}  // namespace upscope
