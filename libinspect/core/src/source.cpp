#include "inspect/source.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace upscope {

Error Source::read_error(uint64_t off, uint64_t n) const {
  Error e = make_error(ErrorCode::kTruncated, "read",
                       fmt::format("{} bytes at {:#x} lie outside the {}-byte source", n, off, size()), off);
  e.file = name();
  return e;
}

Result<ByteReader> Source::view(uint64_t off, uint64_t n, std::vector<uint8_t>& scratch,
                                std::string_view label) const {
  if (!range_fits(off, n, size())) return fail(read_error(off, n));
  if (auto c = contiguous()) {
    return ByteReader(c->subspan(static_cast<size_t>(off), static_cast<size_t>(n)), off, label);
  }
  scratch.resize(static_cast<size_t>(n));
  UPSCOPE_CHECK(read_at(off, scratch));
  return ByteReader(Bytes(scratch), off, label);
}

std::optional<Bytes> Source::piece_at(uint64_t off, uint64_t max) const {
  auto c = contiguous();
  if (!c || off >= c->size()) return std::nullopt;
  return c->subspan(static_cast<size_t>(off), static_cast<size_t>(std::min<uint64_t>(max, c->size() - off)));
}

Result<std::vector<uint8_t>> Source::read_vector(uint64_t off, uint64_t n) const {
  if (!range_fits(off, n, size())) return fail(read_error(off, n));
  std::vector<uint8_t> out(static_cast<size_t>(n));
  UPSCOPE_CHECK(read_at(off, out));
  return out;
}

uint64_t Source::root_offset(uint64_t off) const {
  const Source* s = this;
  while (s->parent()) {
    off += s->offset_in_parent();
    s = s->parent();
  }
  return off;
}

static std::string base_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<SourcePtr> FileSource::open(const std::string& path) {
  auto mf = MappedFile::open(path);
  if (!mf) return fail(mf.error());
  return SourcePtr(std::make_shared<FileSource>(std::move(*mf)));
}

FileSource::FileSource(std::shared_ptr<const MappedFile> file, std::string display_name)
    : file_(std::move(file)), name_(display_name.empty() ? base_name(file_->path()) : std::move(display_name)) {}

Status FileSource::read_at(uint64_t off, std::span<uint8_t> out) const {
  if (!range_fits(off, out.size(), size())) return fail(read_error(off, out.size()));
  // Large reads of a large file by pread (MappedFile::read_by_call); small ones (headers, B-tree
  // nodes) from the mapping, where a syscall would cost more than the copy.
  if (out.size() >= kReadByCallMin && file_->read_by_call(off, out)) return {};
  if (!out.empty()) std::memcpy(out.data(), file_->bytes().data() + off, out.size());
  return {};
}

MemorySource::MemorySource(std::vector<uint8_t> data, std::string name)
    : data_(std::move(data)), name_(std::move(name)) {}

Status MemorySource::read_at(uint64_t off, std::span<uint8_t> out) const {
  if (!range_fits(off, out.size(), size())) return fail(read_error(off, out.size()));
  if (!out.empty()) std::memcpy(out.data(), data_.data() + off, out.size());
  return {};
}

Result<SourcePtr> SliceSource::make(SourcePtr parent, uint64_t offset, uint64_t length, std::string name) {
  if (!range_fits(offset, length, parent->size())) {
    Error e = make_error(ErrorCode::kTruncated, "slice",
                         fmt::format("{} bytes at {:#x} extend past the end of the {}-byte source", length,
                                     offset, parent->size()),
                         offset);
    e.file = parent->name();
    return fail(e);
  }
  return SourcePtr(new SliceSource(std::move(parent), offset, length, std::move(name)));
}

Status SliceSource::read_at(uint64_t off, std::span<uint8_t> out) const {
  if (!range_fits(off, out.size(), length_)) return fail(read_error(off, out.size()));
  return parent_->read_at(offset_ + off, out);
}

std::optional<Bytes> SliceSource::contiguous() const {
  auto c = parent_->contiguous();
  if (!c) return std::nullopt;
  return c->subspan(static_cast<size_t>(offset_), static_cast<size_t>(length_));
}

void SliceSource::release(uint64_t off, uint64_t n) const {
  if (off >= length_) return;
  parent_->release(offset_ + off, std::min(n, length_ - off));
}

}  // namespace upscope
