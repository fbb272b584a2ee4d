// Helpers shared by the decoders in this directory (not part of the public codec interface).
#pragma once

#include <cstdint>
#include <string>

#include "inspect/error.hpp"

namespace upscope::compress::detail {

// Every decoder reports "the destination is full" with this wording, so decode_to_vector can tell
// a buffer to grow from any other resource limit.
inline constexpr const char* kOutputFullRule = "decoded data exceeds the output buffer";

inline Error output_full(std::string structure, uint64_t capacity, uint64_t offset) {
  return make_error(ErrorCode::kLimit, std::move(structure),
                    std::string(kOutputFullRule) + " of " + std::to_string(capacity) + " bytes", offset);
}

inline bool is_output_full(const Error& e) {
  return e.code == ErrorCode::kLimit && e.rule.rfind(kOutputFullRule, 0) == 0;
}

}  // namespace upscope::compress::detail
