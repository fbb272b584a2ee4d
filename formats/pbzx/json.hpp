#pragma once
#include <nlohmann/json.hpp>

#include "pbzx/pbzx.hpp"

namespace upscope::pbzx {
// {"magic", "codec", "supported", "block_size", "chunk_count", "decoded_size", "stored_bytes",
//  "compression_ratio", "chunks": [{"index", "offset", "raw_size", "stored_size", "stored"}]}
nlohmann::ordered_json to_json(const Stream& s, uint64_t base = 0);
}  // namespace upscope::pbzx
