// A zip (and zip64) reader over a random-access Source: the central directory is read and checked
// once, every member's data is located through its local header, and a member opens as a
// zero-copy window of the archive (stored) or as a bounded in-memory inflate (deflate).
//
// Why not libarchive: its zip reader is a forward-only stream (next header, read data), so reaching
// one member of a multi-GB OTA means walking the ones before it, there is no byte offset to slice the
// mapped file at, and its errors carry no offsets. OTA payloads are stored members that the pbzx /
// Apple Archive / patch readers want as spans of the mapping; this reader gives exactly that.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::zip {

inline constexpr uint16_t kMethodStored = 0;
inline constexpr uint16_t kMethodDeflate = 8;

struct Member {
  size_t index = 0;
  std::string name;
  uint16_t version_made_by = 0;
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
  uint64_t data_offset = 0;          // valid when !error
  uint32_t external_attributes = 0;
  bool zip64 = false;                // sizes or offset came from the zip64 extra field
  std::optional<Error> error;        // the member cannot be opened (bad local header, data past the end)

  bool is_directory() const { return !name.empty() && name.back() == '/'; }
  bool encrypted() const { return (flags & 1) != 0; }
  // Unix mode from external attributes when made on Unix (version_made_by high byte 3).
  std::optional<uint32_t> unix_mode() const;
};

struct Archive {
  SourcePtr source;
  bool zip64 = false;
  uint64_t end_record_offset = 0;     // of the (classic) end-of-central-directory record
  uint64_t central_directory_offset = 0;
  uint64_t central_directory_size = 0;
  std::vector<Member> members;        // central-directory order
  Diagnostics diagnostics;

  const Member* find(std::string_view name) const;
};

struct Limits {
  uint64_t max_members = 4'000'000;
};

// Fails when the end record or the central directory cannot be trusted; a member whose local
// header or data is bad is kept with Member::error set (and an error diagnostic).
Result<Archive> open(SourcePtr src, const Limits& limits = {});

// The member's uncompressed bytes: a window of the archive for stored members; deflated members are
// inflated into memory when uncompressed_size <= max_inflate (else kLimit) and checked against the
// central directory's size and CRC-32.
Result<SourcePtr> open_member(const Archive& a, const Member& m, uint64_t max_inflate);

// CRC-32 (zip / zlib polynomial), incremental: crc = crc32_update(crc, bytes), starting at 0.
uint32_t crc32_update(uint32_t crc, Bytes data);

}  // namespace upscope::zip
