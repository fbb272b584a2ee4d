// A bundle's Contents/Info.plist (apps, frameworks, kexts): its identifier and versions, and for a
// kext the libraries it links against (OSBundleLibraries: bundle id -> minimum version).
// docs/formats/manifest.md §6.
#pragma once

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

struct BundleInfo {
  std::string identifier;     // CFBundleIdentifier: "com.apple.driver.usb.cdc"
  std::string version;        // CFBundleVersion
  std::string short_version;  // CFBundleShortVersionString
  std::string name;           // CFBundleName
  std::string executable;     // CFBundleExecutable
  std::string package_type;   // CFBundlePackageType: "KEXT", "APPL", "FMWK"
  std::string minimum_system_version;  // LSMinimumSystemVersion
  std::string os_bundle_required;      // OSBundleRequired: "Root", "Safe Boot" (kexts)
  std::string os_bundle_compatible_version;
  std::vector<std::pair<std::string, std::string>> libraries;  // OSBundleLibraries, in document order
  size_t personalities = 0;   // IOKitPersonalities entries
  bool kext = false;          // CFBundlePackageType KEXT, or OSBundleLibraries present
  Diagnostics diagnostics;
};

// A dictionary with a CFBundleIdentifier string.
bool is_bundle_info(const plist::Value& root);

Result<BundleInfo> read_bundle_info(const plist::Value& root, std::string_view name = "Info.plist");
Result<BundleInfo> read_bundle_info(Bytes data, std::string_view name = "Info.plist");

nlohmann::ordered_json to_json(const BundleInfo& b);
std::string to_text(const BundleInfo& b);

}  // namespace upscope::manifest
