// Bounds-checked reads from a byte view (bloaty's sub-views + LLVM's checked extractor).
// Every read checks [off, off+n) against the view without overflowing; a failed read is an
// Error naming the absolute offset and the structure the view was labelled with.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "inspect/checked.hpp"
#include "inspect/result.hpp"

namespace upscope {

using Bytes = std::span<const uint8_t>;

// The bytes of a string, for hashing or printing a name read into a std::string.
inline Bytes bytes_of(std::string_view s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

inline uint16_t load_u16le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint16_t load_u16be(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t load_u32le(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
inline uint32_t load_u32be(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
inline uint64_t load_u64le(const uint8_t* p) { return uint64_t(load_u32le(p)) | (uint64_t(load_u32le(p + 4)) << 32); }
inline uint64_t load_u64be(const uint8_t* p) { return (uint64_t(load_u32be(p)) << 32) | uint64_t(load_u32be(p + 4)); }

class ByteReader {
 public:
  ByteReader() = default;
  // `base` is the absolute offset of data[0] in the input, used only for messages.
  explicit ByteReader(Bytes data, uint64_t base = 0, std::string_view label = {})
      : data_(data), base_(base), label_(label) {}

  uint64_t size() const { return data_.size(); }
  uint64_t base() const { return base_; }
  Bytes data() const { return data_; }
  std::string_view label() const { return label_; }
  // Same bytes, new structure name for messages (the label must outlive the reader: use literals).
  ByteReader labelled(std::string_view label) const { return ByteReader(data_, base_, label); }

  bool has(uint64_t off, uint64_t n) const { return range_fits(off, n, data_.size()); }

  Result<uint8_t> u8(uint64_t off) const { return get<uint8_t>(off, [](const uint8_t* p) { return *p; }); }
  Result<uint16_t> u16le(uint64_t off) const { return get<uint16_t>(off, load_u16le); }
  Result<uint16_t> u16be(uint64_t off) const { return get<uint16_t>(off, load_u16be); }
  Result<uint32_t> u32le(uint64_t off) const { return get<uint32_t>(off, load_u32le); }
  Result<uint32_t> u32be(uint64_t off) const { return get<uint32_t>(off, load_u32be); }
  Result<uint64_t> u64le(uint64_t off) const { return get<uint64_t>(off, load_u64le); }
  Result<uint64_t> u64be(uint64_t off) const { return get<uint64_t>(off, load_u64be); }

  // [off, off+n) as a span; fails rather than clamping.
  Result<Bytes> bytes(uint64_t off, uint64_t n) const;
  // A sub-view with its own base, so nested readers keep quoting absolute offsets.
  Result<ByteReader> sub(uint64_t off, uint64_t n) const;
  Result<ByteReader> sub(uint64_t off, uint64_t n, std::string_view label) const;
  // n bytes as text, cut at the first NUL (for fixed-size name fields such as segname[16]).
  Result<std::string_view> fixed_string(uint64_t off, uint64_t n) const;
  // A NUL-terminated string starting at off that must end within max bytes and within the view.
  Result<std::string_view> cstring(uint64_t off, uint64_t max = UINT64_MAX) const;
  // Unsigned LEB128 at off: value and encoded length; more than 10 bytes or a value over 64 bits fails.
  struct Leb { uint64_t value; uint64_t length; };
  Result<Leb> uleb128(uint64_t off) const;
  Result<int64_t> sleb128(uint64_t off, uint64_t* length = nullptr) const;

  // A trivially-copyable raw struct copied out with memcpy (never a cast of file bytes). Host
  // byte order: use it for little-endian on-disk structs only.
  template <typename T>
  Result<T> read(uint64_t off) const {
    static_assert(std::is_trivially_copyable_v<T>);
    auto b = bytes(off, sizeof(T));
    if (!b) return fail(b.error());
    T out;
    std::memcpy(&out, b->data(), sizeof(T));
    return out;
  }

  bool starts_with(std::string_view magic, uint64_t off = 0) const {
    return has(off, magic.size()) && std::memcmp(data_.data() + off, magic.data(), magic.size()) == 0;
  }

  Error out_of_bounds(uint64_t off, uint64_t n) const;

 private:
  template <typename T, typename F>
  Result<T> get(uint64_t off, F load) const {
    if (!has(off, sizeof(T))) return fail(out_of_bounds(off, sizeof(T)));
    return static_cast<T>(load(data_.data() + off));
  }

  Bytes data_;
  uint64_t base_ = 0;
  std::string_view label_;
};

// Sticky-error cursor over a ByteReader (LLVM's DataExtractor::Cursor): a run of reads, each
// yielding 0 after the first failure, and one check of ok() at the end. For dense records.
class Cursor {
 public:
  explicit Cursor(const ByteReader& r, uint64_t off = 0) : r_(r), off_(off) {}
  uint8_t u8() { return next<uint8_t>(&ByteReader::u8); }
  uint16_t u16le() { return next<uint16_t>(&ByteReader::u16le); }
  uint16_t u16be() { return next<uint16_t>(&ByteReader::u16be); }
  uint32_t u32le() { return next<uint32_t>(&ByteReader::u32le); }
  uint32_t u32be() { return next<uint32_t>(&ByteReader::u32be); }
  uint64_t u64le() { return next<uint64_t>(&ByteReader::u64le); }
  uint64_t u64be() { return next<uint64_t>(&ByteReader::u64be); }
  uint64_t uleb128();
  int64_t sleb128();
  Bytes bytes(uint64_t n);
  std::string_view fixed_string(uint64_t n);
  void skip(uint64_t n);
  void seek(uint64_t off) { if (ok()) off_ = off; }
  // seek() then read: c.at(0x40).u32be() reads the field at 0x40, checked like every other read.
  Cursor& at(uint64_t off) {
    seek(off);
    return *this;
  }
  uint64_t tell() const { return off_; }
  uint64_t remaining() const { return off_ <= r_.size() ? r_.size() - off_ : 0; }
  bool ok() const { return !failed_; }
  const Error& error() const { return err_; }

 private:
  template <typename T>
  T next(Result<T> (ByteReader::*fn)(uint64_t) const) {
    if (failed_) return 0;
    auto v = (r_.*fn)(off_);
    if (!v) { set_error(v.error()); return 0; }
    off_ += sizeof(T);
    return *v;
  }
  void set_error(const Error& e) { failed_ = true; err_ = e; }

  ByteReader r_;
  uint64_t off_;
  bool failed_ = false;
  Error err_;
};

std::string hex_offset(uint64_t off);  // "0x2f10"

}  // namespace upscope
