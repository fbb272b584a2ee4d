// Asset metadata from the package's property lists (internal to formats/ota).
#pragma once

#include <string>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"
#include "ota/ota.hpp"

namespace upscope::ota {

// Merges the keys of one plist (XML or binary) into m, keeping values already set. `asset`: the
// root Info.plist, whose attributes may sit under MobileAssetProperties.
Status merge_plist(Bytes data, const std::string& name, bool asset, Metadata& m);

}  // namespace upscope::ota
