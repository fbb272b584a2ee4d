// SystemVersion.plist (/System/Library/CoreServices/, also inside the OS cryptex): the product, its
// version and build, and an RSR's letter in ProductVersionExtra. docs/formats/manifest.md §5.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "inspect/byte_reader.hpp"
#include "inspect/diagnostics.hpp"
#include "inspect/result.hpp"
#include "plist/tree.hpp"

namespace upscope::manifest {

struct SystemVersion {
  std::string product_name;                  // "macOS"
  std::string product_version;               // "13.3.1"
  std::string product_build_version;         // "22E261"
  std::string product_version_extra;         // "(a)" after a Rapid Security Response
  std::string product_user_visible_version;  // ProductUserVisibleVersion
  std::string build_id;                      // BuildID
  std::string ios_support_version;           // iOSSupportVersion (macOS)
  Diagnostics diagnostics;
};

// A dictionary with ProductName and ProductBuildVersion strings and no BuildIdentities.
bool is_system_version(const plist::Value& root);

Result<SystemVersion> read_system_version(const plist::Value& root, std::string_view name = "SystemVersion.plist");
Result<SystemVersion> read_system_version(Bytes data, std::string_view name = "SystemVersion.plist");

nlohmann::ordered_json to_json(const SystemVersion& s);
std::string to_text(const SystemVersion& s);

}  // namespace upscope::manifest
