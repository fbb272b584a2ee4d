// The LZVN opcode interpreter, shared by the bare decoder (decmpfs types 7/8) and by LZFSE's bvxn
// blocks. It reports where and why it stopped; each caller turns that into its own error, because
// "the output is full" means kLimit for a bare stream but a lying block header inside LZFSE.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "inspect/error.hpp"

namespace upscope::compress::detail {

struct LzvnStop {
  enum class Kind {
    kEndOfStream,     // opcode 0x06 and its 7 padding bytes were read
    kInputEnded,      // no opcode left: the stream has no end-of-stream opcode
    kOpcodeTruncated, // an opcode, its operands or its literals run past the end of input
    kUndefinedOpcode,
    kBadDistance,     // distance 0, or a match reaching before out[0]
    kOutputFull,      // the next opcode would write past out_limit
  };
  Kind kind;
  size_t in_pos;    // the opcode where decoding stopped; after the end-of-stream padding when done
  size_t out_pos;   // bytes of `out` holding output (counting from out[0])
  size_t distance;  // kBadDistance: the distance; kOutputFull: bytes the opcode wanted to write
  uint8_t opcode;
};

// Decodes `in` into out[out_pos, out_limit). Matches may reach back to out[0] (earlier LZFSE blocks
// are history too). Wide copies may write scratch bytes up to out_end but never past it.
LzvnStop lzvn_run(std::span<const uint8_t> in, uint8_t* out, size_t out_pos, size_t out_limit, size_t out_end);

// The error for a stop other than kEndOfStream and kOutputFull; offsets are in_pos + in_base.
Error lzvn_stop_error(const LzvnStop& stop, uint64_t in_base);

}  // namespace upscope::compress::detail
