// Where a file of an update package belongs (its role) and which device path it writes or patches.
// Internal to formats/ota; the rules are listed in paths.cpp.
#pragma once

#include <string>
#include <string_view>

#include "ota/ota.hpp"

namespace upscope::ota {

struct PathInfo {
  Role role = Role::kOther;
  std::string target;         // device path written or patched, when the path alone says
  bool unknown = false;       // a file whose purpose is not known: it could hide a change
  bool boot_unknown = false;  // a boot item of undetermined role
};

PathInfo classify_package_path(std::string_view path);

// Prefix of the cryptex images on Preboot: "<volume-group>" stands for the volume group UUID,
// which the package does not know.
inline constexpr std::string_view kCryptexImageDir = "/System/Volumes/Preboot/<volume-group>/cryptex1/current/";

}  // namespace upscope::ota
