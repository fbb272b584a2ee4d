// JSON rendering of the dyld cache model (schema: reports/schemas/dyld-cache.schema.json).
#pragma once

#include <nlohmann/json.hpp>

#include "dyld_cache/cache.hpp"

namespace upscope::dyld_cache {

nlohmann::ordered_json header_json(const CacheFile& f);
nlohmann::ordered_json mapping_json(const Mapping& m);
// Header, files with mappings, subcaches; images from `images` (parallel to cache.images, may hold
// details read with Cache::image_detail, or nullopt for table fields only).
nlohmann::ordered_json to_json(const Cache& c, const std::vector<std::optional<ImageDetail>>& details = {});
nlohmann::ordered_json image_json(const Cache& c, const Image& img, const ImageDetail* d, bool full = false);

}  // namespace upscope::dyld_cache
