// JSON renderings of a chunklist and of a verification against it (the text is tools/inspect_chunklist.cpp).
#include <fmt/format.h>

#include "chunklist/chunklist.hpp"
#include "inspect/text.hpp"

namespace upscope::chunklist {

using Json = nlohmann::ordered_json;

Json to_json(const Chunklist& cl) {
  Json j;
  j["format"] = "chunklist";
  j["header"] = {{"magic", "CNKL"},
                 {"header_size", cl.header_size},
                 {"file_version", cl.file_version},
                 {"chunk_method", cl.chunk_method},
                 {"chunk_method_name", chunk_method_name(cl.chunk_method)},
                 {"signature_method", cl.signature_method},
                 {"signature_method_name", signature_method_name(cl.signature_method)},
                 {"chunk_count", cl.chunk_count},
                 {"chunk_table_offset", cl.chunk_table_offset},
                 {"signature_offset", cl.signature_offset}};
  j["total_bytes"] = cl.total_bytes;
  j["min_chunk_size"] = cl.chunks.empty() ? Json(nullptr) : Json(cl.min_chunk);
  j["max_chunk_size"] = cl.chunks.empty() ? Json(nullptr) : Json(cl.max_chunk);
  Json chunks = Json::array();
  for (size_t i = 0; i < cl.chunks.size(); ++i) {
    const Chunk& c = cl.chunks[i];
    chunks.push_back({{"index", i}, {"offset", c.offset}, {"size", c.size}, {"sha256", to_hex(c.sha256)}});
  }
  j["chunks"] = std::move(chunks);
  j["signature"] = {{"method", cl.signature_method},
                    {"method_name", signature_method_name(cl.signature_method)},
                    {"offset", cl.signature_offset},
                    {"length", cl.signature_length},
                    {"verified", false},
                    {"note", kSignatureNote}};
  return j;
}

Json to_json(const VerifyReport& r) {
  Json j;
  j["image_size"] = r.image_size;
  j["covered_bytes"] = r.covered;
  j["size_ok"] = r.size_ok();
  j["chunks_checked"] = r.checked;
  j["chunks_matched"] = r.matched;
  j["failure_count"] = r.failure_count;
  Json f = Json::array();
  for (const auto& x : r.failures)
    f.push_back({{"index", x.index},
                 {"offset", x.offset},
                 {"size", x.size},
                 {"expected_sha256", x.expected},
                 {"computed_sha256", x.computed.empty() ? Json(nullptr) : Json(x.computed)},
                 {"reason", x.reason}});
  j["failures"] = std::move(f);
  j["ok"] = r.ok();
  return j;
}

}  // namespace upscope::chunklist
