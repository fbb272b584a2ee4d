#include "zip/archive.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include "compress/codec.hpp"
#include "inspect/checked.hpp"
#include "inspect/limits.hpp"
#include "zip/structs.hpp"

namespace upscope::zip {

namespace {

constexpr uint64_t kMaxComment = 0xffff;
constexpr uint64_t kEndSize = sizeof(EndOfCentralDirectory);

Error err(const Source& src, ErrorCode code, std::string structure, std::string rule,
          std::optional<uint64_t> offset = std::nullopt) {
  Error e = make_error(code, std::move(structure), std::move(rule), offset);
  e.file = src.name();
  return e;
}

template <typename T>
Result<T> read_struct(const Source& src, uint64_t off) {
  std::array<uint8_t, sizeof(T)> buf;
  UPSCOPE_CHECK(src.read_at(off, buf));
  return ByteReader(Bytes(buf), off).read<T>(0);
}

struct Zip64Fields {
  bool need_uncompressed, need_compressed, need_offset, need_disk;
};

// The zip64 extra field (id 1) holds, in this order, only the values whose 32-bit field is saturated.
Status apply_zip64_extra(const Source& src, ByteReader extra, const Zip64Fields& need, Member& m,
                         const std::string& structure, uint64_t entry_offset) {
  uint64_t off = 0;
  while (extra.has(off, 4)) {
    uint16_t id = *extra.u16le(off);
    uint16_t len = *extra.u16le(off + 2);
    if (!extra.has(off + 4, len))
      return fail(err(src, ErrorCode::kMalformed, structure,
                      fmt::format("extra field 0x{:04x} ({} bytes) runs past the extra area", id, len), entry_offset));
    if (id == kZip64ExtraId) {
      uint64_t p = off + 4, end = off + 4 + len;
      auto take = [&](bool needed, uint64_t& field, const char* what) -> Status {
        if (!needed) return {};
        if (p + 8 > end)
          return fail(err(src, ErrorCode::kMalformed, structure, fmt::format("zip64 extra field lacks the {}", what),
                          entry_offset));
        field = *extra.u64le(p);
        p += 8;
        return {};
      };
      UPSCOPE_CHECK(take(need.need_uncompressed, m.uncompressed_size, "uncompressed size"));
      UPSCOPE_CHECK(take(need.need_compressed, m.compressed_size, "compressed size"));
      UPSCOPE_CHECK(take(need.need_offset, m.local_header_offset, "local header offset"));
      m.zip64 = true;
      return {};
    }
    off += 4 + uint64_t(len);
  }
  const char* what = need.need_uncompressed ? "uncompressed size" : need.need_compressed ? "compressed size" : "local header offset";
  return fail(err(src, ErrorCode::kMalformed, structure,
                  fmt::format("the {} is 0xffffffff but there is no zip64 extra field", what), entry_offset));
}

// Finds the end-of-central-directory record: the last "PK\5\6" whose comment ends at the end of
// the file (or, failing that, the last one whose comment fits, with trailing bytes noted).
Result<uint64_t> find_end_record(const Source& src, Diagnostics& diags) {
  const uint64_t size = src.size();
  if (size < kEndSize)
    return fail(err(src, ErrorCode::kTruncated, "end of central directory",
                    fmt::format("file is {} bytes, smaller than the 22-byte end record", size)));
  const uint64_t window = std::min<uint64_t>(size, kEndSize + kMaxComment);
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader tail, src.view(size - window, window, scratch, "end of central directory"));
  std::optional<uint64_t> loose;
  for (uint64_t back = kEndSize; back <= window; ++back) {
    uint64_t off = window - back;
    if (*tail.u32le(off) != kEndOfCentralDirSig) continue;
    uint64_t comment = *tail.u16le(off + 20);
    if (off + kEndSize + comment == window) return size - window + off;
    if (!loose && off + kEndSize + comment <= window) loose = size - window + off;
  }
  if (loose) {
    diags.warning(*loose, "end of central directory", "bytes follow the archive comment (trailing data)");
    return *loose;
  }
  return fail(err(src, ErrorCode::kMalformed, "end of central directory",
                  fmt::format("record not found in the last {} bytes: not a zip archive, or truncated", window)));
}

}  // namespace

std::optional<uint32_t> Member::unix_mode() const {
  if ((version_made_by >> 8) != 3) return std::nullopt;
  return external_attributes >> 16;
}

const Member* Archive::find(std::string_view name) const {
  for (const auto& m : members)
    if (m.name == name) return &m;
  return nullptr;
}

uint32_t crc32_update(uint32_t crc, Bytes data) {
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), std::numeric_limits<uInt>::max());
    crc = static_cast<uint32_t>(::crc32(crc, data.data(), static_cast<uInt>(n)));
    data = data.subspan(n);
  }
  return crc;
}

Result<Archive> open(SourcePtr src_ptr, const Limits& limits) {
  const Source& src = *src_ptr;
  Archive a;
  a.source = src_ptr;
  const uint64_t size = src.size();
  UPSCOPE_TRY(a.end_record_offset, find_end_record(src, a.diagnostics));
  UPSCOPE_TRY(auto end, read_struct<EndOfCentralDirectory>(src, a.end_record_offset));
  if (end.disk_number != 0 || end.central_directory_disk != 0 || end.entries_this_disk != end.entries_total)
    return fail(err(src, ErrorCode::kUnsupported, "end of central directory",
                    fmt::format("multi-disk archives are not supported (disk {}, central directory on disk {})",
                                end.disk_number, end.central_directory_disk),
                    a.end_record_offset));
  uint64_t entries = end.entries_total;
  a.central_directory_size = end.central_directory_size;
  a.central_directory_offset = end.central_directory_offset;

  // zip64: a locator sits just before the end record and points at the zip64 end record.
  // (65535 entries alone is a legal classic count; a saturated size or offset needs zip64.)
  const bool saturated = end.central_directory_size == 0xffffffff || end.central_directory_offset == 0xffffffff;
  bool have_locator = false;
  if (a.end_record_offset >= sizeof(Zip64EndLocator)) {
    const uint64_t loc_off = a.end_record_offset - sizeof(Zip64EndLocator);
    UPSCOPE_TRY(auto loc, read_struct<Zip64EndLocator>(src, loc_off));
    if (loc.signature == kZip64LocatorSig) {
      have_locator = true;
      if (!range_fits(loc.zip64_end_offset, sizeof(Zip64EndOfCentralDirectory), size))
        return fail(err(src, ErrorCode::kTruncated, "zip64 end of central directory",
                        fmt::format("record at {} extends past the end of the file ({} bytes)",
                                    hex_offset(loc.zip64_end_offset), size),
                        loc_off));
      UPSCOPE_TRY(auto z, read_struct<Zip64EndOfCentralDirectory>(src, loc.zip64_end_offset));
      if (z.signature != kZip64EndSig)
        return fail(err(src, ErrorCode::kMalformed, "zip64 end of central directory", "bad signature (expected PK\\6\\6)",
                        loc.zip64_end_offset));
      if (z.disk_number != 0 || z.central_directory_disk != 0 || z.entries_this_disk != z.entries_total)
        return fail(err(src, ErrorCode::kUnsupported, "zip64 end of central directory",
                        "multi-disk archives are not supported", loc.zip64_end_offset));
      a.zip64 = true;
      entries = z.entries_total;
      a.central_directory_size = z.central_directory_size;
      a.central_directory_offset = z.central_directory_offset;
    }
  }
  if (saturated && !have_locator)
    return fail(err(src, ErrorCode::kMalformed, "end of central directory",
                    "size or offset is 0xffffffff but there is no zip64 locator", a.end_record_offset));
  if (!range_fits(a.central_directory_offset, a.central_directory_size, size))
    return fail(err(src, ErrorCode::kTruncated, "central directory",
                    fmt::format("{} bytes extend past the end of the file ({} bytes)", a.central_directory_size, size),
                    a.central_directory_offset));
  // Every entry takes at least 46 bytes: a count the directory cannot hold is a lie, not an allocation.
  if (entries > a.central_directory_size / sizeof(CentralDirectoryHeader))
    return fail(err(src, ErrorCode::kMalformed, "central directory",
                    fmt::format("{} entries cannot fit in {} bytes", entries, a.central_directory_size),
                    a.central_directory_offset));
  if (entries > limits.max_members)
    return fail(err(src, ErrorCode::kLimit, "central directory",
                    fmt::format("{} entries exceed the limit of {}", entries, limits.max_members),
                    a.central_directory_offset));

  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader cd, src.view(a.central_directory_offset, a.central_directory_size, scratch, "central directory"));
  a.members.reserve(static_cast<size_t>(entries));
  uint64_t off = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    const uint64_t abs = a.central_directory_offset + off;
    const std::string structure = fmt::format("central directory entry {}", i);
    if (!cd.has(off, sizeof(CentralDirectoryHeader)))
      return fail(err(src, ErrorCode::kTruncated, structure, "header extends past the central directory", abs));
    auto h = *cd.read<CentralDirectoryHeader>(off);
    if (h.signature != kCentralHeaderSig)
      return fail(err(src, ErrorCode::kMalformed, structure, "bad signature (expected PK\\1\\2)", abs));
    const uint64_t var = uint64_t(h.file_name_length) + h.extra_field_length + h.file_comment_length;
    if (!cd.has(off + sizeof(CentralDirectoryHeader), var))
      return fail(err(src, ErrorCode::kTruncated, structure,
                      "file name, extra field and comment extend past the central directory", abs));
    Member m;
    m.index = static_cast<size_t>(i);
    auto name = *cd.bytes(off + sizeof(CentralDirectoryHeader), h.file_name_length);
    m.name.assign(name.begin(), name.end());
    m.version_made_by = h.version_made_by;
    m.flags = h.flags;
    m.method = h.compression_method;
    m.crc32 = h.crc32;
    m.compressed_size = h.compressed_size;
    m.uncompressed_size = h.uncompressed_size;
    m.local_header_offset = h.local_header_offset;
    m.external_attributes = h.external_attributes;
    Zip64Fields need{h.uncompressed_size == 0xffffffff, h.compressed_size == 0xffffffff,
                     h.local_header_offset == 0xffffffff, h.disk_number_start == 0xffff};
    if (need.need_uncompressed || need.need_compressed || need.need_offset) {
      auto extra = *cd.sub(off + sizeof(CentralDirectoryHeader) + h.file_name_length, h.extra_field_length);
      UPSCOPE_CHECK(apply_zip64_extra(src, extra, need, m, fmt::format("{} ('{}')", structure, m.name), abs));
    }
    off += sizeof(CentralDirectoryHeader) + var;
    a.members.push_back(std::move(m));
  }
  if (off != a.central_directory_size)
    a.diagnostics.warning(a.central_directory_offset + off, "central directory",
                          fmt::format("{} bytes follow the last of {} entries", a.central_directory_size - off, entries));

  // Locate each member's data through its local header (its name/extra lengths may differ from the
  // central directory's). A bad member is kept, marked, and reported; the others stay readable.
  for (auto& m : a.members) {
    const std::string structure = fmt::format("local header of '{}'", m.name);
    auto fail_member = [&](ErrorCode code, std::string rule, uint64_t at) {
      m.error = err(src, code, structure, std::move(rule), at);
      a.diagnostics.add(*m.error);
    };
    if (!range_fits(m.local_header_offset, sizeof(LocalFileHeader), size)) {
      fail_member(ErrorCode::kTruncated, "extends past the end of the file", m.local_header_offset);
      continue;
    }
    auto lh = *read_struct<LocalFileHeader>(src, m.local_header_offset);
    if (lh.signature != kLocalHeaderSig) {
      fail_member(ErrorCode::kMalformed, "bad signature (expected PK\\3\\4)", m.local_header_offset);
      continue;
    }
    m.data_offset = m.local_header_offset + sizeof(LocalFileHeader) + lh.file_name_length + lh.extra_field_length;
    if (!range_fits(m.data_offset, m.compressed_size, size)) {
      fail_member(ErrorCode::kTruncated,
                  fmt::format("data ({} bytes at {}) extends past the end of the file ({} bytes)", m.compressed_size,
                              hex_offset(m.data_offset), size),
                  m.local_header_offset);
      continue;
    }
    if (m.method == kMethodStored && m.compressed_size != m.uncompressed_size)
      fail_member(ErrorCode::kMalformed,
                  fmt::format("stored member has compressed size {} but uncompressed size {}", m.compressed_size,
                              m.uncompressed_size),
                  m.local_header_offset);
  }
  return a;
}

Result<SourcePtr> open_member(const Archive& a, const Member& m, uint64_t max_inflate) {
  const Source& src = *a.source;
  if (m.error) return fail(*m.error);
  const std::string structure = fmt::format("member '{}'", m.name);
  if (m.encrypted())
    return fail(err(src, ErrorCode::kUnsupported, structure, "encrypted (zip encryption is not supported)",
                    m.local_header_offset));
  UPSCOPE_TRY(SourcePtr raw, SliceSource::make(a.source, m.data_offset, m.compressed_size, m.name));
  if (m.method == kMethodStored) return raw;
  if (m.method != kMethodDeflate)
    return fail(err(src, ErrorCode::kUnsupported, structure,
                    fmt::format("compression method {} is not supported (stored and deflate only)", m.method),
                    m.local_header_offset));
  if (m.uncompressed_size > max_inflate)
    return fail(err(src, ErrorCode::kLimit, structure,
                    fmt::format("uncompressed size {} exceeds the inflate limit of {} bytes", m.uncompressed_size,
                                max_inflate),
                    m.local_header_offset));
  if (auto st = check_memory(m.uncompressed_size, structure, m.local_header_offset); !st)
    return fail(st.error().in_file(src.name()));
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader in, raw->view(0, raw->size(), scratch));
  std::vector<uint8_t> out(static_cast<size_t>(m.uncompressed_size));
  auto n = compress::deflate_decode(in.data(), out);
  if (!n) {
    Error e = n.error().shifted(m.data_offset);
    e.file = src.name();
    e.structure = structure + (e.structure.empty() ? "" : ": " + e.structure);
    return fail(e);
  }
  if (*n != m.uncompressed_size)
    return fail(err(src, ErrorCode::kMalformed, structure,
                    fmt::format("inflated to {} bytes, the central directory says {}", *n, m.uncompressed_size),
                    m.data_offset));
  uint32_t crc = crc32_update(0, out);
  if (crc != m.crc32)
    return fail(err(src, ErrorCode::kMalformed, structure,
                    fmt::format("CRC-32 {:08x} does not match the central directory's {:08x}", crc, m.crc32),
                    m.data_offset));
  return SourcePtr(std::make_shared<MemorySource>(std::move(out), m.name));
}

}  // namespace upscope::zip
