#include "pbzx/json.hpp"

namespace upscope::pbzx {

nlohmann::ordered_json to_json(const Stream& s, uint64_t base) {
  nlohmann::ordered_json j;
  j["magic"] = s.magic;
  j["codec"] = s.codec_name;
  j["supported"] = s.supported();
  j["block_size"] = s.block_size;
  j["chunk_count"] = s.chunks.size();
  j["decoded_size"] = s.decoded_size;
  j["stored_bytes"] = s.stored_bytes;
  // decoded / stored: how many times smaller the chunk data is than its output.
  if (s.stored_bytes) j["compression_ratio"] = double(s.decoded_size) / double(s.stored_bytes);
  else j["compression_ratio"] = nullptr;
  auto chunks = nlohmann::ordered_json::array();
  for (size_t i = 0; i < s.chunks.size(); ++i) {
    const auto& c = s.chunks[i];
    chunks.push_back({{"index", i}, {"offset", base + c.header_offset}, {"raw_size", c.raw_size},
                      {"stored_size", c.stored_size}, {"stored", c.stored}});
  }
  j["chunks"] = std::move(chunks);
  if (s.framing_error) j["framing_error"] = s.framing_error->message();
  return j;
}

}  // namespace upscope::pbzx
