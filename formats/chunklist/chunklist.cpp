// Chunklist reader: the header, the chunk table and where the signature lies (docs/formats/chunklist.md).
#include "chunklist/chunklist.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "chunklist/structs.hpp"
#include "inspect/byte_reader.hpp"
#include "inspect/text.hpp"

namespace upscope::chunklist {

std::string chunk_method_name(uint8_t method) { return method == 1 ? "SHA-256" : "unknown"; }

std::string signature_method_name(uint8_t method) {
  switch (method) {
    case 1: return "RSA-2048 (rev1)";
    case 3: return "certificate (rev2)";
    default: return "unknown";
  }
}

std::optional<uint64_t> expected_signature_length(uint8_t method) {
  switch (method) {
    case 1: return 256;
    case 3: return 808;
    default: return std::nullopt;
  }
}

namespace {

constexpr const char* kHeader = "chunklist header";
constexpr const char* kTable = "chunk table";
constexpr const char* kSignature = "signature";

// The rules of §1 and §2: everything a chunk table needs to be read at all.
Status check_header(const ByteReader& r, const RawHeader& h, uint64_t file_size) {
  if (std::memcmp(h.magic, "CNKL", 4) != 0)
    return fail(ErrorCode::kMalformed, kHeader, fmt::format("magic {} is not CNKL", printable(*r.bytes(0, 4))), 0);
  if (h.header_size != kHeaderSize)
    return fail(ErrorCode::kMalformed, kHeader, fmt::format("header size {} is not {}", h.header_size, kHeaderSize), 4);
  if (h.file_version != 1)
    return fail(ErrorCode::kUnsupported, kHeader,
                fmt::format("file version {} is not 1, the only version known", h.file_version), 8);
  if (h.chunk_method != 1)
    return fail(ErrorCode::kUnsupported, kHeader,
                fmt::format("chunk method {} is not 1 (SHA-256), the only method known", h.chunk_method), 9);
  if (h.chunk_table_offset < kHeaderSize)
    return fail(ErrorCode::kMalformed, kTable,
                fmt::format("offset {:#x} lies inside the {}-byte header", h.chunk_table_offset, kHeaderSize), 20);
  if (h.chunk_table_offset > file_size)
    return fail(ErrorCode::kTruncated, kTable,
                fmt::format("offset {:#x} is past the end of the file ({} bytes)", h.chunk_table_offset, file_size), 20);
  const uint64_t room = file_size - h.chunk_table_offset;
  auto need = checked_mul(h.chunk_count, kChunkSize);
  if (!need || *need > room)
    return fail(ErrorCode::kTruncated, kTable,
                fmt::format("{} chunks of {} bytes do not fit in the {} bytes from {:#x} to the end of the file",
                            h.chunk_count, kChunkSize, room, h.chunk_table_offset),
                h.chunk_table_offset);
  const uint64_t table_end = h.chunk_table_offset + *need;
  if (h.signature_offset < table_end)
    return fail(ErrorCode::kMalformed, kSignature,
                fmt::format("offset {:#x} lies before the end of the chunk table ({:#x})", h.signature_offset, table_end),
                28);
  if (h.signature_offset > file_size)
    return fail(ErrorCode::kTruncated, kSignature,
                fmt::format("offset {:#x} is past the end of the file ({} bytes)", h.signature_offset, file_size), 28);
  return {};
}

}  // namespace

Result<Chunklist> parse(const Source& src) {
  const uint64_t size = src.size();
  if (size < kHeaderSize)
    return fail(ErrorCode::kTruncated, kHeader, fmt::format("needs {} bytes, the file has {}", kHeaderSize, size), 0);
  std::vector<uint8_t> scratch;
  UPSCOPE_TRY(ByteReader r, src.view(0, size, scratch, "chunklist"));
  UPSCOPE_TRY(RawHeader h, r.read<RawHeader>(0));
  UPSCOPE_CHECK(check_header(r, h, size));

  Chunklist cl;
  cl.header_size = h.header_size;
  cl.file_version = h.file_version;
  cl.chunk_method = h.chunk_method;
  cl.signature_method = h.signature_method;
  cl.chunk_count = h.chunk_count;
  cl.chunk_table_offset = h.chunk_table_offset;
  cl.signature_offset = h.signature_offset;
  cl.signature_length = size - h.signature_offset;
  cl.file_size = size;

  // The count is capped by check_header: the table lies in the file.
  cl.chunks.reserve(static_cast<size_t>(h.chunk_count));
  uint64_t image_off = 0;
  for (uint64_t i = 0; i < h.chunk_count; ++i) {
    const uint64_t at = h.chunk_table_offset + i * kChunkSize;
    UPSCOPE_TRY(RawChunk raw, r.read<RawChunk>(at));
    Chunk c;
    c.offset = image_off;
    c.size = raw.size;
    std::memcpy(c.sha256.data(), raw.sha256, 32);
    if (c.size == 0) cl.diagnostics.warning(at, fmt::format("chunk {}", i), "size 0: the chunk covers no bytes");
    cl.min_chunk = i == 0 ? c.size : std::min(cl.min_chunk, c.size);
    cl.max_chunk = std::max(cl.max_chunk, c.size);
    image_off += c.size;  // at most 2^32 * (file size / 36): no overflow
    cl.chunks.push_back(c);
  }
  cl.total_bytes = image_off;

  // The signature: soft rules, the chunk table stays usable (§3).
  const uint64_t table_end = h.chunk_table_offset + h.chunk_count * kChunkSize;
  if (h.signature_offset > table_end)
    cl.diagnostics.warning(table_end, "chunklist",
                           fmt::format("{} unused bytes between the chunk table and the signature",
                                       h.signature_offset - table_end));
  if (auto want = expected_signature_length(h.signature_method)) {
    if (cl.signature_length != *want)
      cl.diagnostics.error(h.signature_offset, kSignature,
                           fmt::format("{} bytes, but signature method {} ({}) has {}", cl.signature_length,
                                       h.signature_method, signature_method_name(h.signature_method), *want));
  } else {
    cl.diagnostics.warning(10, kHeader,
                           fmt::format("signature method {} is unknown (1: RSA-2048, 3: certificate)", h.signature_method));
  }
  return cl;
}

}  // namespace upscope::chunklist
