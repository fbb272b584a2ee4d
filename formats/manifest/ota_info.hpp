// An OTA package's root Info.plist: the target build, the device it is for and the sizes of the
// cryptexes it installs. docs/formats/manifest.md §3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "plist/tree.hpp"

namespace upscope::manifest {

struct CryptexSize {
  std::string tag;     // CryptexTag: "cryptex-app", "cryptex-system-arm64e"
  std::optional<int64_t> size_mb;  // CryptexSize, in MB
};

struct OtaInfo {
  std::string build, product_version, product_type, hardware_model, device_class;
  std::string target_update, package_version, train_name;
  std::optional<bool> contains_sfr_content;
  std::optional<int64_t> required_space;  // bytes
  std::vector<CryptexSize> cryptex_sizes;  // CryptexSizeInfo, in document order
  Diagnostics diagnostics;
};

// A dictionary with Build and ProductVersion strings and one of HardwareModel, CryptexSizeInfo or
// TargetUpdate (and no CFBundleIdentifier: that is a bundle's Info.plist).
bool is_ota_info(const plist::Value& root);

Result<OtaInfo> read_ota_info(const plist::Value& root, std::string_view name = "Info.plist");
Result<OtaInfo> read_ota_info(Bytes data, std::string_view name = "Info.plist");

nlohmann::ordered_json to_json(const OtaInfo& o);
std::string to_text(const OtaInfo& o);

}  // namespace upscope::manifest
