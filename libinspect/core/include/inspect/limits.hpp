// The process-wide memory budget for decoding (`upscope --max-memory SIZE`). Readers keep their own
// per-format caps (decompression-bomb guards, capped against the input size); this user limit is
// consulted on top of them wherever a reader is about to hold decoded bytes in memory: a decode
// buffer, a decompressed member or payload, a chunk cache. Exceeding it is a kLimit error naming the
// limit and the structure, never a partial result presented as whole.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "inspect/result.hpp"

namespace upscope {

inline constexpr uint64_t kNoMemoryLimit = UINT64_MAX;

// Set once at start-up (the CLI), before any reader runs; 0 means no limit.
void set_memory_limit(uint64_t bytes);
uint64_t memory_limit();  // kNoMemoryLimit unless set

// A reader's own cap, lowered to the user limit.
inline uint64_t clamp_to_memory_limit(uint64_t cap) { return cap < memory_limit() ? cap : memory_limit(); }

// kLimit when holding `bytes` in memory would exceed the user limit:
// "<structure>: needs 3.0 MiB of memory, over the --max-memory limit of 1.0 MiB".
Status check_memory(uint64_t bytes, std::string_view structure, std::optional<uint64_t> offset = std::nullopt);
// The error check_memory returns, for callers that learn of the excess after the fact (a decoder
// that ran out of room at the clamped cap): "needs more than ...".
Error memory_limit_error(std::string_view structure, std::optional<uint64_t> offset = std::nullopt);

// "512M", "2G", "64k", "1.5G", "1048576", "4MiB": binary units (K, M, G, T, optional "iB"/"B").
Result<uint64_t> parse_byte_size(std::string_view text);

}  // namespace upscope
