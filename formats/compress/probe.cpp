#include "compress/probe.hpp"

#include <fmt/format.h>

#include "compress/lzbitmap.hpp"

namespace upscope::compress {

namespace {

std::optional<Identification> probe_lzfse(const ProbeInput& in) {
  if (!in.head.starts_with("bvx")) return std::nullopt;
  auto kind = in.head.u8(3);
  if (!kind) return std::nullopt;
  const char* block = nullptr;
  switch (*kind) {
    case '2': block = "bvx2 (compressed-header LZFSE)"; break;
    case '1': block = "bvx1 (uncompressed-header LZFSE)"; break;
    case 'n': block = "bvxn (LZVN)"; break;
    case '-': block = "bvx- (stored)"; break;
    case '$': block = "bvx$ (end of stream)"; break;
    default: return std::nullopt;
  }
  Identification id;
  id.format = "lzfse";
  id.details["first_block"] = std::string("bvx") + static_cast<char>(*kind);
  if (*kind != '$') {
    if (auto n = in.head.u32le(4)) id.details["first_block_decoded_size"] = *n;
  }
  id.description = fmt::format("LZFSE stream, first block {}", block);
  return id;
}

std::optional<Identification> probe_lzss(const ProbeInput& in) {
  if (!in.head.starts_with("complzss")) return std::nullopt;
  Cursor c(in.head, 8);
  uint32_t adler = c.u32be(), decoded = c.u32be(), encoded = c.u32be();
  Identification id;
  id.format = "lzss";
  id.details["adler32"] = adler;
  id.details["decoded_size"] = decoded;
  id.details["encoded_size"] = encoded;
  id.description = fmt::format("LZSS-compressed kernelcache (complzss), {} -> {} bytes", encoded, decoded);
  if (!c.ok()) id.warnings.push_back("complzss header truncated");
  return id;
}

// "ZBM" + format byte, then the first chunk's u24 length and decoded length (docs/formats/lzbitmap.md §1-§2).
std::optional<Identification> probe_lzbitmap(const ProbeInput& in) {
  if (!in.head.starts_with("ZBM") || !in.head.has(0, 4)) return std::nullopt;
  // A control character after "ZBM" (0x09 is the one Apple writes) keeps text files out.
  const uint8_t format_byte = *in.head.u8(3);
  if (format_byte >= 0x20) return std::nullopt;
  Identification id;
  id.format = "lzbitmap";
  id.details["format_byte"] = format_byte;
  if (format_byte != kLzbitmapFormatByte)
    id.warnings.push_back(fmt::format("format byte {:#04x} is not 0x09, the only one known", format_byte));
  std::string first;
  if (in.head.has(4, 6)) {
    auto b = *in.head.bytes(4, 6);
    const uint32_t length = b[0] | b[1] << 8 | b[2] << 16, decoded = b[3] | b[4] << 8 | b[5] << 16;
    id.details["first_chunk_decoded_size"] = decoded;
    first = decoded == 0 ? ", empty" : fmt::format(", first chunk {} -> {} bytes{}", length, decoded,
                                                     length == decoded + 6 ? " (stored)" : "");
  }
  id.description = "LZBITMAP stream (ZBM)" + first;
  return id;
}

}  // namespace

std::optional<Identification> probe(const ProbeInput& in) {
  if (auto id = probe_lzfse(in)) return id;
  if (auto id = probe_lzss(in)) return id;
  if (auto id = probe_lzbitmap(in)) return id;
  struct Magic { std::string_view bytes; const char* format; const char* what; };
  static const Magic kMagics[] = {
      {std::string_view("\xFD" "7zXZ\0", 6), "xz", "xz stream"},
      {std::string_view("\x28\xB5\x2F\xFD", 4), "zstd", "zstd frame"},
      {std::string_view("\x04\x22\x4D\x18", 4), "lz4", "LZ4 frame"},
      {std::string_view("\x1F\x8B\x08", 3), "gzip", "gzip stream"},
  };
  for (const auto& m : kMagics) {
    if (!in.head.starts_with(m.bytes)) continue;
    Identification id;
    id.format = m.format;
    id.description = m.what;
    return id;
  }
  // bzip2: "BZh" + block size digit + the block magic 0x314159265359 (or the end-of-stream magic)
  if (in.head.starts_with("BZh") && in.head.has(4, 6)) {
    uint8_t level = *in.head.u8(3);
    if (level >= '1' && level <= '9' &&
        (in.head.starts_with("\x31\x41\x59\x26\x53\x59", 4) || in.head.starts_with("\x17\x72\x45\x38\x50\x90", 4))) {
      Identification id;
      id.format = "bzip2";
      id.description = fmt::format("bzip2 stream (block size {}00k)", static_cast<char>(level));
      return id;
    }
  }
  return std::nullopt;
}

}  // namespace upscope::compress
