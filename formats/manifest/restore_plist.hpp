// Restore.plist (IPSW root): the restore's version, the devices it is for (DeviceMap), and which
// images are the system volume, the ramdisks and the restore kernelcaches. docs/formats/manifest.md §2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "plist/tree.hpp"

namespace upscope::manifest {

struct RestoreDevice {
  std::string board_config;  // "j414cap"
  std::string platform;      // "t6020"
  std::optional<int64_t> bdid, cpid;  // board and chip ids
};

struct RestorePlist {
  std::string product_version, product_build_version, product_type, device_class;
  std::vector<std::string> supported_product_types;
  std::vector<RestoreDevice> device_map;
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  Pairs system_restore_images;  // SystemRestoreImageFileSystems: image -> file system ("APFS")
  Pairs restore_ramdisks;       // RestoreRamDisks: kind ("Update", "User") -> image
  Pairs restore_kernel_caches;  // RestoreKernelCaches: kind ("Release") -> file
  Diagnostics diagnostics;
};

// A dictionary with ProductBuildVersion and one of DeviceMap, SystemRestoreImageFileSystems,
// RestoreRamDisks, RestoreKernelCaches or SupportedProductTypes, and neither BuildIdentities (a build
// manifest) nor ProductName (SystemVersion.plist).
bool is_restore_plist(const plist::Value& root);

Result<RestorePlist> read_restore_plist(const plist::Value& root, std::string_view name = "Restore.plist");
Result<RestorePlist> read_restore_plist(Bytes data, std::string_view name = "Restore.plist");

nlohmann::ordered_json to_json(const RestorePlist& r);
std::string to_text(const RestorePlist& r);

}  // namespace upscope::manifest
