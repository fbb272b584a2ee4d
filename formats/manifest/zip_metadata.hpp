// META-INF/com.apple.ZipMetadata.plist, which Apple's OTA zips carry: how many records the archive
// holds and their total uncompressed size. docs/formats/manifest.md §4.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "plist/tree.hpp"

namespace upscope::manifest {

struct ZipMetadata {
  std::optional<int64_t> record_count;              // RecordCount
  std::optional<int64_t> total_uncompressed_bytes;  // TotalUncompressedBytes
  std::optional<int64_t> version;                   // Version
  // StandardFilePerms / StandardDirectoryPerms: a mode stored as a signed 16-bit value (-32348 is
  // 0x81a4, a regular file 0644); kept as written, shown in octal by to_text.
  std::optional<int64_t> standard_file_perms, standard_directory_perms;
  Diagnostics diagnostics;
};

// A dictionary with RecordCount and TotalUncompressedBytes.
bool is_zip_metadata(const plist::Value& root);

Result<ZipMetadata> read_zip_metadata(const plist::Value& root, std::string_view name = "com.apple.ZipMetadata.plist");
Result<ZipMetadata> read_zip_metadata(Bytes data, std::string_view name = "com.apple.ZipMetadata.plist");

nlohmann::ordered_json to_json(const ZipMetadata& z);
std::string to_text(const ZipMetadata& z);

}  // namespace upscope::manifest
