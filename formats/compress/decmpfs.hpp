// decmpfs: Apple's transparent file compression, shared by the APFS and HFS+ readers. The
// `com.apple.decmpfs` xattr holds a 16-byte header ('fpmc', type, uncompressed size) and, for the
// inline types, the payload; the resource-fork types keep 64 KiB chunks in the resource fork (an
// HFS+ resource fork, or APFS's com.apple.ResourceFork xattr stream).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "compress/codec.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"

namespace upscope::compress::decmpfs {

constexpr uint32_t kMagic = 0x636d7066;  // "fpmc" read little-endian
constexpr uint64_t kChunk = 65536;       // uncompressed bytes per resource-fork chunk
constexpr uint32_t kUfCompressed = 0x20; // BSD flag UF_COMPRESSED

struct Kind {
  std::optional<Codec> codec;  // nullopt: stored
  bool rsrc = false;           // payload in the resource fork
  const char* method = "none";
};

struct Header {
  uint32_t type = 0;
  uint64_t uncompressed_size = 0;
  const char* method = "unknown";  // "zlib", "lzvn", "lzfse", "lzbitmap", "none", or why it is unsupported
  bool in_resource_fork = false;
};

// Types 1, 3/4 (zlib), 7/8 (LZVN), 9/10 (stored), 11/12 (LZFSE), 13/14 (LZBITMAP); nullopt otherwise.
std::optional<Kind> kind(uint32_t type);
// "dataless/dedup placeholder" or "unknown" for types kind() does not know.
const char* unsupported_name(uint32_t type);

// The 16-byte header at the start of the xattr; `what` labels messages ("file: com.apple.decmpfs").
Result<Header> parse_header(Bytes xattr, const std::string& what);

// Opens the resource fork only when the type needs it; its error is returned as is.
using ForkOpener = std::function<Result<SourcePtr>()>;

// The decoded file content. `xattr` is the whole com.apple.decmpfs value; `name` names the Source and
// prefixes messages; `rsrc_label` names the resource fork in messages ("x: com.apple.ResourceFork").
// Inline payloads are decoded at once (capped at 64 MiB); resource-fork payloads one chunk at a time.
Result<SourcePtr> open(Bytes xattr, const std::string& name, const ForkOpener& rsrc, const std::string& rsrc_label);

}  // namespace upscope::compress::decmpfs
