// RIDIFF10 (cryptex raw-image diff) container reader. Only the container is understood: the
// header, the extents of the metadata / controls / patch-data streams, their codecs and decoded
// sizes, and the parts of the metadata and controls that public notes describe (marked as such).
// Applying needs Apple's libParallelCompression and is not attempted.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "inspect/source.hpp"
#include "pbzx/stream.hpp"

namespace upscope::ridiff10 {

struct Header {
  uint16_t variants = 0;
  uint64_t flags = 0;
  uint64_t control_count = 0;
  uint32_t excess_space = 0;
  uint64_t metadata_offset = 0;
  uint64_t controls_offset = 0;
  std::vector<uint64_t> patch_data_offsets;
  uint64_t patch_size = 0;
  uint64_t header_size = 0;
};

struct Stream {
  std::string name;  // "metadata", "controls", "patch data 0", ...
  uint64_t offset = 0, size = 0;
  pbzx::StreamLayout layout;
  std::optional<uint64_t> decoded_size;
  std::string status;  // "decoded", "framing only", "unsupported codec lzraven", "error: ..."
};

struct Extent {
  uint64_t offset = 0, size = 0;
};

struct Metadata {
  bool parsed = false;
  uint64_t decoded_size = 0;
  std::array<uint8_t, 32> digest{};
  uint64_t total_bytes = 0;
  uint64_t unknown_40 = 0;
  uint64_t extent_count = 0;
  uint64_t fork_count = 0;
  std::vector<Extent> extents;   // capped at kMaxListed
  uint64_t fork_bytes = 0;       // the undeciphered fork table that follows the extents
};

struct Control {
  uint64_t offset = 0, size = 0;  // hypothesis: {u64 offset, u64 size} (blacktop, unverified)
};

struct Controls {
  bool decoded = false;
  uint64_t decoded_size = 0;
  bool split = false;             // decoded size == 16 * control_count
  std::vector<Control> records;   // capped at kMaxListed
};

inline constexpr size_t kMaxListed = 100000;

struct Patch {
  Header header;
  std::vector<Stream> streams;  // metadata, controls, patch data 0..V-1
  Metadata metadata;
  Controls controls;
  Diagnostics diagnostics;
};

struct ParseOptions {
  ThreadPool* pool = nullptr;
  bool decode_patch_data = true;               // decode patch-data streams to count their bytes
  uint64_t max_small_stream = uint64_t{256} << 20;  // metadata / controls decoded cap
  uint64_t max_patch_data = uint64_t{64} << 30;     // decompression-bomb guard for patch data
};

// Fails when the header cannot be read or its offsets cannot be trusted; stream-level problems
// are diagnostics.
Result<Patch> parse(const Source& src, const ParseOptions& opt = {});

nlohmann::ordered_json to_json(const Patch& p);
std::string to_text(const Patch& p);

}  // namespace upscope::ridiff10
