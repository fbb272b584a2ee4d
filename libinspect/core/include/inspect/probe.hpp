// The contract of a format probe: a cheap look at the head and tail of an input that says
// whether the format is present, and a few facts read on the way. Probes never fail: bytes that
// do not fit the format are simply "not this format".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/source.hpp"

namespace upscope {

struct ProbeInput {
  const Source& source;
  ByteReader head;  // the first kHeadSize bytes (or fewer)
  ByteReader tail;  // the last kTailSize bytes (or fewer); tail.base() is its offset in source
  static constexpr uint64_t kHeadSize = 64 * 1024;
  static constexpr uint64_t kTailSize = 4096;
};

struct Identification {
  std::string format;        // stable id: "udif", "macho", "apfs" ...
  std::string description;   // one line for people: "UDIF disk image (koly v4), 3817 sectors"
  nlohmann::ordered_json details = nlohmann::ordered_json::object();  // small format-specific facts
  std::vector<std::string> warnings;  // e.g. "header truncated: file ends at 19 bytes"
};

}  // namespace upscope
