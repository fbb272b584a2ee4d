// SHA-256 of many messages at once. One SHA-256 stream is a serial chain of rounds, so a core hashes
// a single file no faster than its SHA extensions allow (about 1.9 GB/s here). Sixteen independent
// messages fit the sixteen 32-bit lanes of an AVX-512 register: measured on this project's machine
// (AMD EPYC, 2 cores), 3.3-3.9 GB/s per core against 1.5-1.9 GB/s for OpenSSL's SHA-NI code. Listers that
// hash thousands of files hand a batch of them here; the last few messages of a batch, when too few
// are left to fill the lanes, finish one at a time with the SHA extensions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "inspect/byte_reader.hpp"
#include "inspect/result.hpp"

namespace upscope::sha256_lanes {

using Digest = std::array<uint8_t, 32>;

// True when the CPU and OS support AVX-512F/BW and the SHA extensions (checked once), unless the
// environment sets UPSCOPE_SHA256_LANES=0.
bool available();

// The next piece of message `msg`: a non-empty span, an empty span at the end of the message, or an
// error (which ends that message). A piece must stay readable until next() is called again for the
// same message or the message finishes.
using NextPiece = std::function<Result<Bytes>(size_t msg)>;
using Finished = std::function<void(size_t msg, Result<Digest> digest)>;
// The id of the next message to start, or nullopt when there is none (threads may share a queue).
using NextMessage = std::function<std::optional<size_t>()>;

// Hashes every message start() hands out and calls finished() once for each, in no particular order.
// Messages started early finish late when they are long: hand out the longest first. Requires
// available().
void hash_many(const NextMessage& start, const NextPiece& next, const Finished& finished);
// The same for messages 0..count-1.
void hash_many(size_t count, const NextPiece& next, const Finished& finished);

}  // namespace upscope::sha256_lanes
