// JSON renderings of the APFS model (field names are stable; see reports/schemas/apfs*.schema.json).
#pragma once

#include <nlohmann/json.hpp>

#include "apfs/container.hpp"
#include "apfs/volume.hpp"

namespace upscope::apfs {

nlohmann::ordered_json to_json(const ContainerInfo& c);
nlohmann::ordered_json to_json(const VolumeInfo& v);
nlohmann::ordered_json to_json(const Inode& ino);
nlohmann::ordered_json to_json(const Snapshot& s);
nlohmann::ordered_json to_json(const Compression& c);
// The container with all its volumes.
nlohmann::ordered_json to_json(const Container& c);

}  // namespace upscope::apfs
