#include "inspect/byte_reader.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace upscope {

std::string hex_offset(uint64_t off) { return fmt::format("{:#x}", off); }

Error ByteReader::out_of_bounds(uint64_t off, uint64_t n) const {
  std::string rule;
  if (off > data_.size()) {
    rule = fmt::format("offset +{:#x} is past the end ({:#x} bytes)", off, data_.size());
  } else {
    rule = fmt::format("needs {} bytes at +{:#x} but only {} remain", n, off, data_.size() - off);
  }
  // The absolute offset may not be representable when off is garbage: fall back to the base.
  auto abs = checked_add(base_, off);
  return make_error(ErrorCode::kTruncated, label_.empty() ? std::string("data") : std::string(label_), rule,
                    abs ? abs : std::optional<uint64_t>(base_));
}

Result<Bytes> ByteReader::bytes(uint64_t off, uint64_t n) const {
  if (!has(off, n)) return fail(out_of_bounds(off, n));
  return data_.subspan(static_cast<size_t>(off), static_cast<size_t>(n));
}

Result<ByteReader> ByteReader::sub(uint64_t off, uint64_t n) const { return sub(off, n, label_); }

Result<ByteReader> ByteReader::sub(uint64_t off, uint64_t n, std::string_view label) const {
  if (!has(off, n)) return fail(labelled(label).out_of_bounds(off, n));
  return ByteReader(data_.subspan(static_cast<size_t>(off), static_cast<size_t>(n)), base_ + off, label);
}

Result<std::string_view> ByteReader::fixed_string(uint64_t off, uint64_t n) const {
  auto b = bytes(off, n);
  if (!b) return fail(b.error());
  size_t len = 0;
  while (len < b->size() && (*b)[len] != 0) ++len;
  return std::string_view(reinterpret_cast<const char*>(b->data()), len);
}

Result<std::string_view> ByteReader::cstring(uint64_t off, uint64_t max) const {
  if (off > data_.size()) return fail(out_of_bounds(off, 1));
  uint64_t limit = std::min<uint64_t>(max, data_.size() - off);
  const uint8_t* p = data_.data() + off;
  for (uint64_t i = 0; i < limit; ++i) {
    if (p[i] == 0) return std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(i));
  }
  auto abs = checked_add(base_, off);
  return fail(ErrorCode::kMalformed, label_.empty() ? std::string("string") : std::string(label_),
              limit == max ? fmt::format("string is not NUL-terminated within {} bytes", max)
                           : std::string("string is not NUL-terminated before the end"),
              abs ? abs : std::optional<uint64_t>(base_));
}

Result<ByteReader::Leb> ByteReader::uleb128(uint64_t off) const {
  uint64_t value = 0;
  unsigned shift = 0;
  // Common case first: the terminating byte lies inside the view and the value fits in 64 bits.
  // Anything else falls through to the byte-by-byte path below, which names the failure.
  if (off < data_.size()) {
    const uint8_t* p = data_.data() + off;
    const uint64_t avail = std::min<uint64_t>(data_.size() - off, 10);
    for (uint64_t i = 0; i < avail; ++i) {
      const uint64_t low = p[i] & 0x7f;
      if (shift == 63 && low > 1) break;
      value |= low << shift;
      if ((p[i] & 0x80) == 0) return Leb{value, i + 1};
      shift += 7;
    }
    value = 0;
    shift = 0;
  }
  for (uint64_t i = 0;; ++i) {
    auto b = u8(off + i);  // off + i cannot wrap: i <= 10 and a wrap would fail has() first
    if (!b) return fail(b.error());
    uint64_t low = *b & 0x7f;
    if (shift == 63 && low > 1) break;
    if (shift > 63) break;
    value |= low << shift;
    if ((*b & 0x80) == 0) return Leb{value, i + 1};
    shift += 7;
  }
  auto abs = checked_add(base_, off);
  return fail(ErrorCode::kMalformed, label_.empty() ? std::string("ULEB128") : std::string(label_),
              "ULEB128 value does not fit in 64 bits", abs ? abs : std::optional<uint64_t>(base_));
}

Result<int64_t> ByteReader::sleb128(uint64_t off, uint64_t* length) const {
  int64_t value = 0;
  unsigned shift = 0;
  for (uint64_t i = 0; i < 10; ++i) {
    auto b = u8(off + i);
    if (!b) return fail(b.error());
    value |= static_cast<int64_t>(static_cast<uint64_t>(*b & 0x7f) << shift);
    shift += 7;
    if ((*b & 0x80) == 0) {
      if (shift < 64 && (*b & 0x40)) value |= static_cast<int64_t>(~uint64_t{0} << shift);
      if (length) *length = i + 1;
      return value;
    }
  }
  auto abs = checked_add(base_, off);
  return fail(ErrorCode::kMalformed, label_.empty() ? std::string("SLEB128") : std::string(label_),
              "SLEB128 value does not fit in 64 bits", abs ? abs : std::optional<uint64_t>(base_));
}

uint64_t Cursor::uleb128() {
  if (failed_) return 0;
  auto v = r_.uleb128(off_);
  if (!v) { set_error(v.error()); return 0; }
  off_ += v->length;
  return v->value;
}

int64_t Cursor::sleb128() {
  if (failed_) return 0;
  uint64_t length = 0;
  auto v = r_.sleb128(off_, &length);
  if (!v) { set_error(v.error()); return 0; }
  off_ += length;
  return *v;
}

Bytes Cursor::bytes(uint64_t n) {
  if (failed_) return {};
  auto v = r_.bytes(off_, n);
  if (!v) { set_error(v.error()); return {}; }
  off_ += n;
  return *v;
}

std::string_view Cursor::fixed_string(uint64_t n) {
  if (failed_) return {};
  auto v = r_.fixed_string(off_, n);
  if (!v) { set_error(v.error()); return {}; }
  off_ += n;
  return *v;
}

void Cursor::skip(uint64_t n) {
  if (failed_) return;
  if (!r_.has(off_, n)) { set_error(r_.out_of_bounds(off_, n)); return; }
  off_ += n;
}

}  // namespace upscope
