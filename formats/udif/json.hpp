// JSON renderings of the UDIF model (field names are stable: see reports/schemas/udif.schema.json).
#pragma once

#include <nlohmann/json.hpp>

#include "udif/disk_image.hpp"
#include "udif/image.hpp"

namespace upscope::udif {

nlohmann::ordered_json to_json(const Trailer& koly);
nlohmann::ordered_json to_json(const Blkx& blkx);
nlohmann::ordered_json to_json(const Image& img);
nlohmann::ordered_json to_json(const SparseHeader& sparse);
nlohmann::ordered_json to_json(const DiskImage& d);
nlohmann::ordered_json to_json(const VerifyReport& rep, const Image& img);
std::string crc_hex(uint32_t crc);  // "13be34b8"

}  // namespace upscope::udif
