// Documents of `upscope aea verify` ("aea"): the archive's report with what was checked, and its text.
#pragma once

#include <cstdint>
#include <string>

#include "aea/aea.hpp"
#include "reports/json.hpp"

namespace upscope::reports {

// "AEA profile N (...), X plaintext bytes in S segments, C clusters".
std::string aea_summary(const aea::Archive& a);

// What decoding every segment found: the plaintext's size and SHA-256.
struct AeaPlaintext {
  uint64_t size = 0;
  std::string sha256;
};

Json aea_verify_document(const std::string& path, const aea::Archive& a, const AeaPlaintext& p);
std::string aea_verify_text(const std::string& path, const aea::Archive& a, const AeaPlaintext& p);

}  // namespace upscope::reports
