#pragma once

#include <nlohmann/json.hpp>

#include "hfs/volume.hpp"

namespace upscope::hfs {

nlohmann::ordered_json to_json(const VolumeInfo& v);
nlohmann::ordered_json to_json(const Fork& f);
// mode, uid, gid, nlink, flags, dates (seconds since 1970, UTC), Finder type/creator.
nlohmann::ordered_json to_json(const CatalogEntry& e);
nlohmann::ordered_json to_json(const Compression& c);

}  // namespace upscope::hfs
